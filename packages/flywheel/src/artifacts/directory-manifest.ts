import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { canonicalJson } from '../core/json.js';
import type { ArtifactStore, DirectoryManifest, StoredBlob } from './artifact-store.js';
import { temporaryName } from './blob-files.js';
import { isDigest } from './digest.js';
import { mapWithLimit } from './map-with-limit.js';

/** Files stored or fetched at once: enough to hide per-file latency (S3), few enough for small machines. */
const PARALLEL_FILES = 4;

const relativePath = z
  .string()
  .refine(
    (path) => path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..') && !path.includes('\\') && !path.includes('\0'),
    'a manifest path is relative and POSIX, without empty, "." or ".." segments',
  );

const manifestSchema = z.object({
  kind: z.literal('flywheel.directory'),
  version: z.literal(1),
  files: z.array(
    z.object({
      path: relativePath,
      digest: z.string().refine(isDigest, 'not a sha256 digest'),
      size: z.number().int().nonnegative(),
    }),
  ),
});

/**
 * Stores every file under `dir` in `store`, then the manifest listing them; the manifest's blob
 * stands for the directory. Paths are sorted, so the same tree always yields the same digest.
 * Empty sub-directories are not recorded: a manifest lists files only.
 *
 * @example
 *   const model = await putDirectory(store, 'out/model');
 */
export async function putDirectory(store: ArtifactStore, dir: string): Promise<StoredBlob> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError('directory', dir);
    throw error;
  });
  if (!info.isDirectory()) throw new InvalidInputError('dir', `${dir} is not a directory`);
  const paths = await listFiles(dir, '');
  const files = await mapWithLimit(paths, PARALLEL_FILES, async (path) => {
    const blob = await store.putFile(join(dir, ...path.split('/')));
    return { path, digest: blob.digest, size: blob.size };
  });
  const manifest: DirectoryManifest = { kind: 'flywheel.directory', version: 1, files };
  return store.putBytes(canonicalJson(manifest));
}

/** Relative POSIX paths of the files under `dir`, sorted by code point. */
async function listFiles(root: string, prefix: string): Promise<string[]> {
  const entries = await readdir(join(root, ...prefix.split('/')), { withFileTypes: true });
  const paths: string[] = [];
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) paths.push(...(await listFiles(root, path)));
    else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(join(root, path))).isFile())) paths.push(path);
    else {
      throw new InvalidInputError('dir', `${join(root, path)} is neither a file nor a directory`, 'a stored directory holds files and folders only (links to files are followed)');
    }
  }
  return paths.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses a manifest blob; InvalidInputError when the blob is not one. */
export function parseDirectoryManifest(bytes: Uint8Array, digest: string): DirectoryManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidInputError('digest', `blob ${digest} is not a directory manifest`, 'pass the digest putDirectory returned');
  }
  const seen = new Set<string>();
  for (const file of parsed.data.files) {
    if (seen.has(file.path)) throw new InvalidInputError('digest', `directory manifest ${digest} lists ${file.path} twice`);
    seen.add(file.path);
  }
  return parsed.data;
}

/**
 * Recreates a directory stored with putDirectory at `destination`. The tree is built in a
 * temporary sibling and renamed into place, so `destination` never holds half of it; a directory
 * already there is replaced.
 */
export async function fetchDirectory(store: ArtifactStore, digest: string, destination: string): Promise<void> {
  const manifest = parseDirectoryManifest(await store.readBytes(digest), digest);
  const parent = dirname(destination);
  const temporary = join(parent, `.${basename(destination)}.${temporaryName()}.partial`);
  await mkdir(temporary, { recursive: true });
  try {
    await mapWithLimit(manifest.files, PARALLEL_FILES, (file) => store.fetchFile(file.digest, join(temporary, ...file.path.split('/'))));
    await moveDirectoryIntoPlace(temporary, destination);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

async function moveDirectoryIntoPlace(source: string, destination: string): Promise<void> {
  try {
    await rename(source, destination);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  // rename(2) cannot replace a non-empty directory: move the old one aside first, so the
  // destination is missing only between two renames rather than during a whole delete.
  const old = join(dirname(destination), `.${basename(destination)}.${temporaryName()}.old`);
  await rename(destination, old);
  await rename(source, destination);
  await rm(old, { recursive: true, force: true });
}

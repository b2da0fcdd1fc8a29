import { chmod, copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { NotFoundError } from '../../core/errors.js';
import { listDirectory, pathExists } from '../../core/files.js';
import type { ArtifactStore, StoredBlob } from '../artifact-store.js';
import type { HashedContent, WriteOptions } from '../blob-files.js';
import { copyHashed, READ_CHUNK, readAll, removeStaleFiles, replaceAtomically, temporaryName, writeHashed } from '../blob-files.js';
import { assertDigest, blobKey, digestFromUri, isDigest } from '../digest.js';
import { fetchDirectory, putDirectory } from '../directory-manifest.js';

/** Temporaries younger than this may belong to a writer that is still running. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
/** Blobs are synced before their rename, so a crash cannot leave a named blob with lost content. */
const DURABLE: WriteOptions = { durable: true };

/**
 * Blobs in a local folder: `<root>/sha256/ab/abcdef…`, read-only once written. Writes go to
 * `<root>/tmp/` while hashing and are renamed under their digest once whole and synced, so a crash
 * leaves at worst a stray temporary, never a truncated blob.
 *
 * @example
 *   const store = await LocalArtifactStore.open('.flywheel/artifacts');
 *   const blob = await store.putBytes('hello');
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly scheme = 'file';
  readonly root: string;
  private readonly temporaryDir: string;

  private constructor(root: string) {
    this.root = resolve(root);
    this.temporaryDir = join(this.root, 'tmp');
  }

  /** Opens (creating if needed) the store at `root` and clears temporaries left by crashed writers. */
  static async open(root: string): Promise<LocalArtifactStore> {
    const store = new LocalArtifactStore(root);
    await mkdir(join(store.root, 'sha256'), { recursive: true });
    await mkdir(store.temporaryDir, { recursive: true });
    await removeStaleFiles(store.temporaryDir, STALE_TEMPORARY_MS);
    return store;
  }

  putFile(path: string): Promise<StoredBlob> {
    return this.store((temporary) => copyHashed(path, temporary, DURABLE));
  }

  putBytes(bytes: Uint8Array | string): Promise<StoredBlob> {
    return this.store((temporary) => writeHashed([bytes], temporary, DURABLE));
  }

  putStream(stream: Readable): Promise<StoredBlob> {
    return this.store((temporary) => writeHashed(stream, temporary, DURABLE));
  }

  putDirectory(dir: string): Promise<StoredBlob> {
    return putDirectory(this, dir);
  }

  /** `write` fills a temporary file and hashes it; the file is then renamed under its digest. */
  private async store(write: (temporary: string) => Promise<HashedContent>): Promise<StoredBlob> {
    const temporary = join(this.temporaryDir, temporaryName());
    const { digest, size } = await write(temporary);
    try {
      const target = this.pathOf(digest);
      if (await pathExists(target)) {
        await rm(temporary, { force: true });
      } else {
        await chmod(temporary, 0o444);
        await mkdir(dirname(target), { recursive: true });
        await rename(temporary, target);
      }
      return { digest, size, uri: this.uriOf(digest) };
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async has(digest: string): Promise<boolean> {
    return pathExists(this.pathOf(assertDigest(digest)));
  }

  async stat(digest: string): Promise<{ size: number } | undefined> {
    const info = await stat(this.pathOf(assertDigest(digest))).catch(ignoreMissing);
    return info ? { size: info.size } : undefined;
  }

  async openRead(digest: string): Promise<Readable> {
    const handle = await open(this.pathOf(assertDigest(digest)), 'r').catch(ignoreMissing);
    if (!handle) throw missingBlob(digest, this.root);
    return handle.createReadStream({ highWaterMark: READ_CHUNK });
  }

  async readBytes(digest: string): Promise<Buffer> {
    return readAll(await this.openRead(digest));
  }

  async fetchFile(digest: string, destination: string): Promise<void> {
    const source = this.pathOf(assertDigest(digest));
    await replaceAtomically(resolve(destination), async (temporary) => {
      await copyFile(source, temporary).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw missingBlob(digest, this.root);
        throw error;
      });
      // The copy inherits the blob's read-only mode; the caller owns its copy.
      await chmod(temporary, 0o644);
    });
  }

  fetchDirectory(digest: string, destination: string): Promise<void> {
    return fetchDirectory(this, digest, resolve(destination));
  }

  async localPath(digest: string): Promise<string | undefined> {
    const path = this.pathOf(assertDigest(digest));
    return (await pathExists(path)) ? path : undefined;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.pathOf(assertDigest(digest)), { force: true });
  }

  async *list(): AsyncIterable<string> {
    const top = join(this.root, 'sha256');
    for (const shard of await sortedNames(top)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await sortedNames(join(top, shard))) {
        if (isDigest(name) && name.startsWith(shard)) yield name;
      }
    }
  }

  digestOf(uri: string): string {
    return digestFromUri(uri, (digest) => this.uriOf(digest), this.uriOf('0'.repeat(64)));
  }

  async close(): Promise<void> {}

  private pathOf(digest: string): string {
    return join(this.root, ...blobKey(digest).split('/'));
  }

  private uriOf(digest: string): string {
    return pathToFileURL(this.pathOf(digest)).href;
  }
}


function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}

function missingBlob(digest: string, root: string): NotFoundError {
  return new NotFoundError('artifact', digest, `no blob with this digest in ${root}`);
}

async function sortedNames(dir: string): Promise<string[]> {
  return (await listDirectory(dir)).sort();
}

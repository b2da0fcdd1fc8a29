import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { listDirectory } from '../core/files.js';

/** What hashing a blob's content yields. */
export interface HashedContent {
  digest: string;
  size: number;
}

/** Files are read in large chunks: fewer round trips through the event loop. */
export const READ_CHUNK = 1024 * 1024;

/** A name no other writer picks, for temporary files. */
export function temporaryName(): string {
  return `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/**
 * Whether a written file must reach the disk before it is used (a blob about to be renamed into
 * view) or may stay in the page cache (a spool file read once and deleted).
 */
export interface WriteOptions {
  durable: boolean;
}

/**
 * Writes `source` to a new file at `path` while hashing it. The file is removed when the source
 * or the disk fails.
 */
export async function writeHashed(source: AsyncIterable<unknown> | Iterable<unknown>, path: string, { durable }: WriteOptions): Promise<HashedContent> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(path, 'wx');
  try {
    for await (const chunk of source) {
      const bytes = asBytes(chunk);
      // The write runs on libuv's thread pool while this thread hashes the same chunk.
      const written = writeAll(handle, bytes);
      hash.update(bytes);
      size += bytes.length;
      await written;
    }
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
  return { digest: hash.digest('hex'), size };
}

/**
 * Copies the file `source` to a new file at `path` and hashes the copy. Hashing the copy rather
 * than the source means the digest is right even if the source changes meanwhile; the copy
 * itself is the kernel's (copy_file_range, reflinks), much faster than streaming through JS.
 */
export async function copyHashed(source: string, path: string, { durable }: WriteOptions): Promise<HashedContent> {
  const missing = (error: NodeJS.ErrnoException): never => {
    if (error.code === 'ENOENT') throw new NotFoundError('file', source);
    throw error;
  };
  if (!(await stat(source).catch(missing)).isFile()) throw new InvalidInputError('path', `${source} is not a file`);
  try {
    await copyFile(source, path, constants.COPYFILE_EXCL).catch(missing);
    const handle = await open(path, 'r');
    try {
      const content = await hashOpenFile(handle);
      if (durable) await handle.sync();
      return content;
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

/** Hashes a file from its current position, reading the next chunk while hashing this one. */
async function hashOpenFile(handle: FileHandle): Promise<HashedContent> {
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)] as const;
  let size = 0;
  let pending = handle.read(buffers[0], 0, READ_CHUNK, null);
  for (let turn = 1; ; turn ^= 1) {
    const { bytesRead, buffer } = await pending;
    if (bytesRead === 0) break;
    pending = handle.read(buffers[turn as 0 | 1], 0, READ_CHUNK, null);
    hash.update(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  return { digest: hash.digest('hex'), size };
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new InvalidInputError('stream', `a blob stream yields bytes or strings, not ${typeof chunk}`);
}

/**
 * Creates `destination` (and its folder) through a temporary sibling that `write` fills, renamed
 * into place only when `write` succeeds: the destination is either absent, the old file or the
 * whole new one.
 */
export async function replaceAtomically<T>(destination: string, write: (temporary: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(destination), { recursive: true });
  const temporary = join(dirname(destination), `.${basename(destination)}.${temporaryName()}.partial`);
  try {
    const result = await write(temporary);
    await rename(temporary, destination);
    return result;
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(asBytes(chunk));
  return Buffer.concat(chunks);
}

/**
 * Deletes files in `dir` older than `maxAgeMs`: temporaries left by a process that died mid-write.
 * Younger ones may belong to a writer still running.
 */
export async function removeStaleFiles(dir: string, maxAgeMs: number): Promise<void> {
  const names = await listDirectory(dir);
  const cutoff = Date.now() - maxAgeMs;
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
  }
}

import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/hashing.js';
import { runArtifactStoreContract } from '../artifact-store.contract.js';
import { LocalArtifactStore } from './local-artifact-store.js';

const roots: string[] = [];
const newRoot = async (): Promise<string> => {
  const root = await mkdtemp(join(tmpdir(), 'fw-local-store-'));
  roots.push(root);
  return root;
};
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

runArtifactStoreContract('local', async () => LocalArtifactStore.open(await newRoot()));

describe('LocalArtifactStore', () => {
  it('keeps blobs read-only at <root>/sha256/<2 hex>/<digest>, with file:// uris', async () => {
    const root = await newRoot();
    const store = await LocalArtifactStore.open(root);
    const blob = await store.putBytes('layout');
    const expected = join(root, 'sha256', blob.digest.slice(0, 2), blob.digest);
    expect(await store.localPath(blob.digest)).toBe(expected);
    expect(blob.uri).toBe(`file://${expected}`);
    expect((await stat(expected)).mode & 0o777).toBe(0o444);
  });

  it('never shows a half-written blob under its digest, and clears old leftovers on open', async () => {
    const root = await newRoot();
    const store = await LocalArtifactStore.open(root);
    const content = Buffer.alloc(100_000, 7);
    const digest = sha256Hex(content);
    // What a writer killed mid-write leaves behind: part of the content under a temporary name.
    const crashedOld = join(root, 'tmp', 'crashed-long-ago');
    const crashedRecent = join(root, 'tmp', 'crashed-just-now');
    await writeFile(crashedOld, content.subarray(0, 40_000));
    await writeFile(crashedRecent, content.subarray(0, 40_000));
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(crashedOld, twoHoursAgo, twoHoursAgo);

    expect(await store.has(digest)).toBe(false);
    await expect(stat(join(root, 'sha256', digest.slice(0, 2), digest))).rejects.toMatchObject({ code: 'ENOENT' });
    const listed: string[] = [];
    for await (const each of store.list()) listed.push(each);
    expect(listed).toEqual([]);

    await LocalArtifactStore.open(root);
    expect(await readdir(join(root, 'tmp'))).toEqual(['crashed-just-now']);
    const blob = await store.putStream(Readable.from([content]));
    expect(blob.digest).toBe(digest);
    expect((await stat(join(root, 'sha256', digest.slice(0, 2), digest))).size).toBe(content.length);
  });

  it('leaves no temporary behind when a write fails', async () => {
    const root = await newRoot();
    const store = await LocalArtifactStore.open(root);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error('disk said no'));
      },
    });
    await expect(store.putStream(failing)).rejects.toThrow('disk said no');
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });
});

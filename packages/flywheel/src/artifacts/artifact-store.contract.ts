import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { sha256Hex } from '../core/hashing.js';
import type { ArtifactStore, DirectoryManifest } from './artifact-store.js';

const MiB = 1024 * 1024;

/**
 * The behaviour every ArtifactStore must show. `create` returns a new, empty store each time
 * (a fresh folder, a fresh key prefix), so cases can count what `list` yields.
 *
 * @example
 *   runArtifactStoreContract('local', async () => LocalArtifactStore.open(await mkdtemp(...)));
 */
export function runArtifactStoreContract(label: string, create: () => Promise<ArtifactStore>): void {
  describe(`ArtifactStore contract: ${label}`, () => {
    let store: ArtifactStore;
    let scratch: string;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'fw-artifacts-contract-'));
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });
    beforeEach(async () => {
      store = await create();
    });
    afterEach(async () => {
      await store.close();
    });

    let counter = 0;
    const path = (...parts: string[]): string => join(scratch, `case-${++counter}`, ...parts);

    async function listAll(): Promise<string[]> {
      const digests: string[] = [];
      for await (const digest of store.list()) digests.push(digest);
      return digests;
    }

    describe('bytes', () => {
      it('round-trips bytes under their sha256', async () => {
        const bytes = randomBytes(1000);
        const blob = await store.putBytes(bytes);
        expect(blob.digest).toBe(sha256Hex(bytes));
        expect(blob.size).toBe(1000);
        expect(blob.uri.startsWith(`${store.scheme}://`)).toBe(true);
        expect(blob.uri.endsWith(`/sha256/${blob.digest.slice(0, 2)}/${blob.digest}`)).toBe(true);
        expect(Buffer.compare(await store.readBytes(blob.digest), bytes)).toBe(0);
        expect(await store.has(blob.digest)).toBe(true);
        expect(await store.stat(blob.digest)).toEqual({ size: 1000 });
      });

      it('hashes a string as its UTF-8 bytes', async () => {
        const text = 'flywheel ✓ artefact';
        const fromString = await store.putBytes(text);
        const fromBytes = await store.putBytes(new TextEncoder().encode(text));
        expect(fromString).toEqual(fromBytes);
        expect((await store.readBytes(fromString.digest)).toString('utf8')).toBe(text);
      });

      it('stores empty content', async () => {
        const blob = await store.putBytes('');
        expect(blob).toMatchObject({ digest: sha256Hex(''), size: 0 });
        expect((await store.readBytes(blob.digest)).length).toBe(0);
        expect(await store.stat(blob.digest)).toEqual({ size: 0 });
        const destination = path('empty.bin');
        await store.fetchFile(blob.digest, destination);
        expect((await stat(destination)).size).toBe(0);
      });

      it('parses the uris it hands out, and only those', async () => {
        const blob = await store.putBytes('uri');
        expect(store.digestOf(blob.uri)).toBe(blob.digest);
        const otherShard = blob.uri.replace(`/sha256/${blob.digest.slice(0, 2)}/`, '/sha256/zz/');
        for (const uri of ['https://example.com/x', `${blob.uri}/more`, otherShard, blob.uri.replace(/^[a-z0-9]+:/, 'other:'), '']) {
          expect(() => store.digestOf(uri), uri).toThrow(InvalidInputError);
        }
      });
    });

    describe('files and streams', () => {
      it('round-trips a file and writes fetched copies atomically into new folders', async () => {
        const source = path('model.onnx');
        const content = randomBytes(300_000);
        await mkdir(join(source, '..'), { recursive: true });
        await writeFile(source, content);
        const blob = await store.putFile(source);
        expect(blob).toMatchObject({ digest: sha256Hex(content), size: content.length });

        const destination = path('deep', 'er', 'copy.onnx');
        await store.fetchFile(blob.digest, destination);
        expect(Buffer.compare(await readFile(destination), content)).toBe(0);
        expect(await readdir(join(destination, '..'))).toEqual(['copy.onnx']);
      });

      it('overwrites an existing destination, and the copy belongs to the caller', async () => {
        const blob = await store.putBytes('new content');
        const destination = path('existing.txt');
        await mkdir(join(destination, '..'), { recursive: true });
        await writeFile(destination, 'old content that is longer');
        await store.fetchFile(blob.digest, destination);
        expect(await readFile(destination, 'utf8')).toBe('new content');
        await writeFile(destination, 'edited');
        expect((await store.readBytes(blob.digest)).toString()).toBe('new content');
      });

      it('rejects a missing source file with NotFoundError, and a folder with InvalidInputError', async () => {
        await expect(store.putFile(path('nope.bin'))).rejects.toBeInstanceOf(NotFoundError);
        const folder = path('folder');
        await mkdir(folder, { recursive: true });
        await expect(store.putFile(folder)).rejects.toBeInstanceOf(InvalidInputError);
        expect(await listAll()).toEqual([]);
      });

      it('round-trips a stream of many chunks, bytes and strings', async () => {
        const chunks = [randomBytes(10), 'text', randomBytes(70_000), '', randomBytes(1)];
        const whole = Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
        const blob = await store.putStream(Readable.from(chunks, { objectMode: false }));
        expect(blob).toMatchObject({ digest: sha256Hex(whole), size: whole.length });
        const read = await collect(await store.openRead(blob.digest));
        expect(Buffer.compare(read, whole)).toBe(0);
      });

      it('streams 50 MB through put and read with sha256 intact and bounded memory', async () => {
        // A first, smaller round lets the JS heap reach its working size, so what is measured
        // afterwards is what grows with the blob.
        await roundTrip(store, 24 * MiB);
        const peak = watchRss();
        const { sent, received, receivedBytes } = await roundTrip(store, 50 * MiB);
        const growth = peak.stop();
        expect(receivedBytes).toBe(50 * MiB);
        expect(received).toBe(sent);
        expect(growth, `rss grew by ${Math.round(growth / MiB)} MiB`).toBeLessThan(40 * MiB);
      });

      it('publishes nothing when the source stream fails midway', async () => {
        const partial = randomBytes(200_000);
        const failing = new Readable({
          read() {
            this.push(partial);
            this.destroy(new Error('source broke'));
          },
        });
        await expect(store.putStream(failing)).rejects.toThrow('source broke');
        expect(await store.has(sha256Hex(partial))).toBe(false);
        expect(await listAll()).toEqual([]);
      });
    });

    describe('deduplication', () => {
      it('stores the same content once, whatever the way in', async () => {
        const content = randomBytes(5000);
        const file = path('same.bin');
        await mkdir(join(file, '..'), { recursive: true });
        await writeFile(file, content);
        const blobs = [await store.putBytes(content), await store.putFile(file), await store.putStream(Readable.from([content]))];
        expect(new Set(blobs.map((blob) => blob.digest)).size).toBe(1);
        expect(new Set(blobs.map((blob) => blob.uri)).size).toBe(1);
        expect(await listAll()).toEqual([sha256Hex(content)]);
      });

      it('survives concurrent puts of the same content', async () => {
        const content = randomBytes(2 * MiB);
        const blobs = await Promise.all(
          Array.from({ length: 8 }, (_, index) =>
            index % 2 === 0 ? store.putBytes(content) : store.putStream(Readable.from([content.subarray(0, MiB), content.subarray(MiB)])),
          ),
        );
        expect(new Set(blobs.map((blob) => blob.digest))).toEqual(new Set([sha256Hex(content)]));
        expect(await listAll()).toEqual([sha256Hex(content)]);
        expect(Buffer.compare(await store.readBytes(sha256Hex(content)), content)).toBe(0);
      });
    });

    describe('has, stat, delete, list', () => {
      it('lists every blob once, sorted, and forgets deleted ones', async () => {
        const blobs = await Promise.all(['a', 'b', 'c', 'd'].map((text) => store.putBytes(text)));
        const digests = blobs.map((blob) => blob.digest).sort();
        expect(await listAll()).toEqual(digests);

        const [gone, ...kept] = digests as [string, ...string[]];
        await store.delete(gone);
        expect(await store.has(gone)).toBe(false);
        expect(await store.stat(gone)).toBeUndefined();
        expect(await listAll()).toEqual(kept);
        await store.delete(gone);
      });

      it('reports a missing blob as absent, or with NotFoundError when it must be read', async () => {
        const missing = sha256Hex('never stored');
        expect(await store.has(missing)).toBe(false);
        expect(await store.stat(missing)).toBeUndefined();
        expect(await store.localPath(missing)).toBeUndefined();
        await expect(store.openRead(missing)).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.readBytes(missing)).rejects.toBeInstanceOf(NotFoundError);
        const destination = path('missing.bin');
        await expect(store.fetchFile(missing, destination)).rejects.toBeInstanceOf(NotFoundError);
        await expect(stat(destination)).rejects.toMatchObject({ code: 'ENOENT' });
        await expect(store.fetchDirectory(missing, path('missing-dir'))).rejects.toBeInstanceOf(NotFoundError);
        await store.delete(missing);
      });

      it('gives a local path with the content when it has one', async () => {
        const blob = await store.putBytes('in place');
        const local = await store.localPath(blob.digest);
        if (local !== undefined) expect(await readFile(local, 'utf8')).toBe('in place');
      });

      it('rejects anything but a sha256 digest before touching storage', async () => {
        const destination = path('never');
        const bad = ['../../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), `${'a'.repeat(62)}/x`, `sha256:${'a'.repeat(64)}`, ''];
        for (const digest of bad) {
          const calls: Array<() => Promise<unknown>> = [
            () => store.has(digest),
            () => store.stat(digest),
            () => store.openRead(digest),
            () => store.readBytes(digest),
            () => store.fetchFile(digest, destination),
            () => store.fetchDirectory(digest, destination),
            () => store.localPath(digest),
            () => store.delete(digest),
          ];
          for (const call of calls) await expect(call(), digest).rejects.toBeInstanceOf(InvalidInputError);
        }
        await expect(stat(destination)).rejects.toMatchObject({ code: 'ENOENT' });
      });
    });

    describe('directories', () => {
      async function makeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
        await mkdir(root, { recursive: true });
        for (const [name, content] of Object.entries(files)) {
          await mkdir(join(root, name, '..'), { recursive: true });
          await writeFile(join(root, name), content);
        }
      }

      const tree = {
        'model.onnx': randomBytes(40_000),
        'README.md': '# model\n',
        'empty.txt': '',
        'assets/vocab.txt': 'a\nb\n',
        'assets/nested/deeper/weights.bin': randomBytes(1234),
        'assets/nested/copy-of-readme.md': '# model\n',
        'ünïcode name.txt': 'ok',
      };

      it('round-trips a nested tree, empty files included', async () => {
        const source = path('tree');
        await makeTree(source, tree);
        const blob = await store.putDirectory(source);
        const destination = path('restored', 'model');
        await store.fetchDirectory(blob.digest, destination);
        expect(await snapshot(destination)).toEqual(await snapshot(source));
        expect(await readdir(join(destination, '..'))).toEqual(['model']);
      });

      it('stores a manifest with sorted POSIX paths, and each file as its own blob', async () => {
        const source = path('tree');
        await makeTree(source, tree);
        const blob = await store.putDirectory(source);
        const manifest = JSON.parse((await store.readBytes(blob.digest)).toString('utf8')) as DirectoryManifest;
        expect(manifest.kind).toBe('flywheel.directory');
        expect(manifest.version).toBe(1);
        const paths = manifest.files.map((file) => file.path);
        expect(paths).toEqual(Object.keys(tree).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        for (const file of manifest.files) {
          const content = tree[file.path as keyof typeof tree];
          expect(file).toEqual({ path: file.path, digest: sha256Hex(content), size: Buffer.byteLength(content) });
          expect(await store.has(file.digest)).toBe(true);
        }
        const expected = new Set([blob.digest, ...manifest.files.map((file) => file.digest)]);
        expect(new Set(await listAll())).toEqual(expected);
      });

      it('gives the same tree the same digest wherever it lies', async () => {
        const first = path('one');
        const second = path('two');
        await makeTree(first, tree);
        await makeTree(second, tree);
        expect((await store.putDirectory(first)).digest).toBe((await store.putDirectory(second)).digest);
      });

      it('round-trips an empty directory', async () => {
        const source = path('empty');
        await mkdir(source, { recursive: true });
        const blob = await store.putDirectory(source);
        const destination = path('empty-restored');
        await store.fetchDirectory(blob.digest, destination);
        expect(await readdir(destination)).toEqual([]);
      });

      it('replaces what was at the destination', async () => {
        const source = path('tree');
        await makeTree(source, { 'a.txt': 'new' });
        const blob = await store.putDirectory(source);
        const destination = path('target');
        await makeTree(destination, { 'a.txt': 'old', 'stale/b.txt': 'stale' });
        await store.fetchDirectory(blob.digest, destination);
        expect(await snapshot(destination)).toEqual({ 'a.txt': sha256Hex('new') });
        expect(await readdir(join(destination, '..'))).toEqual(['target']);
      });

      it('refuses a blob that is not a manifest, leaving no trace', async () => {
        const blob = await store.putBytes('{"kind":"something else"}');
        const destination = path('not-a-dir');
        await expect(store.fetchDirectory(blob.digest, destination)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(stat(join(destination, '..'))).rejects.toMatchObject({ code: 'ENOENT' });
      });

      it('refuses a manifest whose paths escape the destination', async () => {
        const inner = await store.putBytes('payload');
        const manifest: DirectoryManifest = { kind: 'flywheel.directory', version: 1, files: [{ path: '../escaped.txt', digest: inner.digest, size: 7 }] };
        const blob = await store.putBytes(JSON.stringify(manifest));
        const destination = path('jail', 'dir');
        await expect(store.fetchDirectory(blob.digest, destination)).rejects.toBeInstanceOf(InvalidInputError);
        await expect(stat(join(destination, '..', 'escaped.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
      });

      it('follows links to files, storing their content', async () => {
        const source = path('linked');
        await makeTree(source, { 'real.txt': 'target content' });
        await symlink('real.txt', join(source, 'alias.txt'));
        const blob = await store.putDirectory(source);
        const destination = path('linked-restored');
        await store.fetchDirectory(blob.digest, destination);
        expect(await snapshot(destination)).toEqual({ 'alias.txt': sha256Hex('target content'), 'real.txt': sha256Hex('target content') });
      });

      it('rejects a missing directory with NotFoundError', async () => {
        await expect(store.putDirectory(path('no-such-dir'))).rejects.toBeInstanceOf(NotFoundError);
      });
    });
  });
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Puts `size` random bytes as a stream of 1 MiB chunks and reads them back, hashing both ways. */
async function roundTrip(store: ArtifactStore, size: number): Promise<{ sent: string; received: string; receivedBytes: number }> {
  const sent = createHash('sha256');
  const source = Readable.from(
    (function* () {
      for (let offset = 0; offset < size; offset += MiB) {
        const chunk = randomBytes(Math.min(MiB, size - offset));
        sent.update(chunk);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  const blob = await store.putStream(source);
  expect(blob).toMatchObject({ digest: sent.digest('hex'), size });
  const received = createHash('sha256');
  let receivedBytes = 0;
  for await (const chunk of await store.openRead(blob.digest)) {
    received.update(chunk as Buffer);
    receivedBytes += (chunk as Buffer).length;
  }
  return { sent: blob.digest, received: received.digest('hex'), receivedBytes };
}

/** File path → sha256 of every file under `root`. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    result[relative(root, full).split('\\').join('/')] = sha256Hex(await readFile(full));
  }
  return result;
}

/** Samples the resident set size until stopped; returns the largest growth seen. */
function watchRss(): { stop(): number } {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) - baseline;
    },
  };
}

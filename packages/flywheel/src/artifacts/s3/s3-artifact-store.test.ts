import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IncompatibleStateError, NotFoundError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hashing.js';
import { ArtifactStoreAccessError, ArtifactStoreError, ArtifactStoreUnreachableError } from '../artifact-errors.js';
import { runArtifactStoreContract } from '../artifact-store.contract.js';
import type { S3ArtifactStoreOptions } from './s3-artifact-store.js';
import { S3ArtifactStore } from './s3-artifact-store.js';
import { s3ArtifactsFlavor } from './s3-flavor.js';
import type { LocalS3Server } from './s3rver-fixture.js';
import { closedPort, startLocalS3 } from './s3rver-fixture.js';

const BUCKET = 'flywheel-test';
let s3: LocalS3Server;
let spoolDir: string;
let scratch: string;
let stores = 0;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
  spoolDir = await mkdtemp(join(tmpdir(), 'fw-s3-spool-'));
  scratch = await mkdtemp(join(tmpdir(), 'fw-s3-scratch-'));
});
afterAll(async () => {
  await s3.close();
  await rm(spoolDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

/** A store on the shared bucket under a prefix of its own, so each starts empty. */
const openStore = (extra: Partial<S3ArtifactStoreOptions> = {}): Promise<S3ArtifactStore> =>
  S3ArtifactStore.open({ bucket: BUCKET, prefix: `runs/store-${++stores}`, ...s3.connection, spoolDir, ...extra });

runArtifactStoreContract('s3 (s3rver)', () => openStore());

describe('S3ArtifactStore', () => {
  it('keys blobs as <prefix>/sha256/<2 hex>/<digest> and hands out s3:// uris', async () => {
    const store = await openStore({ prefix: '/models/v1/' });
    const blob = await store.putBytes('layout');
    expect(blob.uri).toBe(`s3://${BUCKET}/models/v1/sha256/${blob.digest.slice(0, 2)}/${blob.digest}`);
    expect(await store.localPath(blob.digest)).toBeUndefined();
    await store.close();
  });

  it('uploads large blobs in parts and removes its spool files', async () => {
    const store = await openStore({ multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    const sent = vi.spyOn(S3Client.prototype, 'send');
    try {
      const content = randomBytes(12 * 1024 * 1024);
      const blob = await store.putBytes(content);
      const commands = sent.mock.calls.map(([command]) => command.constructor.name);
      expect(commands.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
      expect(commands).toContain('CompleteMultipartUploadCommand');
      expect(commands).not.toContain('PutObjectCommand');
      expect(Buffer.compare(await store.readBytes(blob.digest), content)).toBe(0);
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      sent.mockRestore();
      await store.close();
    }
  });

  it('aborts a multipart upload that fails midway, leaving no object', async () => {
    const store = await openStore({ multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    const send = S3Client.prototype.send;
    const sent = vi.spyOn(S3Client.prototype, 'send').mockImplementation(function (this: S3Client, command: Parameters<S3Client['send']>[0]) {
      if (command instanceof UploadPartCommand && command.input.PartNumber === 2) {
        return Promise.reject(Object.assign(new Error('part refused'), { name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } }));
      }
      return Reflect.apply(send, this, [command]) as never;
    });
    try {
      const content = randomBytes(12 * 1024 * 1024);
      const failure = await store.putBytes(content).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ArtifactStoreError);
      expect((failure as ArtifactStoreError).message).toMatch(/uploading part 2 of 3.*part refused/);
      const commands = sent.mock.calls.map(([command]) => command.constructor.name);
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      sent.mockRestore();
      expect(await store.has(sha256Hex(content))).toBe(false);
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      sent.mockRestore();
      await store.close();
    }
  });

  it('skips the upload when the blob is there already', async () => {
    const store = await openStore();
    await store.putBytes('twice');
    const sent = vi.spyOn(S3Client.prototype, 'send');
    try {
      await store.putBytes('twice');
      expect(sent.mock.calls.map(([command]) => command.constructor.name)).toEqual(['HeadObjectCommand']);
    } finally {
      sent.mockRestore();
      await store.close();
    }
  });

  it('refuses to fetch a blob whose content does not match its digest', async () => {
    const store = await openStore({ prefix: 'tampered' });
    const digest = sha256Hex('the real content');
    const client = rawClient();
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `tampered/sha256/${digest.slice(0, 2)}/${digest}`, Body: 'something else' }));
    client.destroy();
    const destination = join(scratch, 'tampered', 'file.txt');
    await expect(store.fetchFile(digest, destination)).rejects.toBeInstanceOf(IncompatibleStateError);
    expect(await readdir(join(scratch, 'tampered'))).toEqual([]);
    await store.close();
  });

  it('is what the s3 flavor creates, spooling under <home>/tmp', async () => {
    const home = join(scratch, 'home');
    const options = s3ArtifactsFlavor.options.parse({ ...s3.connection, flavor: 's3', bucket: BUCKET, prefix: 'from-flavor' });
    const store = await s3ArtifactsFlavor.create(options, { projectDir: scratch, home });
    const blob = await store.putBytes('via flavor');
    expect(blob.uri).toBe(`s3://${BUCKET}/from-flavor/sha256/${blob.digest.slice(0, 2)}/${blob.digest}`);
    expect(await readdir(join(home, 'tmp', 's3-spool'))).toEqual([]);
    await store.close();
    await rm(home, { recursive: true });
  });

  it('names the bucket and the endpoint when the bucket does not exist', async () => {
    const failure = await openStore({ bucket: 'no-such-bucket' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NotFoundError);
    expect((failure as NotFoundError).message).toContain('no-such-bucket');
    expect((failure as NotFoundError).hint).toContain(s3.endpoint);
  });

  it('names the bucket when it disappears after opening', async () => {
    const client = rawClient();
    await client.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    const store = await openStore({ bucket: 'short-lived' });
    await client.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    client.destroy();
    await expect(store.putBytes('orphan')).rejects.toMatchObject({ code: 'not_found', kind: 'S3 bucket', key: 'short-lived' });
    await store.close();
  });

  it('says when the credentials are refused', async () => {
    const failure = await openStore({ accessKeyId: 'WRONG', secretAccessKey: 'WRONG' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ArtifactStoreAccessError);
    expect((failure as ArtifactStoreAccessError).message).toContain(`s3://${BUCKET}`);
    expect((failure as ArtifactStoreAccessError).hint).toMatch(/credentials/);
  });

  it('says which endpoint it cannot reach', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const failure = await openStore({ endpoint }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ArtifactStoreUnreachableError);
    expect((failure as ArtifactStoreUnreachableError).message).toContain(endpoint);
    expect((failure as ArtifactStoreUnreachableError).message).toContain(BUCKET);
  });
});

/** A client of the test server that bypasses the store. */
function rawClient(): S3Client {
  const { accessKeyId, secretAccessKey, ...connection } = s3.connection;
  return new S3Client({ ...connection, credentials: { accessKeyId, secretAccessKey } });
}

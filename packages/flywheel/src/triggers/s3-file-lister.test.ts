import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { LocalS3Server } from '../artifacts/s3/s3rver-fixture.js';
import { closedPort, startLocalS3 } from '../artifacts/s3/s3rver-fixture.js';
import { InvalidInputError } from '../core/errors.js';
import { filesKey, polling, runDataArrivalContract } from './data-arrival.contract.js';
import { WatchedPlaceUnreadableError } from './file-lister.js';
import { compileS3FileListerOptions, s3FileLister, s3FilePattern, type S3FileListerOptions } from './s3-file-lister.js';
import { dataArrivalSource } from './trigger-sources.js';


const T = Date.UTC(2026, 0, 1);
const DEBOUNCE = 30_000;
let s3: LocalS3Server;
let admin: S3Client;
let buckets = 0;
let ciphers: MockInstance[];

beforeAll(async () => {
  ciphers = desThroughTripleDes();
  s3 = await startLocalS3([]);
  const { accessKeyId, secretAccessKey, ...connection } = s3.connection;
  admin = new S3Client({ ...connection, credentials: { accessKeyId, secretAccessKey } });
});
afterAll(async () => {
  admin.destroy();
  await s3.close();
  for (const cipher of ciphers) cipher.mockRestore();
});

/**
 * s3rver encrypts its continuation tokens with single DES, which OpenSSL 3 offers only in its
 * legacy provider, so listing a second page fails; two-key triple DES with both keys equal is the
 * same cipher.
 */
function desThroughTripleDes(): MockInstance[] {
  const { createCipheriv, createDecipheriv } = crypto;
  const tripled = (algorithm: string, key: Buffer) => (algorithm === 'des' ? (['des-ede-cbc', Buffer.concat([key, key])] as const) : ([algorithm, key] as const));
  return [
    vi.spyOn(crypto, 'createCipheriv').mockImplementation(((algorithm: string, key: Buffer, iv: Buffer) => createCipheriv(...tripled(algorithm, key), iv)) as never),
    vi.spyOn(crypto, 'createDecipheriv').mockImplementation(((algorithm: string, key: Buffer, iv: Buffer) => createDecipheriv(...tripled(algorithm, key), iv)) as never),
  ];
}

/** A bucket name no case has used yet. */
const freshBucket = () => `arrivals-${++buckets}`;
const createBucket = (bucket: string) => admin.send(new CreateBucketCommand({ Bucket: bucket }));
const putObject = async (bucket: string, key: string, content: string): Promise<string> => {
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(content) }));
  return `s3://${bucket}/${key}`;
};
async function deleteBucket(bucket: string): Promise<void> {
  const { Contents = [] } = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const { Key } of Contents) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
}
const lister = (url: string, extra: Partial<S3FileListerOptions> = {}) => s3FileLister({ url, ...s3.connection, ...extra });

runDataArrivalContract('s3 (s3rver)', async () => {
  const bucket = freshBucket();
  await createBucket(bucket);
  let exists = true;
  return {
    lister: (glob) => lister(`s3://${bucket}/incoming/${glob}`),
    put: (name, content) => putObject(bucket, `incoming/${name}`, content),
    async remove() {
      await deleteBucket(bucket);
      exists = false;
    },
    async restore() {
      await createBucket(bucket);
      exists = true;
    },
    name: `s3://${bucket}`,
    missingProblem: `the watched bucket ${bucket} does not exist (s3://${bucket}/incoming at ${s3.endpoint})`,
    async dispose() {
      if (exists) await deleteBucket(bucket);
    },
  };
});

describe('s3FileLister', () => {
  it('lists the matching objects under the prefix as s3:// URLs with size, LastModified and ETag', async () => {
    const bucket = freshBucket();
    await createBucket(bucket);
    await putObject(bucket, 'incoming/b.parquet', 'bb');
    await putObject(bucket, 'incoming/a.parquet', 'a');
    await putObject(bucket, 'incoming/', '');
    await putObject(bucket, 'incoming-old/c.parquet', 'ccc');
    await putObject(bucket, 'd.parquet', 'dddd');
    const files = await lister(`s3://${bucket}/incoming/*`).list();
    expect(files.map(({ path, size }) => [path, size])).toEqual([[`s3://${bucket}/incoming/a.parquet`, 1], [`s3://${bucket}/incoming/b.parquet`, 2]]);
    for (const file of files) {
      expect(Math.abs(file.mtimeMs - Date.now())).toBeLessThan(60_000);
      expect(file.version).toMatch(/^[0-9a-f]{32}$/);
    }
    const top = lister(`s3://${bucket}/*.parquet`);
    expect((await top.list()).map((f) => f.path)).toEqual([`s3://${bucket}/d.parquet`]);
    // Closed (the controller stopping), it lets its client go and makes a new one if asked again.
    top.close?.();
    expect((await top.list()).map((f) => f.path)).toEqual([`s3://${bucket}/d.parquet`]);
    await deleteBucket(bucket);
  });

  it('follows continuation tokens through every page, and fires one event for all that arrived', async () => {
    const bucket = freshBucket();
    await createBucket(bucket);
    await putObject(bucket, 'incoming/old.parquet', 'old');
    const paged = lister(`s3://${bucket}/incoming/*.parquet`, { pageSize: 2 });
    const source = polling(dataArrivalSource(paged, DEBOUNCE));
    await source.poll(T);
    const arrived: string[] = [];
    for (let i = 0; i < 7; i++) arrived.push(await putObject(bucket, `incoming/part-${i}.parquet`, `rows ${i}`));
    await putObject(bucket, 'incoming/part-7.csv', 'not watched');

    const sent = vi.spyOn(S3Client.prototype, 'send');
    try {
      expect((await paged.list()).map((f) => f.path)).toEqual([`s3://${bucket}/incoming/old.parquet`, ...arrived]);
      const requests = sent.mock.calls.map(([command]) => command as ListObjectsV2Command);
      expect(requests.length).toBeGreaterThanOrEqual(5);
      expect(requests.map((r) => r.input.MaxKeys)).toEqual(requests.map(() => 2));
      expect(requests[0]!.input.ContinuationToken).toBeUndefined();
      expect(requests.slice(1).every((r) => typeof r.input.ContinuationToken === 'string')).toBe(true);
    } finally {
      sent.mockRestore();
    }

    await source.poll(T + 1000);
    const { events } = await source.poll(T + 1000 + DEBOUNCE);
    expect(events.map((e) => e.event.files)).toEqual([arrived]);
    expect(events[0]!.event.file).toBe(arrived[0]);
    expect(events[0]!.state.handled).toHaveLength(8);
    await deleteBucket(bucket);
  });

  it('fires an object rewritten with the same size again, keyed by its new ETag', async () => {
    const bucket = freshBucket();
    await createBucket(bucket);
    const watched = lister(`s3://${bucket}/incoming/*.parquet`);
    const source = polling(dataArrivalSource(watched, DEBOUNCE));
    await source.poll(T);
    const url = await putObject(bucket, 'incoming/a.parquet', 'abc');
    const [before] = await watched.list();
    await source.poll(T + 1000);
    const first = await source.poll(T + 1000 + DEBOUNCE);
    expect(first.events.map((e) => e.eventKey)).toEqual([filesKey(`${url}:3:${before!.mtimeMs}:${before!.version}`)]);

    await putObject(bucket, 'incoming/a.parquet', 'xyz');
    const [after] = await watched.list();
    expect([after!.size, after!.version]).toEqual([3, expect.not.stringMatching(before!.version!)]);
    await source.poll(T + 2 * DEBOUNCE);
    const again = await source.poll(T + 3 * DEBOUNCE);
    expect(again.events.map((e) => [e.eventKey, e.event.file])).toEqual([[filesKey(`${url}:3:${after!.mtimeMs}:${after!.version}`), url]]);
    await deleteBucket(bucket);
  });

  it('reports a bucket missing from the start, naming it, and starts from what is there once it is created', async () => {
    const bucket = freshBucket();
    const source = polling(dataArrivalSource(lister(`s3://${bucket}/incoming/*.parquet`), DEBOUNCE));
    expect(await source.poll(T)).toEqual({ events: [], problem: `the watched bucket ${bucket} does not exist (s3://${bucket}/incoming at ${s3.endpoint})` });
    await createBucket(bucket);
    await putObject(bucket, 'incoming/first.parquet', 'there when it came');
    expect(await source.poll(T + 1000)).toEqual({ events: [], state: { handled: [expect.stringContaining(`s3://${bucket}/incoming/first.parquet:`)] } });
    const url = await putObject(bucket, 'incoming/second.parquet', 'new');
    await source.poll(T + 2000);
    expect((await source.poll(T + 2000 + DEBOUNCE)).events.map((e) => e.event.files)).toEqual([[url]]);
    await deleteBucket(bucket);
  });

  it('reports refused credentials and an unreachable endpoint as problems, naming the bucket and the endpoint', async () => {
    const bucket = freshBucket();
    await createBucket(bucket);
    const refused = await dataArrivalSource(lister(`s3://${bucket}/in/*.csv`, { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' }), DEBOUNCE).poll(undefined, new Date(T));
    expect(refused.events).toEqual([]);
    expect(refused.problem).toMatch(new RegExp(`^listing s3://${bucket}/in at ${s3.endpoint} failed with InvalidAccessKeyId \\(HTTP 403\\): `));

    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = lister(`s3://${bucket}/in/*.csv`, { endpoint });
    const failure = await unreachable.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WatchedPlaceUnreadableError);
    expect(failure).toMatchObject({ code: 'watched_place_unreadable', place: `s3://${bucket}` });
    const { problem } = await dataArrivalSource(unreachable, DEBOUNCE).poll(undefined, new Date(T));
    expect(problem).toContain(`listing s3://${bucket}/in at ${endpoint} failed with`);
    expect(problem).toContain('ECONNREFUSED');
    await deleteBucket(bucket);
  });
});

describe('s3FilePattern', () => {
  const problem = (url: string) => {
    const parsed = s3FilePattern.safeParse(url);
    return parsed.success ? undefined : parsed.error.issues[0]!.message;
  };

  it('splits bucket, prefix and the glob of the last part', () => {
    expect(s3FilePattern.parse('s3://landing/daily/incoming/*.parquet')).toEqual({ bucket: 'landing', prefix: 'daily/incoming/', glob: '*.parquet' });
    expect(s3FilePattern.parse('s3://landing/day-?.csv')).toEqual({ bucket: 'landing', prefix: '', glob: 'day-?.csv' });
  });

  it('explains what cannot be watched', () => {
    expect(problem('s3://')).toBe('"s3://" names no bucket: write s3://bucket/prefix/*.parquet');
    expect(problem('s3:///incoming/*.csv')).toBe('"s3:///incoming/*.csv" names no bucket: write s3://bucket/prefix/*.parquet');
    expect(problem('s3://landing')).toBe('"s3://landing" has no file-name pattern after the prefix: write e.g. s3://landing/incoming/*.parquet');
    expect(problem('s3://landing/incoming/')).toBe('"s3://landing/incoming/" has no file-name pattern after the prefix: write e.g. s3://landing/incoming/*.parquet');
    expect(problem('s3://landing/*/part.parquet')).toBe('* and ? match in the object name (after the last /) only, not in the prefix "*/"');
    expect(problem('s3://Landing_Zone/*.csv')).toMatch(/^bucket "Landing_Zone": a bucket name has lowercase letters/);
    expect(problem('gs://landing/*.csv')).toBe('expected s3://bucket/prefix/<file-name pattern>, got "gs://landing/*.csv"');
  });
});

describe('compileS3FileListerOptions', () => {
  it('fills the defaults like the S3 artifact store', () => {
    expect(compileS3FileListerOptions({ url: 's3://landing/in/*.csv' })).toEqual({
      bucket: 'landing', prefix: 'in/', glob: '*.csv', endpoint: undefined, region: 'us-east-1', forcePathStyle: false, credentials: undefined, pageSize: 1000,
    });
    expect(compileS3FileListerOptions({ url: 's3://landing/in/*.csv', endpoint: 'http://127.0.0.1:9000', accessKeyId: 'k', secretAccessKey: 's' })).toMatchObject({
      forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
  });

  it('rejects a bad URL, half a key pair and a page size S3 does not allow', () => {
    expect(() => compileS3FileListerOptions({ url: 's3://' })).toThrow(InvalidInputError);
    expect(() => compileS3FileListerOptions({ url: 's3://landing/*.csv', accessKeyId: 'k' })).toThrow('secretAccessKey: give both accessKeyId and secretAccessKey, or neither');
    expect(() => compileS3FileListerOptions({ url: 's3://landing/*.csv', pageSize: 1001 })).toThrow('pageSize: 1001 is not an integer from 1 to 1000');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** An S3-API server on a free loopback port, for tests and benchmarks. */
export interface LocalS3Server {
  endpoint: string;
  /** What S3ArtifactStore.open needs besides the bucket. */
  connection: { endpoint: string; region: string; forcePathStyle: true; accessKeyId: string; secretAccessKey: string };
  close(): Promise<void>;
}

/**
 * Starts s3rver in this process with `buckets` created, storing under a fresh temporary folder.
 *
 * @example
 *   const s3 = await startLocalS3(['artifacts']);
 *   const store = await S3ArtifactStore.open({ bucket: 'artifacts', ...s3.connection });
 */
export async function startLocalS3(buckets: string[]): Promise<LocalS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'fw-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    connection: { endpoint, region: 'us-east-1', forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Throughput of the artifact stores' putFile / fetchFile for one large file, on the local store
// and on an S3-API server (s3rver, in a process of its own as a remote server would be), next to
// `cp` of the same file in the same run.
//
//   npm run bench -- artifacts [size in MiB, default 200]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { finished } from 'node:stream/promises';
import type { ArtifactStore } from '../packages/flywheel/src/artifacts/artifact-store.js';
import { LocalArtifactStore } from '../packages/flywheel/src/artifacts/local/local-artifact-store.js';
import { S3ArtifactStore } from '../packages/flywheel/src/artifacts/s3/s3-artifact-store.js';

const MiB = 1024 * 1024;
const RUNS = 3;
const sizeMiB = Number(process.argv[2] ?? 200);
if (!Number.isInteger(sizeMiB) || sizeMiB < 1) {
  console.error('usage: npm run bench -- artifacts [size in MiB]');
  process.exit(2);
}

const BUCKET = 'bench-artifacts';
const work = await mkdtemp(join(tmpdir(), 'fw-bench-artifacts-'));
const s3 = await startS3rverProcess(join(work, 's3rver'));
try {
  const source = join(work, 'source.bin');
  progress(`writing a ${sizeMiB} MiB random file`);
  await writeRandomFile(source, sizeMiB * MiB);

  progress('cp baseline');
  const cpSeconds = await median(async () => {
    const copy = join(work, 'cp-copy.bin');
    const seconds = time(() => {
      const result = spawnSync('cp', [source, copy]);
      if (result.status !== 0) throw new Error(`cp failed: ${result.stderr.toString()}`);
    });
    await rm(copy);
    return seconds;
  });

  const stores: Array<[string, () => Promise<ArtifactStore>]> = [
    ['LocalArtifactStore', () => LocalArtifactStore.open(join(work, 'local-store'))],
    [
      'S3ArtifactStore (s3rver)',
      () =>
        S3ArtifactStore.open({
          bucket: BUCKET,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          spoolDir: join(work, 'spool'),
        }),
    ],
  ];
  const rows: string[] = [];
  const row = (command: string, seconds: number): void => {
    const figure = sizeMiB / seconds;
    const baseline = sizeMiB / cpSeconds;
    rows.push(
      `| ${new Date().toISOString().slice(0, 10)} | ${availableParallelism()} | ${process.version} | ${command} | ${figure.toFixed(0)} MiB/s | cp: ${baseline.toFixed(0)} MiB/s | ${(figure / baseline).toFixed(2)} |`,
    );
  };

  for (const [name, open] of stores) {
    const store = await open();
    let digest = '';
    progress(`${name}.putFile`);
    row(
      `${name}.putFile(${sizeMiB} MiB)`,
      await median(async () => {
        if (digest !== '') await store.delete(digest);
        const started = performance.now();
        digest = (await store.putFile(source)).digest;
        return (performance.now() - started) / 1000;
      }),
    );
    progress(`${name}.fetchFile`);
    row(
      `${name}.fetchFile(${sizeMiB} MiB)`,
      await median(async () => {
        const destination = join(work, 'fetched.bin');
        const started = performance.now();
        await store.fetchFile(digest, destination);
        const seconds = (performance.now() - started) / 1000;
        await rm(destination);
        return seconds;
      }),
    );
    await store.close();
  }

  console.log('| date | nproc | node | command | figure | baseline | ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const line of rows) console.log(line);
} finally {
  await s3.close();
  await rm(work, { recursive: true, force: true });
}

/** s3rver in a child process on a free loopback port, with the bench bucket created. */
async function startS3rverProcess(directory: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const cli = fileURLToPath(import.meta.resolve('s3rver/bin/s3rver.js'));
  const child = spawn(process.execPath, [cli, '-d', directory, '-a', '127.0.0.1', '-p', '0', '-s', '--configure-bucket', BUCKET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  for await (const line of createInterface({ input: child.stdout })) {
    const port = /listening on [\d.]+:(\d+)/.exec(line)?.[1];
    if (port !== undefined) {
      return {
        endpoint: `http://127.0.0.1:${port}`,
        async close() {
          child.kill();
          await exited;
        },
      };
    }
  }
  throw new Error('s3rver exited before listening');
}

async function writeRandomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < size; written += MiB) {
    if (!out.write(randomBytes(Math.min(MiB, size - written)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return (performance.now() - started) / 1000;
}

/** Runs `measure` RUNS times and keeps the median, so one stall of the shared machine does not decide. */
async function median(measure: () => Promise<number>): Promise<number> {
  const seconds: number[] = [];
  for (let run = 0; run < RUNS; run++) seconds.push(await measure());
  return seconds.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

function progress(message: string): void {
  process.stderr.write(`… ${message}\n`);
}

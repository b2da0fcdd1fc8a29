import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalS3Server } from '../artifacts/s3/s3rver-fixture.js';
import { startLocalS3 } from '../artifacts/s3/s3rver-fixture.js';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { startController, type Controller } from './controller.js';
import type { ControllerNote } from './controller-state.js';
import { compileLoopConfig } from './loop-config.js';

const pipelineDir = fileURLToPath(new URL('../pipeline/', import.meta.url));

/** One step that appends its `file` parameter to a log. */
const LOG_PIPELINE = `
import { appendFileSync } from 'node:fs';
import { component } from ${JSON.stringify(join(pipelineDir, 'component.ts'))};
import { pipeline } from ${JSON.stringify(join(pipelineDir, 'pipeline.ts'))};
const log = component({ name: 'log', version: '1', run: ({ params }) => appendFileSync(params.log, params.file + '\\n') });
export default pipeline({ name: 'log' }, (p, { log: path, file }) => void p.step(log, { params: { log: path, file } }));
`;

/** The controller over an S3 data trigger: config to firing to the run's `${file}`, against s3rver. */
describe('the controller with an S3 data trigger', () => {
  const T = Date.UTC(2026, 0, 1);
  let s3: LocalS3Server;
  let dir: string;
  let stack: Stack;
  let controller: Controller;
  let now = T;
  const notes: ControllerNote[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3(['landing']);
    dir = await mkdtemp(join(tmpdir(), 'flywheel-s3-trigger-'));
    await writeFile(join(dir, 'log.mts'), LOG_PIPELINE);
    stack = await openStack({ projectDir: dir, env: {} });
    const loop = compileLoopConfig({
      triggers: [
        { name: 'landing', pipeline: 'log.mts', params: { log: join(dir, 'runs.log'), file: '${file}' }, data: { path: 's3://landing/incoming/*.parquet', debounce: '30s', s3: s3.connection } },
        { name: 'absent', pipeline: 'log.mts', params: { log: join(dir, 'runs.log'), file: '${file}' }, data: { path: 's3://absent/*.parquet', s3: s3.connection } },
      ],
      tickMs: 60_000,
    }, dir);
    controller = await startController({ stack, loop, clock: () => now, onNote: (n) => notes.push(n) });
  });

  afterAll(async () => {
    await controller?.stop();
    await stack?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fires a run for an object that arrived, with its s3:// URL as ${file}, and notes a missing bucket once', async () => {
    const { accessKeyId, secretAccessKey, ...connection } = s3.connection;
    const client = new S3Client({ ...connection, credentials: { accessKeyId, secretAccessKey } });
    await client.send(new PutObjectCommand({ Bucket: 'landing', Key: 'incoming/day-1.parquet', Body: Buffer.from('rows') }));
    client.destroy();
    now = T + 1000;
    await controller.tick();
    now = T + 1000 + 30_000;
    await controller.idle();

    const [firing] = await stack.control.findFirings({ trigger: 'landing' });
    expect(firing).toMatchObject({ status: 'complete', event: { kind: 'data', file: 's3://landing/incoming/day-1.parquet', files: ['s3://landing/incoming/day-1.parquet'] } });
    expect(await readFile(join(dir, 'runs.log'), 'utf8')).toBe('s3://landing/incoming/day-1.parquet\n');
    const missing = notes.filter((n) => n.text.startsWith('trigger absent:'));
    expect(missing.map((n) => n.text)).toEqual([`trigger absent: the watched bucket absent does not exist (s3://absent at ${s3.endpoint})`]);
  });
});

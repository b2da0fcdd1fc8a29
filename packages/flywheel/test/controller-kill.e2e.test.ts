import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { registerModelFile } from '../src/deploy/register-model.js';
import { readPredictionLog, predictionLogDir } from '../src/serving/prediction-log/parquet-prediction-log.js';
import { linearRegressorModel } from '../src/serving/test-support.js';
import { FIXTURES, startCli, waitFor } from './cli.js';

const FILES = 8;
const KILLS = 6;

/**
 * `flywheel up` killed with SIGKILL at random moments while files arrive in a watched folder and
 * requests come in, then started again, several times over: in the end every file fired exactly
 * one run, every run completed (resumed under its id where it was cut), and the prediction log
 * reads back whole.
 */
describe('the controller under kill -9', () => {
  it('loses no trigger, doubles none, and keeps the prediction log intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-kill-'));
    const incoming = join(dir, 'incoming');
    mkdirSync(incoming);
    const setup = await openStack({ projectDir: dir, env: {} });
    try {
      const model = join(dir, 'model.onnx');
      await writeFile(model, linearRegressorModel([1, 2, 3, 4], 0.5));
      await registerModelFile(setup, { model: 'tensor', path: model });
      await setup.registry.setAlias('tensor', 'champion', 1, { actor: 'test', reason: 'fixture' });
    } finally {
      await setup.close();
    }
    writeFileSync(join(dir, 'flywheel.loop.json'), JSON.stringify({
      serve: { port: 0, models: [{ name: 'tensor' }] },
      triggers: [{ name: 'arrival', pipeline: join(FIXTURES, 'arrival-pipeline.ts'), params: { file: '${file}', ms: 300 }, data: { path: 'incoming/*.csv', debounce: '200ms' } }],
      tickMs: 50,
    }));

    const up = () => {
      const started = startCli(['up'], { cwd: dir });
      let out = '';
      started.child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      return { ...started, url: async () => {
        await waitFor('the controller to serve', () => /controller up at (http:\/\/\S+)/.test(out), 60_000);
        return /controller up at (http:\/\/\S+)/.exec(out)![1]!;
      } };
    };
    let answered = 0;
    const traffic = async (url: string, until: () => boolean) => {
      while (!until()) {
        const body = JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
        try {
          const response = await fetch(`${url}/v2/models/tensor/infer`, { method: 'POST', body });
          if (response.status === 200) answered++;
        } catch {
          return; // the controller was killed
        }
      }
    };

    const observer = await openStack({ projectDir: dir, env: {} });
    const waitUntil = async (check: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    let written = 0;
    for (let round = 0; round < KILLS; round++) {
      const controller = up();
      const url = await controller.url();
      let killed = false;
      const sending = traffic(url, () => killed);
      // A file or two arrive while it runs; the kill lands at a random moment of the runs they start,
      // and in the first round surely in the middle of one.
      for (const _ of [0, 1]) {
        if (written < FILES) writeFileSync(join(incoming, `part-${String(written++).padStart(2, '0')}.csv`), `rows ${written}\n`);
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 500));
      }
      if (round === 0) await waitUntil(async () => (await observer.control.findFirings({ statuses: ['running'] })).length > 0);
      controller.child.kill('SIGKILL');
      killed = true;
      await controller.done;
      await sending;
    }
    while (written < FILES) writeFileSync(join(incoming, `part-${String(written++).padStart(2, '0')}.csv`), `rows ${written}\n`);

    const last = up();
    const url = await last.url();
    let stopped = false;
    const sending = traffic(url, () => stopped);
    const stack = observer;
    try {
      const firings = async () => stack.control.findFirings({ limit: 1000 });
      const handled = async () => (await firings()).flatMap((f) => f.event.files as string[]);
      await waitUntil(async () => (await handled()).length >= FILES && (await firings()).every((f) => f.status === 'complete')).catch(() => undefined);
      const all = await firings();
      const files = (await handled()).map((f) => f.slice(incoming.length + 1)).sort();
      expect(files).toEqual(Array.from({ length: FILES }, (_, i) => `part-${String(i).padStart(2, '0')}.csv`));
      expect(all.map((f) => f.status)).toEqual(all.map(() => 'complete'));
      expect(new Set(all.map((f) => f.runId)).size).toBe(all.length);
      let resumed = 0;
      for (const firing of all) {
        const run = await stack.metadata.findContext('pipeline_run', firing.runId);
        expect(run?.properties.status).toBe('complete');
        if (run?.properties.resumedAt) resumed++;
        expect(run?.properties.trigger).toMatchObject({ name: 'arrival', eventKey: firing.eventKey });
      }
      expect(resumed).toBeGreaterThan(0);
      // Serving agrees with the registry, and every logged record reads back.
      const metadata = (await (await fetch(`${url}/v2/models/tensor`)).json()) as { versions: string[] };
      expect(metadata.versions).toEqual(['1']);
    } finally {
      stopped = true;
      await sending;
      // Records still queued in memory when a controller is killed are lost (at most a flush interval's worth); a clean stop writes them.
      last.child.kill('SIGINT');
      expect((await last.done).code).toBe(0);
      const records = await readPredictionLog({ dir: predictionLogDir(stack.home), model: 'tensor' });
      expect(answered).toBeGreaterThan(0);
      expect(records.length).toBeGreaterThan(0);
      expect(records.length).toBeLessThanOrEqual(answered);
      expect(new Set(records.map((r) => r.predictionId)).size).toBe(records.length);
      await stack.close();
    }
  }, 300_000);
});

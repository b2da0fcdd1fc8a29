import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import { compileLoopConfig, loadLoopConfig, type LoopConfigInput } from './loop-config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-loop-config-'));
  await mkdir(join(dir, 'pipelines'));
  await writeFile(join(dir, 'pipelines', 'retrain.ts'), 'export default undefined;\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A valid loop; each test breaks one thing in it. */
function loop(): LoopConfigInput {
  return {
    serve: { models: [{ name: 'flights' }] },
    monitor: [{ model: 'flights', window: '1d', rules: [{ name: 'auc-drop', metric: 'auc', below: 0.7 }] }],
    triggers: [{ name: 'nightly', pipeline: 'pipelines/retrain.ts', schedule: { cron: '0 3 * * *' } }],
  };
}

function rejected(value: unknown, file?: string): ConfigError {
  try {
    compileLoopConfig(value, dir, file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

/** A copy of the valid loop with the value at `path` (`triggers[0].schedule.cron`) replaced; undefined removes the key. */
function changed(path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(loop()) as Record<string, unknown>;
  const keys = path.split(/\.|\[(\d+)\]/).filter((key) => key !== undefined && key !== '');
  const parent = keys.slice(0, -1).reduce((node, key) => (node as Record<string, unknown>)[key], copy as unknown) as Record<string, unknown>;
  if (value === undefined) delete parent[keys.at(-1)!];
  else parent[keys.at(-1)!] = value;
  return copy;
}

describe('compileLoopConfig', () => {
  it('fills the defaults, parses durations and schedules, and makes paths absolute', () => {
    const compiled = compileLoopConfig({
      serve: { models: [{ name: 'flights' }] },
      monitor: [{ model: 'flights', window: '1d', lookback: '2w', rules: [{ name: 'auc-drop', metric: 'auc', below: 0.7 }] }],
      triggers: [
        { name: 'nightly', pipeline: 'pipelines/retrain.ts', params: { until: '${time}' }, schedule: { cron: ' 0 3 * * * ', timezone: 'Europe/Berlin', catchUp: { all: true, max: 3 } } },
        { name: 'arrivals', pipeline: join(dir, 'pipelines', 'retrain.ts'), maxConcurrent: 2, data: { path: 'incoming/*.parquet', debounce: '30s' } },
        { name: 'on-alert', pipeline: 'pipelines/retrain.ts', alert: { rules: ['auc-drop'], cooldown: '7d' } },
        { name: 'by-hand', pipeline: './pipelines/retrain.ts', manual: true },
      ],
      rollout: [{ model: 'flights', canary: { percent: 10 } }],
    }, dir, join(dir, 'flywheel.loop.json'));

    expect(compiled.file).toBe(join(dir, 'flywheel.loop.json'));
    expect(compiled.serve).toEqual({ host: '127.0.0.1', port: 8080, models: [{ name: 'flights', ref: 'champion' }], labels: true });
    expect(compiled.monitor).toEqual([{
      model: 'flights', window: 86_400_000, every: 60_000, lookback: 1_209_600_000,
      rules: [{ name: 'auc-drop', metric: 'auc', below: 0.7, for: 1, minLabeled: 100 }],
    }]);
    expect(compiled.rollout).toEqual([{ model: 'flights', minImprovement: 0, minLabeled: 200, canary: { percent: 10, minLabeled: 200, tolerance: 0.01, timeout: 604_800_000 } }]);
    expect([compiled.maxConcurrentRuns, compiled.tickMs]).toEqual([1, 1000]);

    const pipelineFile = join(dir, 'pipelines', 'retrain.ts');
    const [nightly, arrivals, onAlert, byHand] = compiled.triggers;
    const { cron, ...scheduled } = nightly!;
    expect(scheduled).toEqual({
      name: 'nightly', pipeline: 'pipelines/retrain.ts', pipelineFile, params: { until: '${time}' }, maxConcurrent: 1,
      schedule: { cron: ' 0 3 * * * ', timezone: 'Europe/Berlin', catchUp: { all: true, max: 3 } },
    });
    expect(cron).toMatchObject({ cron: '0 3 * * *', timezone: 'Europe/Berlin', catchUp: { all: true, max: 3 } });
    expect(cron!.next(new Date('2026-06-01T12:00:00Z'))).toEqual(new Date('2026-06-02T01:00:00Z'));
    expect(arrivals).toEqual({
      name: 'arrivals', pipeline: pipelineFile, pipelineFile, params: {}, maxConcurrent: 2,
      data: { path: join(dir, 'incoming', '*.parquet'), debounce: 30_000 },
    });
    expect(onAlert).toEqual({ name: 'on-alert', pipeline: 'pipelines/retrain.ts', pipelineFile, params: {}, maxConcurrent: 1, alert: { rules: ['auc-drop'], cooldown: 604_800_000 } });
    expect(byHand).toEqual({ name: 'by-hand', pipeline: './pipelines/retrain.ts', pipelineFile, params: {}, maxConcurrent: 1, manual: true });
  });

  it('keeps an s3:// data path as it is, with the bucket’s connection', () => {
    const s3 = { endpoint: 'http://127.0.0.1:9000', region: 'eu-central-1', forcePathStyle: true, accessKeyId: 'key', secretAccessKey: 'secret' };
    const compiled = compileLoopConfig(changed('triggers[0]', { name: 'landing', pipeline: 'pipelines/retrain.ts', params: { file: '${file}' }, data: { path: 's3://landing/incoming/*.parquet', s3 } }), dir);
    expect(compiled.triggers[0]!.data).toEqual({ path: 's3://landing/incoming/*.parquet', debounce: 5000, s3 });
    const withDefaults = compileLoopConfig(changed('triggers[0]', { name: 'landing', pipeline: 'pipelines/retrain.ts', data: { path: 's3://landing/*.csv', debounce: '1m' } }), dir);
    expect(withDefaults.triggers[0]!.data).toEqual({ path: 's3://landing/*.csv', debounce: 60_000 });
  });

  it('rejects an s3:// data path that cannot be watched, and a bad connection, naming the key', () => {
    const data = (value: unknown) => rejected(changed('triggers[0]', { name: 'landing', pipeline: 'pipelines/retrain.ts', data: value }));
    expect(data({ path: 's3://' }).message).toBe('config error at triggers[0].data.path ((inline)): "s3://" names no bucket: write s3://bucket/prefix/*.parquet');
    expect(data({ path: 's3:///incoming/*.parquet' }).key).toBe('triggers[0].data.path');
    expect(data({ path: 's3://landing/incoming/' }).message).toBe(
      'config error at triggers[0].data.path ((inline)): "s3://landing/incoming/" has no file-name pattern after the prefix: write e.g. s3://landing/incoming/*.parquet',
    );
    expect(data({ path: 's3://landing/*/part.parquet' }).message).toBe('config error at triggers[0].data.path ((inline)): * and ? match in the object name (after the last /) only, not in the prefix "*/"');
    expect(data({ path: 's3://Landing/*.csv' }).key).toBe('triggers[0].data.path');
    expect(data({ path: 'gs://landing/*.csv' }).message).toBe(
      'config error at triggers[0].data.path ((inline)): gs:// cannot be watched: give a folder\'s file pattern (incoming/*.parquet) or s3://bucket/prefix/*.parquet',
    );
    expect(data({ path: 'incoming/*.csv', s3: { region: 'eu-west-1' } }).message).toBe('config error at triggers[0].data.s3 ((inline)): is only for an s3:// path');
    expect(data({ path: 's3://landing/*.csv', s3: { accessKeyId: 'key' } }).message).toBe(
      'config error at triggers[0].data.s3.secretAccessKey ((inline)): give both accessKeyId and secretAccessKey, or neither',
    );
    expect(data({ path: 's3://landing/*.csv', s3: { endpoint: 'localhost 9000' } }).key).toBe('triggers[0].data.s3.endpoint');
    expect(data({ path: 's3://landing/*.csv', s3: { bucket: 'other' } }).message).toBe('config error at triggers[0].data.s3 ((inline)): Unrecognized key: "bucket"');
  });

  it('defaults an empty loop to nothing served, monitored or triggered', () => {
    expect(compileLoopConfig({}, dir)).toEqual({ monitor: [], triggers: [], rollout: [], maxConcurrentRuns: 1, tickMs: 1000, file: undefined });
  });

  it('rejects an invalid cron expression, naming the trigger’s schedule and keeping the hint', () => {
    const error = rejected(changed('triggers[0].schedule.cron', 'banana'), join(dir, 'flywheel.loop.json'));
    expect(error.key).toBe('triggers[0].schedule');
    expect(error.source).toBe(join(dir, 'flywheel.loop.json'));
    expect(error.message).toMatch(new RegExp(`^config error at triggers\\[0\\]\\.schedule \\(${dir}/flywheel\\.loop\\.json\\): triggers\\[0\\]\\.schedule\\.cron: invalid cron expression "banana"`));
    expect(error.hint).toMatch(/minute hour day-of-month month day-of-week/);
  });

  it('rejects an unknown time zone', () => {
    const error = rejected(changed('triggers[0].schedule.timezone', 'Mars/Olympus_Mons'));
    expect(error.key).toBe('triggers[0].schedule');
    expect(error.message).toBe('config error at triggers[0].schedule ((inline)): triggers[0].schedule.timezone: unknown time zone "Mars/Olympus_Mons"');
  });

  it('rejects a trigger with two kinds or none', () => {
    const two = rejected(changed('triggers[0].manual', true));
    expect(two.message).toBe('config error at triggers[0] ((inline)): give exactly one of schedule, data, alert and manual');
    const none = rejected(changed('triggers[0].schedule', undefined));
    expect(none.message).toBe('config error at triggers[0] ((inline)): give exactly one of schedule, data, alert and manual');
  });

  it('rejects a pipeline file that does not exist', () => {
    const error = rejected(changed('triggers[0].pipeline', 'pipelines/missing.ts'));
    expect(error.key).toBe('triggers[0].pipeline');
    expect(error.message).toBe(`config error at triggers[0].pipeline ((inline)): ${join(dir, 'pipelines', 'missing.ts')} does not exist`);
  });

  it('rejects an alert trigger naming a rule no monitor defines', () => {
    const error = rejected(changed('triggers[1]', { name: 'on-alert', pipeline: 'pipelines/retrain.ts', alert: { rules: ['auc-drop', 'auc-dorp'] } }));
    expect(error.key).toBe('triggers[1].alert.rules[1]');
    expect(error.message).toBe('config error at triggers[1].alert.rules[1] ((inline)): no monitor rule is named auc-dorp');
    expect(error.hint).toBe('rules: auc-drop');
  });

  it('rejects duplicate trigger names and duplicate rule names', () => {
    const triggers = rejected(changed('triggers[1]', { name: 'nightly', pipeline: 'pipelines/retrain.ts', manual: true }));
    expect(triggers.message).toBe('config error at triggers[1].name ((inline)): nightly names another trigger too');
    const rules = rejected(changed('monitor[1]', { model: 'flights', window: '1h', rules: [{ name: 'auc-drop', metric: 'auc', below: 0.5 }] }));
    expect(rules.message).toBe('config error at monitor[1].rules[0].name ((inline)): auc-drop is used by another rule');
  });

  it('rejects a bad duration', () => {
    const error = rejected(changed('monitor[0].window', 'a day'));
    expect(error.key).toBe('monitor[0].window');
    expect(error.message).toBe('config error at monitor[0].window ((inline)): expected a duration such as 30s, 15m, 6h, 1d or 1w, got "a day"');
    expect(rejected(changed('triggers[0]', { name: 'arrivals', pipeline: 'pipelines/retrain.ts', data: { path: 'in/*', debounce: '0s' } })).key).toBe('triggers[0].data.debounce');
  });

  it('rejects a rollout or monitor of a model that is not served', () => {
    const rollout = rejected(changed('rollout', [{ model: 'churn' }]));
    expect(rollout.message).toBe('config error at rollout[0].model ((inline)): churn is not among serve.models');
    const monitor = rejected(changed('monitor[0].model', 'churn'));
    expect(monitor.message).toBe('config error at monitor[0].model ((inline)): churn is not among serve.models');
    expect(monitor.hint).toBe('monitoring reads what the controller serves');
    const unserved = rejected(changed('serve', undefined));
    expect(unserved.key).toBe('monitor[0].model');
  });

  it('rejects a window under a second, an unknown rollout metric, and a model monitored or rolled out twice', () => {
    expect(rejected(changed('monitor[0].window', '500ms')).message).toBe('config error at monitor[0].window ((inline)): a window is at least 1s');
    expect(rejected(changed('rollout', [{ model: 'flights', metric: 'aucc' }])).key).toBe('rollout[0].metric');
    const monitor = (rejected(changed('monitor', [{ model: 'flights', window: '1d' }, { model: 'flights', window: '7d' }])));
    expect(monitor.message).toBe('config error at monitor[1].model ((inline)): flights is listed twice in monitor');
    expect(rejected(changed('rollout', [{ model: 'flights' }, { model: 'flights' }])).key).toBe('rollout[1].model');
  });

  it('rejects unknown keys, naming the object and the key', () => {
    expect(rejected(changed('tick', 5)).message).toBe('config error at (loop) ((inline)): Unrecognized key: "tick"');
    expect(rejected(changed('triggers[0].schedule.zone', 'UTC')).message).toBe('config error at triggers[0].schedule ((inline)): Unrecognized key: "zone"');
    expect(rejected(changed('serve.models[0].version', 2)).message).toBe('config error at serve.models[0] ((inline)): Unrecognized key: "version"');
  });
});

describe('loadLoopConfig', () => {
  async function project(files: Record<string, string>): Promise<string> {
    const projectDir = await mkdtemp(join(dir, 'project-'));
    await mkdir(join(projectDir, 'pipelines'));
    await writeFile(join(projectDir, 'pipelines', 'retrain.ts'), 'export default undefined;\n');
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(projectDir, name, '..'), { recursive: true });
      await writeFile(join(projectDir, name), text);
    }
    return projectDir;
  }

  it('finds flywheel.loop.json in the project folder', async () => {
    const projectDir = await project({ 'flywheel.loop.json': JSON.stringify(loop()) });
    const loaded = await loadLoopConfig(projectDir);
    expect(loaded.file).toBe(join(projectDir, 'flywheel.loop.json'));
    expect(loaded.triggers.map((t) => [t.name, t.pipelineFile])).toEqual([['nightly', join(projectDir, 'pipelines', 'retrain.ts')]]);
  });

  it('prefers a module loop file to a JSON one', async () => {
    const projectDir = await project({
      'flywheel.loop.json': JSON.stringify(loop()),
      'flywheel.loop.mjs': `export default ${JSON.stringify({ ...loop(), tickMs: 250 })};\n`,
    });
    const loaded = await loadLoopConfig(projectDir);
    expect([loaded.file, loaded.tickMs]).toEqual([join(projectDir, 'flywheel.loop.mjs'), 250]);
  });

  it('reads the file given with --loop, relative to the project folder', async () => {
    const projectDir = await project({ 'loops/staging.json': JSON.stringify({ ...loop(), maxConcurrentRuns: 3 }) });
    const loaded = await loadLoopConfig(projectDir, 'loops/staging.json');
    expect([loaded.file, loaded.maxConcurrentRuns]).toEqual([join(projectDir, 'loops', 'staging.json'), 3]);
    await expect(loadLoopConfig(projectDir, 'loops/missing.json')).rejects.toThrow(`config error at (file) (${join(projectDir, 'loops', 'missing.json')}): the loop file does not exist`);
  });

  it('names the file that is not valid JSON, and the file of a bad value', async () => {
    const projectDir = await project({ 'flywheel.loop.json': '{ "triggers": [ }' });
    const file = join(projectDir, 'flywheel.loop.json');
    const error = await loadLoopConfig(projectDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe(file);
    expect((error as Error).message).toMatch(new RegExp(`^config error at \\(file\\) \\(${file}\\): cannot be read: .*JSON`));

    await writeFile(file, JSON.stringify({ ...loop(), tickMs: 5 }));
    await expect(loadLoopConfig(projectDir)).rejects.toThrow(`config error at tickMs (${file}): `);
  });

  it('names the files it looked for when there is none', async () => {
    const projectDir = await project({});
    const error = await loadLoopConfig(projectDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`config error at (file) (${projectDir}): no flywheel.loop.ts, flywheel.loop.mjs, flywheel.loop.js, flywheel.loop.json in the project folder`);
    expect((error as ConfigError).hint).toMatch(/--loop <file>/);
  });
});

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import { openSqliteMetadataBackend } from '../metadata/sql/sqlite/open-sqlite-metadata.js';
import { TrackingFileError, ingestTrackingFile } from './tracking-file.js';
import type { TrackingStore } from './tracking-store.js';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-tracking-file-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function trackingFile(...lines: string[]): string {
  const path = join(dir, `tracking-${++files}.ndjson`);
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('ingestTrackingFile', () => {
  let backend: MetadataBackend;
  let store: TrackingStore;
  let runId: string;

  beforeEach(async () => {
    backend = await openSqliteMetadataBackend({ path: ':memory:' });
    store = backend.tracking;
    runId = (await store.createRun({ runName: 'step' })).info.runId;
  });
  afterEach(async () => {
    await backend.close();
  });

  it('logs metrics, params and tags written by a program in any language', async () => {
    const path = trackingFile(
      '{"metric": "loss", "value": 0.5, "step": 0, "timestamp": 1000}',
      '{"metric": "loss", "value": 0.3, "step": 1, "timestamp": 2000}',
      '',
      '{"metric": "auc", "value": 0.8}',
      '{"metric": "nan", "value": NaN}',
      '{"metric": "inf", "value": "Infinity", "step": 2}',
      '{"param": "depth", "value": 6}',
      '{"param": "depth", "value": "6"}',
      '{"param": "fast", "value": true}',
      '{"tag": "stage", "value": "draft"}',
      '{"tag": "stage", "value": "candidate"}',
      '',
    );
    const modified = Math.floor(statSync(path).mtimeMs);
    expect(await ingestTrackingFile(store, runId, path)).toEqual({ metrics: 5, params: 2, tags: 1 });
    const { data } = await store.getRun(runId);
    expect(data.params).toEqual([{ key: 'depth', value: '6' }, { key: 'fast', value: 'true' }]);
    expect(data.tags).toContainEqual({ key: 'stage', value: 'candidate' });
    expect((await store.getMetricHistory(runId, 'loss')).items).toEqual([
      { key: 'loss', value: 0.5, step: 0, timestamp: 1000 },
      { key: 'loss', value: 0.3, step: 1, timestamp: 2000 },
    ]);
    const auc = data.metrics.find((m) => m.key === 'auc');
    expect(auc?.step).toBe(0);
    expect(auc?.timestamp).toBe(modified);
    expect(data.metrics.find((m) => m.key === 'nan')?.value).toBeNaN();
    expect(data.metrics.find((m) => m.key === 'inf')?.value).toBe(1.7976931348623157e308);
  });

  it('changes nothing when ingested again', async () => {
    const path = trackingFile('{"metric": "m", "value": 1}', '{"metric": "m", "value": 2, "timestamp": 5}', '{"param": "p", "value": "x"}', '{"tag": "t", "value": "y"}');
    await ingestTrackingFile(store, runId, path);
    await ingestTrackingFile(store, runId, path);
    expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(2);
  });

  it('writes metrics in MLflow-sized batches', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ metric: 'm', value: i, step: i }));
    expect((await ingestTrackingFile(store, runId, trackingFile(...lines))).metrics).toBe(2500);
    expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(2500);
  });

  const invalid: [string[], number, string][] = [
    [['{"metric": "m", "value": 1}', '{"metric": "m", "value": 1', '{"tag": "t", "value": "v"}'], 2, 'not valid JSON'],
    [['[1, 2]'], 1, 'expected a JSON object'],
    [['{"value": 1}'], 1, 'expected one of the fields "metric", "param" or "tag"'],
    [['{"metric": "m", "param": "p", "value": 1}'], 1, 'expected only one of the fields "metric", "param" or "tag", found "metric" and "param"'],
    [['{"metric": "m", "value": 1, "unit": "s"}'], 1, 'unknown field "unit" in a metric line (allowed: metric, value, step, timestamp)'],
    [['{"param": "p"}'], 1, 'a param line needs a "value"'],
    [['{"metric": "a,b", "value": 1}'], 1, "Invalid metric name: 'a,b'. Names may only contain"],
    [['{"metric": "m", "value": "high"}'], 1, "Got invalid value 'high' for metric 'm'"],
    [['{"metric": "m", "value": 1, "step": "2"}'], 1, "Got invalid step '2' for metric 'm'"],
    [['', '{"param": "p", "value": "1"}', '{"param": "p", "value": "2"}'], 3, `param 'p' was logged with "1" on line 2 and with "2" here; params cannot change`],
    [[`{"param": "p", "value": "${'x'.repeat(6001)}"}`], 1, 'had length 6001, which exceeded length limit of 6000'],
    [['{"tag": "t", "value": null}'], 1, 'Tag value must be a string, got null'],
  ];
  for (const [lines, line, message] of invalid) {
    it(`names line ${line} when it is not valid: ${message.slice(0, 50)}`, async () => {
      const path = trackingFile(...lines);
      const error = await ingestTrackingFile(store, runId, path).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TrackingFileError);
      expect((error as TrackingFileError).line).toBe(line);
      expect((error as TrackingFileError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((error as Error).message).toContain(`${path} line ${line}: `);
      expect((error as Error).message).toContain(message);
      const { data } = await store.getRun(runId);
      expect(data.metrics).toEqual([]);
      expect(data.params).toEqual([]);
    });
  }

  it('refuses a param whose value the run already has differently', async () => {
    await store.logBatch(runId, { params: [{ key: 'p', value: '1' }] });
    await expect(ingestTrackingFile(store, runId, trackingFile('{"param": "p", "value": "2"}'))).rejects.toThrow('Changing param values is not allowed');
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { compilePipeline } from '../pipeline/ir.js';
import { pipeline } from '../pipeline/pipeline.js';
import { runPipeline } from '../pipeline/runner.js';
import { parseFormat } from './format-file.js';
import { ingestComponent } from './ingest.js';
import { schemaComponent } from './schema.js';
import { statisticsComponent } from './statistics.js';
import { STATISTICS_FORMAT, STATISTICS_FORMAT_V1, statisticsFormat } from './statistics-format.js';
import { validateComponent } from './validate.js';

let dir: string;
let stack: Stack;

/** 2,000 readings, three of them malformed lines; `sensor` s4 appears only in the last five. */
function readings(): string {
  const lines = ['id,sensor,value'];
  for (let i = 1; i <= 2000; i++) {
    if (i === 10) lines.push('10,s1');
    else if (i === 20) lines.push('20,s2,3.5,extra');
    else if (i === 30) lines.push('30,s3,not-a-number');
    else lines.push(`${i},s${i > 1995 ? 4 : i % 4},${(i % 100) / 10}`);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-data-pipeline-'));
  stack = await openStack({ projectDir: join(dir, 'project'), env: {} });
  await writeFile(join(dir, 'readings.csv'), readings());
});

afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

function dataPipeline(failOn: 'error' | 'warning') {
  return pipeline({ name: `readings-${failOn}` }, (p) => {
    const data = p.step(ingestComponent, {
      params: { source: join(dir, 'readings.csv'), csv: { columnTypes: { value: 'DOUBLE' } }, split: 'time:id:1001' },
    });
    const train = p.step(statisticsComponent, { name: 'statistics-train', params: { split: 'train' }, inputs: { examples: data.outputs.examples } });
    const evaluation = p.step(statisticsComponent, { name: 'statistics-eval', params: { split: 'eval' }, inputs: { examples: data.outputs.examples } });
    const schema = p.step(schemaComponent, { inputs: { statistics: train.outputs.statistics } });
    p.step(validateComponent, {
      inputs: { statistics: evaluation.outputs.statistics, schema: schema.outputs.schema, reference: train.outputs.statistics },
      params: { failOn },
    });
  });
}

async function document(digest: string | null): Promise<unknown> {
  return JSON.parse((await stack.artifacts.readBytes(digest!)).toString('utf8')) as unknown;
}

describe('ingest → statistics per split → schema → validate, run by the pipeline runner', () => {
  it('records reconciled counts, the rejects and the splits as artifacts, and lets warnings through', async () => {
    const result = await runPipeline(stack, compilePipeline(dataPipeline('error'), {}));
    expect(result.status).toBe('complete');

    const { examples, rejects } = result.steps.ingest!.outputs;
    expect(examples!.type).toBe('Dataset');
    expect(examples!.properties).toMatchObject({ rowCount: 1997, rowsRead: 2000, rowsRejected: 3, rowsFiltered: 0, splits: { train: 997, eval: 1000 } });
    expect(rejects!.type).toBe('Rejects');
    expect(rejects!.properties).toEqual({ rowCount: 3, reasons: { cast: 1, missing_columns: 1, too_many_columns: 1 } });

    const train = parseFormat(await document(result.steps['statistics-train']!.outputs.statistics!.digest), [STATISTICS_FORMAT, STATISTICS_FORMAT_V1], statisticsFormat, 'train');
    expect(train.rowCount).toBe(997);
    expect(train.columns.map((c) => c.name)).toEqual(['id', 'sensor', 'value']);

    const anomalies = await document(result.steps.validate!.outputs.anomalies!.digest) as { anomalies: { code: string; feature: string | null }[] };
    expect(anomalies.anomalies.map((a) => [a.code, a.feature])).toEqual([['out_of_range', 'id'], ['unseen_category', 'sensor']]);
    expect(result.steps.validate!.outputs.anomalies!.properties).toEqual({ errors: 0, warnings: 2 });
  });

  it('stops the run at the validate step when failOn says so, naming the anomalies', async () => {
    const result = await runPipeline(stack, compilePipeline(dataPipeline('warning'), {}));
    expect(result.status).toBe('failed');
    expect(result.steps.ingest!.status).toBe('cached');
    expect(result.steps.validate!.status).toBe('failed');
    expect(result.error).toContain('data validation failed with 2 warnings');
    expect(result.error).toContain('warning unseen_category in "sensor"');
  });
});

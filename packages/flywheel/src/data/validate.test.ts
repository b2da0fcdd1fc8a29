import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANOMALIES_FORMAT, readAnomaliesFile } from './anomalies-format.js';
import { DataValidationError } from './errors.js';
import { writeJsonFile } from './format-file.js';
import { inferSchema } from './schema.js';
import type { DataSchema } from './schema-format.js';
import { computeStatistics } from './statistics.js';
import type { DatasetStatistics } from './statistics-format.js';
import { runComponent, writeParquet } from './test-support.js';
import { assertDataValid, validateComponent, validateData } from './validate.js';

let dir: string;
let schema: DataSchema;
const file = (name: string) => join(dir, name);

const COLUMNS = {
  id: 'i',
  amount: '(i % 50)::DOUBLE',
  category: "['d', 'b', 'c', 'a'][i % 4 + 1]",
  flag: 'i % 2 = 0',
  label: '(i % 3 = 0)::INTEGER',
};

const HOLES = { category: "CASE WHEN i % 10 <> 0 THEN 'a' END" };

/** Statistics of 200 rows shaped like the reference, with some columns replaced or removed. */
async function statisticsOf(name: string, changes: Record<string, string | null> = {}, where = 'true'): Promise<DatasetStatistics> {
  const columns = { ...COLUMNS, ...changes };
  const select = Object.entries(columns).filter(([, sql]) => sql !== null).map(([column, sql]) => `${sql} AS ${column}`).join(', ');
  await writeParquet(file(`${name}.parquet`), `SELECT ${select} FROM range(200) t(i) WHERE ${where}`);
  return computeStatistics(file(`${name}.parquet`));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-validate-'));
  schema = inferSchema(await statisticsOf('reference'), { labelColumn: 'label' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('validateData', () => {
  it('finds nothing wrong with data like the reference', async () => {
    const report = validateData({ statistics: await statisticsOf('same'), schema });
    expect(report).toEqual({
      format: ANOMALIES_FORMAT,
      environment: 'training',
      rowCount: 200,
      summary: { errors: 0, warnings: 0, featuresChecked: 5 },
      anomalies: [],
    });
  });

  it('reports a dropped column as an error', async () => {
    const report = validateData({ statistics: await statisticsOf('dropped', { category: null }), schema });
    expect(report.anomalies).toEqual([{
      severity: 'error', code: 'missing_column', feature: 'category', share: null, examples: [],
      description: 'the schema expects column "category" in training data, but it is absent',
    }]);
  });

  it('reports a type change as an error with example values', async () => {
    const report = validateData({ statistics: await statisticsOf('retyped', { amount: "'x' || (i % 3)" }), schema });
    expect(report.anomalies).toEqual([expect.objectContaining({
      severity: 'error', code: 'type_mismatch', feature: 'amount', examples: ['x0', 'x1', 'x2'],
      description: 'expected float, found string (DuckDB VARCHAR)',
    })]);
  });

  it('accepts integers for a float feature and another integer type', async () => {
    const report = validateData({ statistics: await statisticsOf('widened', { amount: '(i % 50)::INTEGER', id: 'i::INTEGER' }), schema });
    expect(report.anomalies).toEqual([]);
  });

  it('reports a new category as a warning with its exact share, and as an error above 1%', async () => {
    const few = validateData({ statistics: await statisticsOf('new-category', { category: "CASE WHEN i = 7 THEN 'z' ELSE 'a' END" }), schema });
    expect(few.anomalies).toEqual([expect.objectContaining({ severity: 'warning', code: 'unseen_category', feature: 'category', examples: ['z'], share: 0.005 })]);
    expect(few.anomalies[0]!.description).toBe('0.5% of values are outside the domain, e.g. "z" (error above 1%)');

    const statistics = await statisticsOf('new-categories', { category: "CASE WHEN i < 10 THEN 'y' || (i % 2) ELSE 'a' END" });
    const many = validateData({ statistics, schema });
    expect(many.anomalies).toEqual([expect.objectContaining({ severity: 'error', code: 'unseen_category', examples: ['y0', 'y1'], share: 0.05 })]);
    const tolerant = validateData({ statistics, schema, maxUnseenCategoryShare: 0.1 });
    expect(tolerant.anomalies[0]?.severity).toBe('warning');
  });

  it('bounds the unseen share from below when statistics list only the top values', async () => {
    await writeParquet(file('wide.parquet'), "SELECT CASE WHEN i < 150 THEN 'a' ELSE 'new-' || i END AS category FROM range(200) t(i)");
    const statistics = await computeStatistics(file('wide.parquet'), { topValues: 2, allValuesUpTo: 10 });
    const report = validateData({ statistics, schema: { format: schema.format, features: schema.features.filter((f) => f.name === 'category') } });
    // 51 distinct values, of which 'a' and 'new-150' are listed; the 49 unlisted ones could include
    // 'b', 'c' and 'd' of the domain, so at least 1 + 46 rows hold unseen values (really 50).
    expect(report.anomalies).toEqual([expect.objectContaining({ severity: 'error', code: 'unseen_category', share: 47 / 200 })]);
    expect(report.anomalies[0]!.description).toMatch(/^at least 24% of values are outside the domain, e\.g\. "new-150"/);
  });

  it('reports values out of range as a warning with a lower bound of their share', async () => {
    const report = validateData({ statistics: await statisticsOf('outliers', { amount: 'CASE WHEN i < 4 THEN 1000 + i ELSE (i % 50) END::DOUBLE' }), schema });
    expect(report.anomalies).toEqual([expect.objectContaining({ severity: 'warning', code: 'out_of_range', feature: 'amount', examples: [1003], share: 0.02 })]);
    expect(report.anomalies[0]!.description).toBe('the maximum is 1003, outside the expected range [0, 49]; at least 4 values are outside (2%)');
  });

  it('reports missing values of a required feature as an error', async () => {
    const report = validateData({ statistics: await statisticsOf('holes', HOLES), schema });
    expect(report.anomalies).toEqual([expect.objectContaining({ severity: 'error', code: 'missing_values', feature: 'category', share: 0.1 })]);
  });

  it('warns when a feature is present less often than minFraction', async () => {
    const relaxed: DataSchema = structuredClone(schema);
    relaxed.features.find((f) => f.name === 'category')!.presence = { required: false, minFraction: 0.95 };
    const report = validateData({ statistics: await statisticsOf('holes', HOLES), schema: relaxed });
    expect(report.anomalies).toEqual([expect.objectContaining({ severity: 'warning', code: 'missing_values', share: 0.1 })]);
    expect(report.anomalies[0]!.description).toBe('90% of rows have a value; the schema expects at least 95%');
  });

  it('warns about a column the schema does not know, after the errors', async () => {
    const report = validateData({ statistics: await statisticsOf('extra', { category: null, extra: "'?'" }), schema });
    expect(report.anomalies.map((a) => [a.severity, a.code, a.feature, a.examples])).toEqual([
      ['error', 'missing_column', 'category', []],
      ['warning', 'unexpected_column', 'extra', ['?']],
    ]);
    expect(report.summary).toEqual({ errors: 1, warnings: 1, featuresChecked: 5 });
  });

  it('does not expect the label in serving data, but does in training data', async () => {
    const serving = await statisticsOf('serving', { label: null });
    expect(validateData({ statistics: serving, schema, environment: 'serving' })).toMatchObject({
      environment: 'serving', anomalies: [], summary: { featuresChecked: 4 },
    });
    expect(validateData({ statistics: serving, schema }).anomalies).toEqual([expect.objectContaining({ code: 'missing_column', feature: 'label' })]);
  });

  it('reports an empty dataset as an error', async () => {
    const report = validateData({ statistics: await statisticsOf('empty', {}, 'false'), schema });
    expect(report.anomalies).toEqual([expect.objectContaining({ severity: 'error', code: 'empty_dataset', feature: null })]);
  });
});

describe('validateData: reference, thresholds and mixed types', () => {
  it('compares the row count with the reference: a warning beyond 20%, an error beyond 50%', async () => {
    const reference = await statisticsOf('same');
    const fewer = await statisticsOf('fewer', {}, 'i < 150');
    expect(validateData({ statistics: fewer, schema, reference }).anomalies).toEqual([{
      severity: 'warning', code: 'row_count_change', feature: null, examples: [200, 150], share: null,
      description: "the data has 150 rows, 25% fewer than the reference's 200 (warning above 20%, error above 50%)",
    }]);
    const few = await statisticsOf('few', {}, 'i < 80');
    expect(validateData({ statistics: few, schema, reference }).anomalies).toEqual([expect.objectContaining({ severity: 'error', code: 'row_count_change' })]);
    expect(validateData({ statistics: few, schema, reference, rowCountChange: { warning: 0.7, error: 0.9 } }).anomalies).toEqual([]);
    expect(validateData({ statistics: await statisticsOf('close', {}, 'i < 190'), schema, reference }).anomalies).toEqual([]);
    expect(() => validateData({ statistics: few, schema, reference, rowCountChange: { warning: -1 } })).toThrow('rowCountChange.warning: must be a share of at least 0, got -1');
  });

  it('fails a feature missing in more rows than maxMissingShare allows, for all features or one', async () => {
    const relaxed: DataSchema = structuredClone(schema);
    relaxed.features.find((f) => f.name === 'category')!.presence = { required: false, minFraction: 0 };
    const holes = await statisticsOf('holes', HOLES);
    expect(validateData({ statistics: holes, schema: relaxed }).anomalies).toEqual([]);
    expect(validateData({ statistics: holes, schema: relaxed, maxMissingShare: 0.05 }).anomalies).toEqual([{
      severity: 'error', code: 'missing_values', feature: 'category', examples: [], share: 0.1,
      description: '20 of 200 rows (10%) have no value, more than the 5% allowed',
    }]);
    expect(validateData({ statistics: holes, schema: relaxed, maxMissingShare: 0.05, maxMissingShareByFeature: { category: 0.2 } }).anomalies).toEqual([]);
    expect(() => validateData({ statistics: holes, schema: relaxed, maxMissingShareByFeature: { category: 2 } })).toThrow('maxMissingShareByFeature.category: must be a share between 0 and 1, got 2');
  });

  it('flags a text column of mostly numbers as mixed, with the values that are not numbers', async () => {
    await writeFile(file('mixed.csv'), `reading\n${Array.from({ length: 20 }, (_, i) => (i % 10 === 3 ? 'n/a' : i === 7 ? 'broken' : String(i * 1.5))).join('\n')}\n`);
    const statistics = await computeStatistics(file('mixed.csv'));
    const report = validateData({ statistics, schema: inferSchema(statistics) });
    expect(report.anomalies).toEqual([{
      severity: 'warning', code: 'mixed_types', feature: 'reading', examples: ['n/a', 'broken'], share: 0.15,
      description: '85% of values are numbers, but 3 (15%) are not, e.g. "n/a", "broken"; so the column is text: clean those values, or declare them missing (nullStrings when ingesting CSV)',
    }]);
  });

  it('does not count unseen values from an estimated distinct count', async () => {
    const statistics = await statisticsOf('estimated', { category: "'new-' || i" });
    const category = statistics.columns.find((c) => c.name === 'category')!;
    if (category.kind !== 'categorical') throw new Error('expected a categorical column');
    Object.assign(category, { distinctExact: false, distinct: 500 });
    Object.assign(category.categorical, { allValues: false, topValues: category.categorical.topValues.slice(0, 2) });
    const report = validateData({ statistics, schema });
    expect(report.anomalies).toEqual([expect.objectContaining({ code: 'unseen_category', share: 2 / 200 })]);
  });
});

describe('readAnomaliesFile', () => {
  it('reads a v1 document as v2', async () => {
    await writeJsonFile(file('v1-anomalies.json'), { format: 'flywheel.anomalies/v1', environment: 'training', rowCount: 0, summary: { errors: 0, warnings: 0, featuresChecked: 0 }, anomalies: [] });
    expect((await readAnomaliesFile(file('v1-anomalies.json'))).format).toBe(ANOMALIES_FORMAT);
  });
});

describe('assertDataValid', () => {
  it('applies the failOn policy', async () => {
    const warningOnly = validateData({ statistics: await statisticsOf('extra-only', { extra: '1' }), schema });
    expect(() => assertDataValid(warningOnly, 'error')).not.toThrow();
    expect(() => assertDataValid(warningOnly, 'warning')).toThrow(DataValidationError);
    const broken = validateData({ statistics: await statisticsOf('dropped', { category: null }), schema });
    expect(() => assertDataValid(broken, 'never')).not.toThrow();
    expect(() => assertDataValid(broken, 'error')).toThrow(/1 error:\n {2}error missing_column in "category"/);
  });
});

describe('validateComponent', () => {
  async function inputs(name: string, statistics: DatasetStatistics) {
    await writeJsonFile(file(`${name}.statistics.json`), statistics);
    await writeJsonFile(file(`${name}.schema.json`), schema);
    return { statistics: file(`${name}.statistics.json`), schema: file(`${name}.schema.json`) };
  }

  it('writes the anomalies and halts the pipeline with a DataValidationError naming the feature', async () => {
    const componentInputs = await inputs('dropped', await statisticsOf('dropped', { category: null, extra: '1' }));
    const error = await runComponent(validateComponent, { dir: file('halt'), inputs: componentInputs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataValidationError);
    expect(error).toMatchObject({ code: 'data_validation_failed', message: expect.stringContaining('"category"') });
    expect((error as DataValidationError).anomalies.map((a) => a.code)).toEqual(['missing_column']);

    const written = file('halt/outputs/anomalies-anomalies.json');
    expect(existsSync(written)).toBe(true);
    expect((await readAnomaliesFile(written)).summary).toEqual({ errors: 1, warnings: 1, featuresChecked: 5 });
  });

  it('lets warnings through by default and records the counts', async () => {
    const run = await runComponent(validateComponent, { dir: file('pass'), inputs: await inputs('extra', await statisticsOf('extra-only', { extra: '1' })) });
    expect(run.result).toEqual({ errors: 0, warnings: 1 });
    expect(run.outputs.anomalies.properties).toEqual({ errors: 0, warnings: 1 });
    expect(run.logs).toContainEqual({ level: 'warn', message: expect.stringContaining('unexpected_column in extra') });
  });

  it('compares with the reference statistics when that input is wired, with the thresholds of its params', async () => {
    const componentInputs = await inputs('fewer', await statisticsOf('fewer', {}, 'i < 150'));
    await writeJsonFile(file('reference.statistics.json'), await statisticsOf('same'));
    const run = await runComponent(validateComponent, { dir: file('reference'), inputs: { ...componentInputs, reference: file('reference.statistics.json') } });
    expect(run.result).toEqual({ errors: 0, warnings: 1 });
    await expect(runComponent(validateComponent, {
      dir: file('reference-strict'), inputs: { ...componentInputs, reference: file('reference.statistics.json') }, params: { rowCountChange: { warning: 0.1, error: 0.2 } },
    })).rejects.toThrow('error row_count_change: the data has 150 rows, 25% fewer');
  });

  it('follows failOn and environment params', async () => {
    const componentInputs = await inputs('serving', await statisticsOf('serving-extra', { label: null, extra: '1' }));
    await expect(runComponent(validateComponent, { dir: file('strict'), inputs: componentInputs, params: { failOn: 'warning', environment: 'serving' } }))
      .rejects.toThrow(/1 warning:\n {2}warning unexpected_column in "extra"/);
    const run = await runComponent(validateComponent, { dir: file('lenient'), inputs: componentInputs, params: { failOn: 'never' } });
    expect(run.result).toEqual({ errors: 1, warnings: 1 });
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncompatibleStateError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { writeJsonFile } from './format-file.js';
import { inferSchema, schemaComponent } from './schema.js';
import { SCHEMA_FORMAT, readSchemaFile } from './schema-format.js';
import { computeStatistics } from './statistics.js';
import type { DatasetStatistics } from './statistics-format.js';
import { runComponent, writeParquet } from './test-support.js';

let dir: string;
let stats: DatasetStatistics;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-schema-'));
  await writeParquet(file('reference.parquet'), `
    SELECT i AS id, (i % 50)::DOUBLE AS amount, ['d', 'b', 'c', 'a'][i % 4 + 1] AS category,
           CASE WHEN i % 40 <> 0 THEN 'n' || (i % 7) END AS sometimes, 'id-' || i AS code,
           i % 2 = 0 AS flag, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS at, (i % 3 = 0)::INTEGER AS label
    FROM range(200) t(i)`);
  stats = await computeStatistics(file('reference.parquet'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inferSchema', () => {
  it('infers types, presence, ranges, domains and the label’s environments', () => {
    const schema = inferSchema(stats, { labelColumn: 'label', maxCategories: 10 });
    expect(schema.format).toBe(SCHEMA_FORMAT);
    const required = { required: true, minFraction: 1 };
    expect(schema.features).toEqual([
      { name: 'id', type: 'int', presence: required, range: { min: 0, max: 199 } },
      { name: 'amount', type: 'float', presence: required, range: { min: 0, max: 49 } },
      { name: 'category', type: 'string', presence: required, domain: ['a', 'b', 'c', 'd'] },
      { name: 'sometimes', type: 'string', presence: { required: false, minFraction: 0.97 }, domain: ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6'] },
      { name: 'code', type: 'string', presence: required },
      { name: 'flag', type: 'bool', presence: required },
      { name: 'at', type: 'timestamp', presence: required },
      { name: 'label', type: 'int', presence: required, range: { min: 0, max: 1 }, environments: { notIn: ['serving'] } },
    ]);
  });

  it('leaves out domains above maxCategories or not listed in full by the statistics', async () => {
    expect(inferSchema(stats, { maxCategories: 3 }).features.find((f) => f.name === 'category')?.domain).toBeUndefined();
    const partial = await computeStatistics(file('reference.parquet'), { allValuesUpTo: 3 });
    expect(inferSchema(partial).features.find((f) => f.name === 'category')?.domain).toBeUndefined();
    expect(inferSchema(stats).features.find((f) => f.name === 'code')?.domain).toHaveLength(200);
  });

  it('requires nothing of a dataset without rows, and gives an all-null column no range', async () => {
    await writeParquet(file('empty.parquet'), 'SELECT 1 AS x, NULL::INTEGER AS y WHERE false');
    expect(inferSchema(await computeStatistics(file('empty.parquet'))).features).toEqual([
      { name: 'x', type: 'int', presence: { required: false, minFraction: 0 } },
      { name: 'y', type: 'int', presence: { required: false, minFraction: 0 } },
    ]);
    await writeParquet(file('nulls.parquet'), 'SELECT i AS x, NULL::VARCHAR AS y FROM range(3) t(i)');
    expect(inferSchema(await computeStatistics(file('nulls.parquet'))).features[1]).toEqual(
      { name: 'y', type: 'string', presence: { required: false, minFraction: 0 } },
    );
  });

  it('rejects an unknown label column and a bad maxCategories', () => {
    expect(() => inferSchema(stats, { labelColumn: 'nope' })).toThrow(InvalidInputError);
    expect(() => inferSchema(stats, { labelColumn: 'nope' })).toThrow(/labelColumn: the data has no column "nope"/);
    expect(() => inferSchema(stats, { maxCategories: 1.5 })).toThrow(/maxCategories/);
  });
});

describe('readSchemaFile', () => {
  it('reads a schema a person edited, with optional fields left out', async () => {
    await writeFile(file('edited.json'), JSON.stringify({
      format: SCHEMA_FORMAT,
      features: [{ name: 'amount', type: 'float', presence: { required: false, minFraction: 0.5 } }],
    }));
    expect((await readSchemaFile(file('edited.json'))).features[0]?.name).toBe('amount');
  });

  it('names the file and the path of a bad field', async () => {
    const schema = inferSchema(stats);
    schema.features[2]!.presence.minFraction = 2;
    await writeJsonFile(file('bad.json'), schema);
    await expect(readSchemaFile(file('bad.json'))).rejects.toThrow(/bad\.json: features\[2\]\.presence\.minFraction: /);

    await writeFile(file('typo.json'), JSON.stringify({ format: SCHEMA_FORMAT, features: [{ name: 'a', type: 'int', presence: { required: true, minFraction: 1 }, rnage: {} }] }));
    await expect(readSchemaFile(file('typo.json'))).rejects.toThrow(/features\[0\].*rnage/);

    await writeFile(file('twice.json'), JSON.stringify({ format: SCHEMA_FORMAT, features: [0, 1].map(() => ({ name: 'a', type: 'int', presence: { required: true, minFraction: 1 } })) }));
    await expect(readSchemaFile(file('twice.json'))).rejects.toThrow(/features\[1\]\.name: feature "a" appears twice/);

    await expect(readSchemaFile(file('absent.json'))).rejects.toBeInstanceOf(NotFoundError);

    await writeFile(file('broken.json'), '{ "format": ');
    await expect(readSchemaFile(file('broken.json'))).rejects.toThrow(/broken\.json: not valid JSON/);
  });

  it('refuses a newer version of the format and a different document', async () => {
    await writeFile(file('v2.json'), JSON.stringify({ format: 'flywheel.schema/v2', features: [] }));
    await expect(readSchemaFile(file('v2.json'))).rejects.toBeInstanceOf(IncompatibleStateError);
    await writeFile(file('stats.json'), JSON.stringify(stats));
    await expect(readSchemaFile(file('stats.json'))).rejects.toThrow(/expected a flywheel\.schema\/v1 document, found format "flywheel\.statistics\/v2"/);
  });
});

describe('schemaComponent', () => {
  it('writes a pretty-printed schema with a stable key order', async () => {
    await writeJsonFile(file('stats.json'), stats);
    const run = await runComponent(schemaComponent, {
      dir: file('component'), params: { labelColumn: 'label' }, inputs: { statistics: file('stats.json') },
    });
    const text = await readFile(run.outputs.schema.path, 'utf8');
    expect(text).toBe(`${JSON.stringify(inferSchema(stats, { labelColumn: 'label' }), null, 2)}\n`);
    expect(text).toContain('{\n      "name": "label",\n      "type": "int",\n      "presence": {');
    expect(run.outputs.schema.properties).toEqual({ featureCount: 8 });
    expect(await readSchemaFile(run.outputs.schema.path)).toEqual(JSON.parse(text));
  });
});

import { describe, expect, it } from 'vitest';
import { withDuckDb } from '../data/duckdb.js';
import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { encodeOnnxModel } from '../onnx/onnx-model.js';
import { onnxRuntime, openInferenceSession } from '../onnx/onnx-runtime.js';
import { readColumns } from './columns.js';
import { featureInputExpr } from './feature-input.js';
import { TIME_PARTS, timePartSql } from './time-parts.js';
import { addTimeParts } from './time-parts-onnx.js';

/** 10,000 timestamps to the microsecond from 1900 to 2100, and edge cases around days, leap days and the epoch. */
const TIMESTAMPS = `(
  SELECT TIMESTAMP '1900-01-01' + to_microseconds((hash(i) % 6311433600000000)::BIGINT) AS t FROM range(10000) r(i)
  UNION ALL SELECT unnest([
    TIMESTAMP '1900-01-01 00:00:00', TIMESTAMP '1900-02-28 23:59:59.999999', TIMESTAMP '1900-03-01 00:00:00',
    TIMESTAMP '1904-02-29 12:00:00', TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMP '1969-12-31 23:59:59',
    TIMESTAMP '1970-01-01 00:00:00', TIMESTAMP '1970-01-01 00:00:00.000001', TIMESTAMP '2000-02-29 23:59:59.999999',
    TIMESTAMP '2000-03-01 00:00:00', TIMESTAMP '2000-12-31 23:59:59.999999', TIMESTAMP '2001-01-01 00:00:00',
    TIMESTAMP '2096-02-29 06:30:00', TIMESTAMP '2100-02-28 23:59:59.999999', TIMESTAMP '2100-03-01 00:00:00',
    TIMESTAMP '2100-12-31 23:59:59.999999', NULL
  ]) AS t
)`;

describe('the time parts subgraph', () => {
  it('derives hour, day of week and month exactly as DuckDB does, from 1900 to 2100', async () => {
    const g = new OnnxGraphBuilder('time_parts');
    g.input('t', 'double', ['N', 1]);
    const parts = addTimeParts(g, [{ name: 't', parts: [...TIME_PARTS] }]);
    for (const { value } of parts) g.output(value, 'float', ['N', 1]);
    const model = encodeOnnxModel({ graph: g.build(), opsets: { '': 17 } });

    const { rowCount, columns } = await withDuckDb((db) =>
      readColumns(db, TIMESTAMPS, [
        { expr: featureInputExpr({ name: 't', kind: 'timestamp' }), kind: 'float64' },
        ...TIME_PARTS.map((part) => ({ expr: timePartSql('t', part), kind: 'float32' as const })),
      ]),
    );
    expect(rowCount).toBe(10_017);
    const epochs = columns[0] as Float64Array;
    expect(Math.min(...epochs.filter((x) => !Number.isNaN(x)))).toBeLessThan(-2e9);

    const ort = await onnxRuntime();
    const session = await openInferenceSession(model);
    try {
      const out = await session.run({ t: new ort.Tensor('float64', epochs, [rowCount, 1]) });
      parts.forEach(({ part, value }, p) => {
        const expected = columns[1 + p] as Float32Array;
        const actual = out[value]!.data as Float32Array;
        const mismatches: string[] = [];
        for (let i = 0; i < rowCount; i++) {
          if (!Object.is(actual[i], expected[i])) mismatches.push(`${part} of ${epochs[i]}: ${actual[i]} ≠ ${expected[i]}`);
        }
        expect(mismatches.slice(0, 5)).toEqual([]);
      });
    } finally {
      await session.release();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { withDuckDb } from '../data/duckdb.js';
import { planSlicing } from './slice-spec.js';

describe('planSlicing by values', () => {
  it('puts NaN with NULL in (missing), not in a slice of its own', async () => {
    const from = "(SELECT * FROM (VALUES (1.0::DOUBLE), (1.0), ('NaN'::DOUBLE), (NULL), (2.0)) t(x))";
    const codes = await withDuckDb(async (db) => {
      const [plan] = await planSlicing(db, from, [{ column: 'x', top: 5 }]);
      const keys = plan!.slices.map((slice) => slice.key);
      const rows = (await db.runAndReadAll(`SELECT (${plan!.request.expr})::INTEGER AS code FROM ${from}`)).getRowObjectsJS();
      return rows.map((row) => keys[Number(row.code)]);
    });
    expect(codes).toEqual(['1.0', '1.0', '(missing)', '(missing)', '2.0']);
  });
});

import { describe, expect, it } from 'vitest';
import { paramsFromJson } from './params-from-json.js';

describe('paramsFromJson', () => {
  it('flattens nested objects with dots and keeps scalars', () => {
    expect(paramsFromJson({ label: 'delayed', l2: 0.1, fast: true, earlyStopping: { patience: 10, validationFraction: 0.1 } })).toEqual({
      label: 'delayed', l2: 0.1, fast: true, 'earlyStopping.patience': 10, 'earlyStopping.validationFraction': 0.1,
    });
  });

  it('writes arrays and null as JSON text', () => {
    expect(paramsFromJson({ numeric: ['distance', 'hour'], maxDepth: null })).toEqual({ numeric: '["distance","hour"]', maxDepth: 'null' });
  });

  it("cuts values over MLflow's 6000-character limit and leaves out keys MLflow refuses", () => {
    const params = paramsFromJson({ query: 'x'.repeat(7000), 'bad\nkey': 1 });
    expect(params.query).toHaveLength(6000);
    expect(String(params.query).endsWith('…')).toBe(true);
    expect(Object.keys(params)).toEqual(['query']);
  });
});

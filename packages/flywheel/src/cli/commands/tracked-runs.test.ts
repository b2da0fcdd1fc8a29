import { describe, expect, it } from 'vitest';
import { formatNumber } from './tracked-runs.js';

describe('formatNumber', () => {
  it('keeps six significant digits and never drops digits before the point', () => {
    expect(formatNumber(0.61)).toBe('0.61');
    expect(formatNumber(0.6543219)).toBe('0.654322');
    expect(formatNumber(120000.4)).toBe('120000');
    expect(formatNumber(200000.3)).toBe('200000');
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(3.14159265e-7)).toBe('3.14159e-7');
  });
});

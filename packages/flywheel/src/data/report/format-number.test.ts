import { describe, expect, it } from 'vitest';
import { formatCount, formatNumber, formatProbability, formatShare, formatTick } from './format-number.js';

describe('number formats', () => {
  it('groups thousands whatever the machine locale', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1116)).toBe('−1,116');
    expect(formatCount(999)).toBe('999');
  });

  it('shows measured values to four significant digits, extremes in exponent form', () => {
    expect(formatNumber(6.338970445007172)).toBe('6.339');
    expect(formatNumber(30.919528992331802)).toBe('30.92');
    expect(formatNumber(-1116)).toBe('−1,116');
    expect(formatNumber(0.00001234)).toBe('1.23e-5');
    expect(formatNumber(1.5e20)).toBe('1.5e+20');
    expect(formatNumber(2.5e12)).toBe('2,500,000,000,000');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.NEGATIVE_INFINITY)).toBe('−∞');
  });

  it('gives small shares enough digits to stay visible', () => {
    expect(formatShare(0.1623)).toBe('16.2%');
    expect(formatShare(0.5)).toBe('50%');
    expect(formatShare(0.0546)).toBe('5.46%');
    expect(formatShare(0.000006547787938974617)).toBe('0.00065%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(1)).toBe('100%');
    expect(formatShare(null)).toBe('—');
  });

  it('prints p-values small enough to compare with a threshold', () => {
    expect(formatProbability(0.04567)).toBe('0.0457');
    expect(formatProbability(1.2e-9)).toBe('1.2e-9');
    expect(formatProbability(0)).toBe('0');
  });

  it('labels axis ticks compactly with the decimals their step needs', () => {
    expect(formatTick(0.5, 0.5)).toBe('0.5');
    expect(formatTick(1, 0.2)).toBe('1.0');
    expect(formatTick(1500, 500)).toBe('1500');
    expect(formatTick(20000, 5000)).toBe('20k');
    expect(formatTick(2_500_000, 500_000)).toBe('2.5M');
    expect(formatTick(-1000, 500)).toBe('−1000');
  });
});

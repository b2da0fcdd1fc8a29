import { expect } from 'vitest';

/** The agreement promised with SciPy: 1e-9 relative (absolute for values below 1e-300, which underflow differently). */
export const RELATIVE_TOLERANCE = 1e-9;

export function expectClose(actual: number | null | undefined, expected: number, label: string, tolerance = RELATIVE_TOLERANCE): void {
  if (typeof actual !== 'number' || Number.isNaN(actual)) {
    expect.fail(`${label}: expected ${expected}, got ${String(actual)}`);
  }
  const scale = Math.max(Math.abs(expected), 1e-300);
  const error = Math.abs(actual - expected) / scale;
  if (!(error <= tolerance)) expect.fail(`${label}: expected ${expected}, got ${actual} (relative error ${error.toExponential(2)})`);
}

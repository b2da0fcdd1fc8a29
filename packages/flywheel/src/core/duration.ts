import { InvalidInputError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration written as a number and a unit (`500ms`, `30s`, `15m`, `6h`, `1d`, `2w`) in
 * milliseconds; InvalidInputError naming `field` otherwise.
 *
 * @example
 *   parseDuration('6h', '--window') // 21_600_000
 */
export function parseDuration(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * (UNITS[match[2] as string] as number)) : Number.NaN;
  if (!match || !(ms > 0)) throw new InvalidInputError(field, `expected a duration such as 30s, 15m, 6h, 1d or 1w, got ${JSON.stringify(text)}`);
  return ms;
}

/** A duration in the largest unit that divides it: 86,400,000 → `1d`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

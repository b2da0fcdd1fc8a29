import { formatDuration } from '../core/duration.js';
import type { JsonValue } from '../core/json.js';
import { html } from '../data/report/html.js';
import type { SafeHtml } from '../data/report/html.js';

/*
 * What the sections of the loop report share: how times, windows and versions are written, and
 * the colour each model version has everywhere on the page.
 */

const DAY = 86_400_000;
const SERIES_COLOURS = 12;

/** `2001-02-19 14:05` (UTC), the way the page writes a moment. */
export function utcTime(at: Date): string {
  return Number.isNaN(at.getTime()) ? 'unknown time' : at.toISOString().slice(0, 16).replace('T', ' ');
}

/** A window by its start: the date alone for windows of whole days, else date and time (UTC). */
export function windowLabel(start: Date, windowMs: number): string {
  return windowMs % DAY === 0 && start.getTime() % DAY === 0 ? start.toISOString().slice(0, 10) : utcTime(start);
}

/** `weekly`, `daily`, `hourly`, or `6h` for other lengths. */
export function windowAdjective(windowMs: number): string {
  const named: Record<number, string> = { [7 * DAY]: 'weekly', [DAY]: 'daily', [3_600_000]: 'hourly' };
  return named[windowMs] ?? formatDuration(windowMs);
}

/** `week of 2001-02-05`, `day of …`, or `6h window from …`. */
export function windowPhrase(start: Date, windowMs: number): string {
  const named: Record<number, string> = { [7 * DAY]: 'week of', [DAY]: 'day', [3_600_000]: 'hour from' };
  return `${named[windowMs] ?? `${formatDuration(windowMs)} window from`} ${windowLabel(start, windowMs)}`;
}

/** A measured value in a tooltip, to six significant digits: the exact number for a person. */
export function exactNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'undefined';
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** A value from an event or a parameter set, as short text. */
export function jsonText(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Colours of model versions: the n-th version of the report gets the n-th colour of the page's
 * palette, so a version has the same colour in the chart, the tables and the heat map.
 */
export class VersionColours {
  private readonly index: Map<number, number>;

  constructor(versions: Iterable<number>) {
    this.index = new Map([...new Set(versions)].sort((a, b) => a - b).map((version, i) => [version, i]));
  }

  className(version: number): string {
    return `series-${(this.index.get(version) ?? 0) % SERIES_COLOURS}`;
  }

  /** `v3` after a swatch of its colour. */
  label(version: number): SafeHtml {
    return html`<span class="swatch ${this.className(version)}"></span>v${version}`;
  }
}

import { Cron } from 'croner';
import { InvalidInputError } from '../core/errors.js';

/**
 * What a schedule does with fire times that passed unhandled, because the controller was down or
 * the trigger's previous run was still active:
 * - `'skip'`: drop them. A fire time counts only while it is at most {@link ON_TIME_GRACE_MS} old,
 *   so a controller that wakes a little late still fires on time.
 * - `'latest'` (default): one catch-up run, for the most recent missed fire time.
 * - `{ all: true, max }`: every missed fire time, oldest first; when more than `max` (1 to
 *   {@link MAX_CATCH_UP_RUNS}) were missed, the newest `max`.
 * - `'all'`: short for `{ all: true, max: 100 }`.
 */
export type CatchUpPolicy = 'skip' | 'latest' | 'all' | { all: true; max: number };

/** A catch-up policy with `'all'` spelled out. */
export type ResolvedCatchUpPolicy = 'skip' | 'latest' | { readonly all: true; readonly max: number };

/** A schedule as the user writes it. */
export interface CronScheduleSpec {
  /**
   * Five fields, `minute hour day-of-month month day-of-week`, or a nickname: `@hourly`, `@daily`
   * (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`). Fields take `*`, lists, ranges,
   * `*\/n` and `a-b/n` steps, JAN-DEC and SUN-SAT, `L`, `W`, `#` and `?`. When both day fields are
   * restricted a day matching either fires, as in Vixie cron; `+` before the day-of-week makes it both.
   */
  cron: string;
  /** IANA time zone the fields are read in. Default `'UTC'`. */
  timezone?: string;
  /** Default `'latest'`. */
  catchUp?: CatchUpPolicy;
}

/**
 * A parsed schedule. Fire times are instants; the controller persists the last one it handled.
 *
 * Daylight saving, for a zone that has it: an expression whose minute and hour fields hold only
 * numbers, lists and ranges (`30 2 * * *`, `0 9,17 * * *`) fires once per wall-clock time. On the
 * spring-forward day a time in the skipped hour fires when the clock jumps (02:30 in New York fires
 * at 03:00 EDT); on the fall-back day a repeated time fires on its first pass only. An expression
 * with `*` or a step in those fields runs by the clock as it moves: times in the skipped hour do not
 * exist, and the repeated hour runs on both passes, so `*\/30 * * * *` stays 30 minutes apart.
 */
export interface CronSchedule {
  /** The expression, trimmed. */
  readonly cron: string;
  /** The canonical IANA name: `utc` becomes `UTC`, `US/Eastern` becomes `America/New_York`. */
  readonly timezone: string;
  readonly catchUp: ResolvedCatchUpPolicy;
  /**
   * The fire times in (`lastHandled`, `now`] to act on under the catch-up policy, oldest first.
   * Nothing for a new trigger (`lastHandled` undefined): a new schedule never fires for the past.
   * Runs never overlap because the controller does not ask while the trigger's previous run is
   * active; it asks when that run ends, and the policy then covers the fire times that passed meanwhile.
   */
  due(lastHandled: Date | undefined, now: Date): Date[];
  /** The first fire time strictly after `after`; undefined past the year 3000. */
  next(after: Date): Date | undefined;
}

/** How late a fire time may be handled and still count as on time under `'skip'`. */
export const ON_TIME_GRACE_MS = 60_000;
/** The largest `max` of an `{ all: true, max }` policy: it bounds the work of one `due` call. */
export const MAX_CATCH_UP_RUNS = 1000;
const ALL_DEFAULT_MAX = 100;
const DEFAULT_TIMEZONE = 'UTC';
const CRON_HINT = 'write five fields, minute hour day-of-month month day-of-week ("30 2 * * *" is 02:30 daily), or @hourly, @daily, @weekly, @monthly, @yearly';
// Without a year field an expression repeats every 400 years (the Gregorian calendar's cycle, whole
// weeks long), and croner searches up to the year 3000, so one search from 2000 finds a fire time if any exists.
const NEVER_FIRES_PROBE = new Date(Date.UTC(2000, 0, 1));

/**
 * Parses and checks a schedule; InvalidInputError naming `${field}.cron`, `${field}.timezone` or
 * `${field}.catchUp` when a part is not acceptable, including an expression that never fires.
 *
 * @example
 *   const schedule = parseCronSchedule({ cron: '30 2 * * *', timezone: 'Europe/Berlin', catchUp: 'latest' });
 *   schedule.next(new Date('2026-06-01T12:00:00Z')); // 2026-06-02T00:30:00Z (02:30 CEST)
 *   schedule.due(new Date('2026-06-01T00:30:00Z'), new Date('2026-06-04T09:00:00Z')); // [2026-06-04T00:30:00Z]
 */
export function parseCronSchedule(spec: CronScheduleSpec, field = 'schedule'): CronSchedule {
  const timezone = parseTimezone(spec.timezone, `${field}.timezone`);
  const catchUp = parseCatchUpPolicy(spec.catchUp, `${field}.catchUp`);
  const { expression, cron } = compileCron(spec.cron, timezone, `${field}.cron`);

  const due = (lastHandled: Date | undefined, now: Date): Date[] => {
    if (lastHandled === undefined || now.getTime() <= lastHandled.getTime()) return [];
    if (catchUp === 'latest') return fireTimesBackFrom(cron, now, lastHandled, 1);
    if (catchUp === 'skip') return fireTimesBackFrom(cron, now, lastHandled, 1).filter((time) => now.getTime() - time.getTime() <= ON_TIME_GRACE_MS);
    return fireTimesBackFrom(cron, now, lastHandled, catchUp.max);
  };
  const next = (after: Date): Date | undefined => cron.nextRun(after) ?? undefined;
  return Object.freeze({ cron: expression, timezone, catchUp, due, next });
}

/**
 * The newest `limit` fire times in (`after`, `upTo`], oldest first. Walking back from `upTo` keeps
 * the work at `limit` steps however long the window is, where walking forward would visit every
 * fire time since `after` (525,600 of them for a year of an every-minute schedule).
 */
function fireTimesBackFrom(cron: Cron, upTo: Date, after: Date, limit: number): Date[] {
  const times: Date[] = [];
  // previousRuns excludes its reference; fire times fall on whole minutes, so 1 ms more includes `upTo`.
  let cursor = new Date(upTo.getTime() + 1);
  while (times.length < limit) {
    const [previous] = cron.previousRuns(1, cursor);
    if (previous === undefined || previous.getTime() <= after.getTime()) break;
    times.push(previous);
    cursor = previous;
  }
  return times.reverse();
}

function compileCron(value: unknown, timezone: string, field: string): { expression: string; cron: Cron } {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError(field, `expected a cron expression, got ${JSON.stringify(value)}`, CRON_HINT);
  }
  const expression = value.trim();
  // croner reads any string with a colon as a one-off date rather than a pattern.
  if (expression.includes(':')) {
    throw new InvalidInputError(field, `invalid cron expression ${JSON.stringify(expression)}: a time or date is not a cron expression`, CRON_HINT);
  }
  let cron: Cron;
  try {
    // Five fields only: six would be read as leading seconds here but as a trailing year elsewhere,
    // and training needs no finer step than a minute. Fixed times fire once across DST (see CronSchedule).
    cron = new Cron(expression, { timezone, mode: '5-part', fixedTimeRule: 'no-wildcard' });
  } catch (error) {
    throw new InvalidInputError(field, `invalid cron expression ${JSON.stringify(expression)}: ${cronerReason(error)}`, CRON_HINT);
  }
  if (cron.nextRun(NEVER_FIRES_PROBE) === null) {
    throw new InvalidInputError(field, `cron expression ${JSON.stringify(expression)} never fires: no date matches it`, 'check the day-of-month against the month (there is no February 30 or April 31)');
  }
  return { expression, cron };
}

function cronerReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Cron\w*: /, '');
}

function parseTimezone(value: unknown, field: string): string {
  if (value === undefined) return DEFAULT_TIMEZONE;
  const canonical = typeof value === 'string' ? canonicalTimezone(value) : undefined;
  if (canonical === undefined) {
    throw new InvalidInputError(field, `unknown time zone ${JSON.stringify(value)}`, 'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"');
  }
  return canonical;
}

/** The zone's canonical name, from the same Intl data croner converts times with; undefined if Intl does not know it. */
function canonicalTimezone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function parseCatchUpPolicy(value: unknown, field: string): ResolvedCatchUpPolicy {
  if (value === undefined || value === 'latest') return 'latest';
  if (value === 'skip') return 'skip';
  if (value === 'all') return Object.freeze({ all: true, max: ALL_DEFAULT_MAX });
  if (typeof value === 'object' && value !== null && 'all' in value && value.all === true) {
    const max = 'max' in value ? value.max : undefined;
    if (typeof max === 'number' && Number.isInteger(max) && max >= 1 && max <= MAX_CATCH_UP_RUNS) return Object.freeze({ all: true, max });
    throw new InvalidInputError(`${field}.max`, `expected a whole number from 1 to ${MAX_CATCH_UP_RUNS}, got ${JSON.stringify(max)}`);
  }
  throw new InvalidInputError(field, `expected "skip", "latest", "all" or { all: true, max: N }, got ${JSON.stringify(value)}`);
}

import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { MAX_CATCH_UP_RUNS, parseCronSchedule, type CronScheduleSpec } from './cron-schedule.js';

const at = (iso: string) => new Date(iso);
const isos = (dates: Date[]) => dates.map((date) => date.toISOString());

/** The first `count` fire times after `from`, by repeated `next`. */
function nextTimes(spec: CronScheduleSpec, from: string, count: number): string[] {
  const schedule = parseCronSchedule(spec);
  const times: Date[] = [];
  let cursor = at(from);
  for (let i = 0; i < count; i++) {
    const time = schedule.next(cursor);
    if (time === undefined) break;
    times.push(time);
    cursor = time;
  }
  return isos(times);
}

function invalid(spec: unknown, field?: string): InvalidInputError {
  try {
    parseCronSchedule(spec as CronScheduleSpec, field);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(spec)}`);
}

describe('parseCronSchedule', () => {
  it('defaults to UTC and the latest catch-up, and canonicalises the zone', () => {
    expect(parseCronSchedule({ cron: ' 30 2 * * * ' })).toMatchObject({ cron: '30 2 * * *', timezone: 'UTC', catchUp: 'latest' });
    expect(parseCronSchedule({ cron: '@daily', timezone: 'utc' }).timezone).toBe('UTC');
    expect(parseCronSchedule({ cron: '@daily', timezone: 'US/Eastern' }).timezone).toBe('America/New_York');
  });

  it('spells out each catch-up policy', () => {
    expect(parseCronSchedule({ cron: '@daily', catchUp: 'skip' }).catchUp).toBe('skip');
    expect(parseCronSchedule({ cron: '@daily', catchUp: 'latest' }).catchUp).toBe('latest');
    expect(parseCronSchedule({ cron: '@daily', catchUp: 'all' }).catchUp).toEqual({ all: true, max: 100 });
    expect(parseCronSchedule({ cron: '@daily', catchUp: { all: true, max: 7 } }).catchUp).toEqual({ all: true, max: 7 });
  });
});

describe('next', () => {
  it('gives the first fire time strictly after its argument', () => {
    expect(nextTimes({ cron: '30 2 * * *' }, '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-01T02:30:00.000Z', '2026-01-02T02:30:00.000Z']);
    expect(nextTimes({ cron: '30 2 * * *' }, '2026-01-01T02:30:00Z', 1)).toEqual(['2026-01-02T02:30:00.000Z']);
    expect(nextTimes({ cron: '30 2 * * *' }, '2026-01-01T02:29:59.999Z', 1)).toEqual(['2026-01-01T02:30:00.000Z']);
  });

  it('reads the fields in the time zone', () => {
    // Friday 2026-01-09 10:00 in New York (EST, UTC-5): the next weekday 09:00 is Monday.
    expect(nextTimes({ cron: '0 9 * * MON-FRI', timezone: 'America/New_York' }, '2026-01-09T15:00:00Z', 2)).toEqual(['2026-01-12T14:00:00.000Z', '2026-01-13T14:00:00.000Z']);
    expect(nextTimes({ cron: '@daily', timezone: 'Asia/Kolkata' }, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-01T18:30:00.000Z']);
    expect(nextTimes({ cron: '0 8 1 * *', timezone: 'Europe/Berlin' }, '2026-02-15T00:00:00Z', 2)).toEqual(['2026-03-01T07:00:00.000Z', '2026-04-01T06:00:00.000Z']);
  });

  it('handles steps, last day of month, leap days and nicknames', () => {
    expect(nextTimes({ cron: '*/15 * * * *' }, '2026-01-01T10:07:00Z', 3)).toEqual(['2026-01-01T10:15:00.000Z', '2026-01-01T10:30:00.000Z', '2026-01-01T10:45:00.000Z']);
    expect(nextTimes({ cron: '0 0 L * *' }, '2026-02-01T00:00:00Z', 2)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
    expect(nextTimes({ cron: '0 0 29 2 *' }, '2026-03-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
    expect(nextTimes({ cron: '@weekly' }, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T00:00:00.000Z']);
  });

  it('fires on either day field when both are restricted, and on both with +', () => {
    // 2026-01-01 is a Thursday; the first Monday that is also the 1st is 2026-06-01.
    expect(nextTimes({ cron: '0 12 1 * MON' }, '2026-01-01T13:00:00Z', 1)).toEqual(['2026-01-05T12:00:00.000Z']);
    expect(nextTimes({ cron: '0 12 1 * +MON' }, '2026-01-01T13:00:00Z', 1)).toEqual(['2026-06-01T12:00:00.000Z']);
  });

  it('returns undefined past the year 3000 rather than searching on', () => {
    expect(parseCronSchedule({ cron: '@yearly' }).next(at('3000-06-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('due', () => {
  const hourly = (catchUp?: CronScheduleSpec['catchUp']) => parseCronSchedule({ cron: '0 * * * *', catchUp });

  it('is empty for a new trigger: a new schedule never fires for the past', () => {
    for (const catchUp of ['skip', 'latest', 'all'] as const) {
      expect(hourly(catchUp).due(undefined, at('2026-01-01T05:00:00Z'))).toEqual([]);
    }
  });

  it('is empty when now is not after lastHandled', () => {
    expect(hourly('all').due(at('2026-01-01T05:00:00Z'), at('2026-01-01T05:00:00Z'))).toEqual([]);
    expect(hourly('all').due(at('2026-01-01T05:00:00Z'), at('2026-01-01T03:00:00Z'))).toEqual([]);
  });

  it('covers (lastHandled, now]: a fire time at now is due, one at lastHandled is not', () => {
    for (const catchUp of ['skip', 'latest', 'all'] as const) {
      expect(isos(hourly(catchUp).due(at('2026-01-01T04:00:00Z'), at('2026-01-01T05:00:00Z')))).toEqual(['2026-01-01T05:00:00.000Z']);
      expect(hourly(catchUp).due(at('2026-01-01T04:00:00Z'), at('2026-01-01T04:59:59.999Z'))).toEqual([]);
    }
  });

  it('latest: one run, for the most recent missed fire time', () => {
    expect(isos(hourly().due(at('2026-01-01T00:00:00Z'), at('2026-01-01T05:30:00Z')))).toEqual(['2026-01-01T05:00:00.000Z']);
  });

  it('all: every missed fire time oldest first, the newest max when more were missed', () => {
    expect(isos(hourly('all').due(at('2026-01-01T01:00:00Z'), at('2026-01-01T05:00:00Z')))).toEqual([
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
      '2026-01-01T04:00:00.000Z',
      '2026-01-01T05:00:00.000Z',
    ]);
    expect(isos(hourly({ all: true, max: 2 }).due(at('2026-01-01T00:00:00Z'), at('2026-01-01T05:30:00Z')))).toEqual(['2026-01-01T04:00:00.000Z', '2026-01-01T05:00:00.000Z']);
  });

  it('skip: a fire time counts only while it is at most a minute old', () => {
    const skip = hourly('skip');
    const lastHandled = at('2026-01-01T04:00:00Z');
    expect(isos(skip.due(lastHandled, at('2026-01-01T05:00:30Z')))).toEqual(['2026-01-01T05:00:00.000Z']);
    expect(isos(skip.due(lastHandled, at('2026-01-01T05:01:00Z')))).toEqual(['2026-01-01T05:00:00.000Z']);
    expect(skip.due(lastHandled, at('2026-01-01T05:01:00.001Z'))).toEqual([]);
    expect(skip.due(at('2026-01-01T00:00:00Z'), at('2026-01-01T05:30:00Z'))).toEqual([]);
    expect(isos(skip.due(at('2026-01-01T00:00:00Z'), at('2026-01-01T05:00:10Z')))).toEqual(['2026-01-01T05:00:00.000Z']);
  });

  it('bounds its work after a year down with an every-minute schedule', () => {
    const lastHandled = at('2025-01-01T00:00:00Z');
    const now = at('2026-01-01T00:00:30Z');
    expect(isos(parseCronSchedule({ cron: '* * * * *', catchUp: 'latest' }).due(lastHandled, now))).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(isos(parseCronSchedule({ cron: '* * * * *', catchUp: 'skip' }).due(lastHandled, now))).toEqual(['2026-01-01T00:00:00.000Z']);
    const all = parseCronSchedule({ cron: '* * * * *', catchUp: { all: true, max: MAX_CATCH_UP_RUNS } }).due(lastHandled, now);
    expect(all).toHaveLength(MAX_CATCH_UP_RUNS);
    expect(all[0]?.toISOString()).toBe('2025-12-31T07:21:00.000Z');
    expect(all.at(-1)?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('daylight saving', () => {
  it('New York spring forward: 02:30 does not exist on 2026-03-08 and fires at 03:00 EDT', () => {
    expect(nextTimes({ cron: '30 2 * * *', timezone: 'America/New_York' }, '2026-03-07T00:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('New York fall back: 01:30 happens twice on 2026-11-01 and fires on the first pass only', () => {
    const spec = { cron: '30 1 * * *', timezone: 'America/New_York', catchUp: 'all' } as const;
    expect(nextTimes(spec, '2026-10-31T00:00:00Z', 3)).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    const schedule = parseCronSchedule(spec);
    // From inside the second pass (01:00 EST), the next fire time is the next day's.
    expect(schedule.next(at('2026-11-01T06:00:00Z'))?.toISOString()).toBe('2026-11-02T06:30:00.000Z');
    expect(schedule.due(at('2026-11-01T05:30:00Z'), at('2026-11-01T07:00:00Z'))).toEqual([]);
    expect(isos(schedule.due(at('2026-10-30T05:30:00Z'), at('2026-11-03T00:00:00Z')))).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('Berlin: 02:30 fires at 03:00 CEST when skipped, and once when repeated', () => {
    const spec = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    expect(nextTimes(spec, '2026-03-28T00:00:00Z', 3)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(nextTimes(spec, '2026-10-24T00:00:00Z', 3)).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('lists and ranges of fixed times fire once per wall-clock time too', () => {
    expect(nextTimes({ cron: '30 1,13 * * *', timezone: 'America/New_York' }, '2026-11-01T00:00:00Z', 3)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-01T18:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    // 02:00 and 02:30 both fall in the skipped hour and meet at 03:00 EDT: one run.
    expect(nextTimes({ cron: '0,30 2 * * *', timezone: 'America/New_York' }, '2026-03-08T00:00:00Z', 2)).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z']);
  });

  it('a step or wildcard in minute or hour runs by the clock: the repeated hour on both passes, the skipped hour not at all', () => {
    expect(nextTimes({ cron: '*/30 * * * *', timezone: 'America/New_York' }, '2026-11-01T04:45:00Z', 5)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
    expect(nextTimes({ cron: '*/30 * * * *', timezone: 'America/New_York' }, '2026-03-08T06:15:00Z', 3)).toEqual(['2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z']);
  });
});

describe('invalid input names the field', () => {
  it('rejects a bad cron expression with croner’s reason and the expression', () => {
    expect(invalid({ cron: 'banana' })).toMatchObject({ code: 'invalid_input', field: 'schedule.cron' });
    expect(invalid({ cron: 'banana' }).message).toMatch(/^schedule\.cron: invalid cron expression "banana": invalid configuration format/);
    expect(invalid({ cron: '60 * * * *' }).message).toBe('schedule.cron: invalid cron expression "60 * * * *": Invalid value for minute: 60');
    expect(invalid({ cron: '0 30 2 * * *' }).message).toMatch(/"0 30 2 \* \* \*": mode '5-part' requires exactly 5 parts/);
    expect(invalid({ cron: '@reboot' }).message).toMatch(/"@reboot": @reboot is not supported/);
    expect(invalid({ cron: '2030-01-23T00:00:00' }).message).toBe('schedule.cron: invalid cron expression "2030-01-23T00:00:00": a time or date is not a cron expression');
    expect(invalid({ cron: '   ' }).message).toBe('schedule.cron: expected a cron expression, got "   "');
    expect(invalid({}).message).toBe('schedule.cron: expected a cron expression, got undefined');
    expect(invalid({ cron: 'banana' }).hint).toMatch(/minute hour day-of-month month day-of-week/);
  });

  it('rejects an expression that never fires', () => {
    expect(invalid({ cron: '0 0 30 2 *' }).message).toBe('schedule.cron: cron expression "0 0 30 2 *" never fires: no date matches it');
    expect(invalid({ cron: '0 0 31 4,6,9,11 *' }).field).toBe('schedule.cron');
  });

  it('rejects an unknown time zone', () => {
    expect(invalid({ cron: '@daily', timezone: 'Mars/Olympus_Mons' })).toMatchObject({ field: 'schedule.timezone', message: 'schedule.timezone: unknown time zone "Mars/Olympus_Mons"' });
    expect(invalid({ cron: '@daily', timezone: '' }).field).toBe('schedule.timezone');
    expect(invalid({ cron: '@daily', timezone: 5 }).field).toBe('schedule.timezone');
  });

  it('rejects an unknown catch-up policy or a bad max', () => {
    expect(invalid({ cron: '@daily', catchUp: 'sometimes' }).message).toBe('schedule.catchUp: expected "skip", "latest", "all" or { all: true, max: N }, got "sometimes"');
    expect(invalid({ cron: '@daily', catchUp: { all: false, max: 3 } }).field).toBe('schedule.catchUp');
    expect(invalid({ cron: '@daily', catchUp: { all: true, max: 0 } }).message).toBe(`schedule.catchUp.max: expected a whole number from 1 to ${MAX_CATCH_UP_RUNS}, got 0`);
    expect(invalid({ cron: '@daily', catchUp: { all: true, max: 2.5 } }).field).toBe('schedule.catchUp.max');
    expect(invalid({ cron: '@daily', catchUp: { all: true, max: MAX_CATCH_UP_RUNS + 1 } }).field).toBe('schedule.catchUp.max');
    expect(invalid({ cron: '@daily', catchUp: { all: true } }).field).toBe('schedule.catchUp.max');
  });

  it('prefixes the caller’s field path', () => {
    expect(invalid({ cron: 'banana' }, 'triggers.nightly.schedule').field).toBe('triggers.nightly.schedule.cron');
  });
});

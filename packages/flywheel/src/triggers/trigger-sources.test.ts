import { appendFile, mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, NewAlert } from '../metadata/control-store.js';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import { openSqliteMetadataBackend } from '../metadata/sql/sqlite/open-sqlite-metadata.js';
import { parseCronSchedule } from './cron-schedule.js';
import { filesKey, polling } from './data-arrival.contract.js';
import type { FileLister, ListedFile } from './file-lister.js';
import { folderFileLister } from './folder-file-lister.js';
import { alertSource, dataArrivalSource, scheduleSource } from './trigger-sources.js';


const at = (iso: string) => new Date(iso);
const T = Date.UTC(2026, 0, 1);
const DEBOUNCE = 30_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('scheduleSource', () => {
  const hourly = (catchUp?: 'skip' | 'latest' | 'all') => scheduleSource(parseCronSchedule({ cron: '0 * * * *', catchUp }));

  it('fires nothing for a new trigger and starts from now', async () => {
    expect(await hourly('all').poll(undefined, at('2026-01-01T05:30:00Z'))).toEqual({ events: [], state: { lastHandled: '2026-01-01T05:30:00.000Z' } });
  });

  it('makes each due fire time an event, keyed by the time, with the state to save when it fires', async () => {
    const result = await hourly('all').poll({ lastHandled: '2026-01-01T01:00:00.000Z' }, at('2026-01-01T03:30:00Z'));
    expect(result).toEqual({
      events: [
        {
          eventKey: 'schedule:2026-01-01T02:00:00.000Z',
          event: { kind: 'schedule', time: '2026-01-01T02:00:00.000Z', cron: '0 * * * *', timezone: 'UTC' },
          state: { lastHandled: '2026-01-01T02:00:00.000Z' },
        },
        {
          eventKey: 'schedule:2026-01-01T03:00:00.000Z',
          event: { kind: 'schedule', time: '2026-01-01T03:00:00.000Z', cron: '0 * * * *', timezone: 'UTC' },
          state: { lastHandled: '2026-01-01T03:00:00.000Z' },
        },
      ],
    });
  });

  it('fires nothing and saves nothing when no fire time is due', async () => {
    expect(await hourly().poll({ lastHandled: '2026-01-01T03:00:00.000Z' }, at('2026-01-01T03:59:59Z'))).toEqual({ events: [] });
  });

  it('follows the catch-up policy after a long gap', async () => {
    const gap = { lastHandled: '2026-01-01T00:00:00.000Z' };
    const latest = await hourly('latest').poll(gap, at('2026-01-03T05:10:00Z'));
    expect(latest.events.map((e) => [e.eventKey, e.state])).toEqual([['schedule:2026-01-03T05:00:00.000Z', { lastHandled: '2026-01-03T05:00:00.000Z' }]]);
    expect(await hourly('skip').poll(gap, at('2026-01-03T05:10:00Z'))).toEqual({ events: [] });
    expect((await hourly('all').poll(gap, at('2026-01-03T05:10:00Z'))).events).toHaveLength(53);
  });

  it('puts the schedule’s zone in the event and reads the fields in it', async () => {
    const source = scheduleSource(parseCronSchedule({ cron: '0 3 * * *', timezone: 'Europe/Berlin' }));
    const { events } = await source.poll({ lastHandled: '2026-06-01T01:00:00.000Z' }, at('2026-06-02T12:00:00Z'));
    expect(events).toEqual([{
      eventKey: 'schedule:2026-06-02T01:00:00.000Z',
      event: { kind: 'schedule', time: '2026-06-02T01:00:00.000Z', cron: '0 3 * * *', timezone: 'Europe/Berlin' },
      state: { lastHandled: '2026-06-02T01:00:00.000Z' },
    }]);
  });
});

describe('dataArrivalSource', () => {
  let dir: string;
  let incoming: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-data-trigger-'));
    incoming = join(dir, 'incoming');
    await mkdir(incoming);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** Writes a file with a fixed modification time (in seconds), so its key is known. */
  async function put(name: string, text: string, mtime = 1_700_000_000): Promise<string> {
    const path = join(incoming, name);
    await writeFile(path, text);
    await utimes(path, mtime, mtime);
    return path;
  }
  const keyOf = (path: string, size: number, mtime = 1_700_000_000) => `${path}:${size}:${mtime * 1000}`;
  const watch = (pattern = '*.parquet') => polling(dataArrivalSource(folderFileLister(join(incoming, pattern)), DEBOUNCE));

  it('never fires for files there at the first poll', async () => {
    const old = await put('old.parquet', 'old');
    const source = watch();
    expect(await source.poll(T)).toEqual({ events: [], state: { handled: [keyOf(old, 3)] } });
    for (const later of [T + 1000, T + DEBOUNCE + 1000, T + 10 * DEBOUNCE]) expect(await source.poll(later)).toEqual({ events: [] });
  });

  it('fires a new file once it stayed the same for the debounce period, and only once', async () => {
    const source = watch();
    expect(await source.poll(T)).toEqual({ events: [], state: { handled: [] } });
    const file = await put('a.parquet', 'abc');
    expect(await source.poll(T + 1000)).toEqual({ events: [] });
    expect(await source.poll(T + 1000 + DEBOUNCE - 1)).toEqual({ events: [] });
    expect(await source.poll(T + 1000 + DEBOUNCE)).toEqual({
      events: [{
        eventKey: filesKey(keyOf(file, 3)),
        event: { kind: 'data', time: iso(T + 1000 + DEBOUNCE), file, files: [file] },
        state: { handled: [keyOf(file, 3)] },
      }],
    });
    expect(await source.poll(T + 10 * DEBOUNCE)).toEqual({ events: [] });
  });

  it('waits while a file is still growing or being touched', async () => {
    const source = watch();
    await source.poll(T);
    const file = await put('a.parquet', 'abc');
    await source.poll(T + 1000);
    await appendFile(file, 'def');
    await utimes(file, 1_700_000_000, 1_700_000_000);
    expect(await source.poll(T + 1000 + DEBOUNCE)).toEqual({ events: [] });
    await utimes(file, 1_700_000_100, 1_700_000_100);
    expect(await source.poll(T + 1000 + 2 * DEBOUNCE)).toEqual({ events: [] });
    expect(await source.poll(T + 1000 + 3 * DEBOUNCE - 1)).toEqual({ events: [] });
    const fired = await source.poll(T + 1000 + 3 * DEBOUNCE);
    expect(fired.events.map((e) => e.eventKey)).toEqual([filesKey(keyOf(file, 6, 1_700_000_100))]);
  });

  it('fires one event for files that settle together, and a later file on its own', async () => {
    const source = watch();
    await source.poll(T);
    const b = await put('b.parquet', 'bb');
    const a = await put('a.parquet', 'a');
    await source.poll(T + 1000);
    const c = await put('c.parquet', 'ccc');
    expect(await source.poll(T + 1000 + DEBOUNCE)).toEqual({
      events: [{
        eventKey: filesKey(keyOf(a, 1), keyOf(b, 2)),
        event: { kind: 'data', time: iso(T + 1000 + DEBOUNCE), file: a, files: [a, b] },
        state: { handled: [keyOf(a, 1), keyOf(b, 2)] },
      }],
    });
    expect(await source.poll(T + 1000 + 2 * DEBOUNCE - 1)).toEqual({ events: [] });
    expect(await source.poll(T + 1000 + 2 * DEBOUNCE)).toEqual({
      events: [{
        eventKey: filesKey(keyOf(c, 3)),
        event: { kind: 'data', time: iso(T + 1000 + 2 * DEBOUNCE), file: c, files: [c] },
        state: { handled: [keyOf(a, 1), keyOf(b, 2), keyOf(c, 3)] },
      }],
    });
  });

  it('does not fire the same file again when it comes back, but fires a rewritten one', async () => {
    const source = watch();
    await source.poll(T);
    const file = await put('a.parquet', 'abc');
    await source.poll(T + 1000);
    expect((await source.poll(T + 1000 + DEBOUNCE)).events).toHaveLength(1);

    await rm(file);
    expect(await source.poll(T + 2 * DEBOUNCE)).toEqual({ events: [] });
    await put('a.parquet', 'abc');
    for (const later of [T + 3 * DEBOUNCE, T + 4 * DEBOUNCE, T + 5 * DEBOUNCE]) expect(await source.poll(later)).toEqual({ events: [] });

    await put('a.parquet', 'abcd', 1_700_000_500);
    expect(await source.poll(T + 6 * DEBOUNCE)).toEqual({ events: [] });
    expect(await source.poll(T + 7 * DEBOUNCE)).toEqual({
      events: [{
        eventKey: filesKey(keyOf(file, 4, 1_700_000_500)),
        event: { kind: 'data', time: iso(T + 7 * DEBOUNCE), file, files: [file] },
        state: { handled: [keyOf(file, 4, 1_700_000_500)] },
      }],
    });
  });

  it('matches * and ? in the file name only, and a dot as a dot', async () => {
    const parquet = watch('*.parquet');
    const days = watch('day-?.csv');
    const csv = watch('*.csv');
    for (const source of [parquet, days, csv]) await source.poll(T);
    const files = ['x.csv', 'reportcsv', 'day-1.csv', 'day-10.csv', 'day-1.parquet', 'y.parquet.tmp'];
    for (const name of files) await put(name, 'data');
    await mkdir(join(incoming, 'folder.parquet'));
    const fired = async (source: ReturnType<typeof watch>) => {
      await source.poll(T + 1000);
      return (await source.poll(T + 1000 + DEBOUNCE)).events.flatMap((e) => e.event.files as string[]);
    };
    expect(await fired(parquet)).toEqual([join(incoming, 'day-1.parquet')]);
    expect(await fired(days)).toEqual([join(incoming, 'day-1.csv')]);
    expect(await fired(csv)).toEqual([join(incoming, 'day-1.csv'), join(incoming, 'day-10.csv'), join(incoming, 'x.csv')]);
  });

  it('reports a folder that disappears as a problem and keeps watching it', async () => {
    const source = watch();
    await source.poll(T);
    const a = await put('a.parquet', 'abc');
    await source.poll(T + 1000);
    expect((await source.poll(T + 1000 + DEBOUNCE)).events).toHaveLength(1);
    const saved = source.state;

    await rename(incoming, join(dir, 'elsewhere'));
    expect(await source.poll(T + 2 * DEBOUNCE)).toEqual({ events: [], problem: `the watched folder ${incoming} does not exist` });
    expect(source.state).toEqual(saved);

    await rename(join(dir, 'elsewhere'), incoming);
    expect(await source.poll(T + 3 * DEBOUNCE)).toEqual({ events: [] });
    const b = await put('b.parquet', 'b');
    expect(await source.poll(T + 4 * DEBOUNCE)).toEqual({ events: [] });
    expect(await source.poll(T + 5 * DEBOUNCE)).toEqual({
      events: [{
        eventKey: filesKey(keyOf(b, 1)),
        event: { kind: 'data', time: iso(T + 5 * DEBOUNCE), file: b, files: [b] },
        state: { handled: [keyOf(a, 3), keyOf(b, 1)] },
      }],
    });
  });

  it('keeps in its state only the keys of files still there', async () => {
    const old = await put('old.parquet', 'old');
    const kept = await put('kept.parquet', 'kept');
    const source = watch();
    expect(await source.poll(T)).toEqual({ events: [], state: { handled: [keyOf(kept, 4), keyOf(old, 3)] } });
    await rm(old);
    const fresh = await put('new.parquet', 'new!');
    await source.poll(T + 1000);
    const { events } = await source.poll(T + 1000 + DEBOUNCE);
    expect(events.map((e) => e.state)).toEqual([{ handled: [keyOf(kept, 4), keyOf(fresh, 4)] }]);
  });
});

describe('dataArrivalSource over any lister', () => {
  /** A lister that shows what the case puts in `files`, or rejects with `failure`. */
  function listing(files: ListedFile[] = [], failure?: Error): FileLister & { files: ListedFile[]; failure: Error | undefined } {
    return {
      files,
      failure,
      async list() {
        if (this.failure) throw this.failure;
        return [...this.files];
      },
    };
  }

  it('fires a file again when only its version changes, and keys the event by the version', async () => {
    const lister = listing();
    const source = polling(dataArrivalSource(lister, DEBOUNCE));
    await source.poll(T);
    lister.files = [{ path: 's3://landing/a.parquet', size: 3, mtimeMs: 1_700_000_000_000, version: 'v1' }];
    await source.poll(T + 1000);
    expect((await source.poll(T + 1000 + DEBOUNCE)).events.map((e) => e.eventKey)).toEqual([filesKey('s3://landing/a.parquet:3:1700000000000:v1')]);

    lister.files = [{ ...lister.files[0]!, version: 'v2' }];
    expect(await source.poll(T + 2 * DEBOUNCE)).toEqual({ events: [] });
    expect(await source.poll(T + 3 * DEBOUNCE)).toEqual({
      events: [{
        eventKey: filesKey('s3://landing/a.parquet:3:1700000000000:v2'),
        event: { kind: 'data', time: iso(T + 3 * DEBOUNCE), file: 's3://landing/a.parquet', files: ['s3://landing/a.parquet'] },
        state: { handled: ['s3://landing/a.parquet:3:1700000000000:v2'] },
      }],
    });
  });

  it('waits while the version keeps changing', async () => {
    const lister = listing();
    const source = polling(dataArrivalSource(lister, DEBOUNCE));
    await source.poll(T);
    const file = { path: 's3://landing/a.parquet', size: 3, mtimeMs: 1_700_000_000_000 };
    lister.files = [{ ...file, version: 'v1' }];
    await source.poll(T + 1000);
    lister.files = [{ ...file, version: 'v2' }];
    expect(await source.poll(T + 1000 + DEBOUNCE)).toEqual({ events: [] });
    expect((await source.poll(T + 1000 + 2 * DEBOUNCE)).events).toHaveLength(1);
  });

  it('reports any listing that fails as a problem, changing nothing, and goes on once it works', async () => {
    const lister = listing([], new Error('listing s3://landing at AWS S3 (us-east-1) failed with AccessDenied (HTTP 403): Access Denied'));
    const source = polling(dataArrivalSource(lister, DEBOUNCE));
    expect(await source.poll(T)).toEqual({ events: [], problem: 'listing s3://landing at AWS S3 (us-east-1) failed with AccessDenied (HTTP 403): Access Denied' });
    expect(source.state).toBeUndefined();
    lister.failure = undefined;
    expect(await source.poll(T + 1000)).toEqual({ events: [], state: { handled: [] } });
  });
});

describe('alertSource', () => {
  const DAY = 86_400_000;
  let backend: MetadataBackend;
  let windows: number;
  beforeEach(async () => {
    backend = await openSqliteMetadataBackend({ path: ':memory:' });
    windows = 0;
  });
  afterEach(async () => backend.close());

  /** Raises an alert for the next window, so each one is new. */
  async function raise(rule: string, patch: Partial<NewAlert> = {}): Promise<Alert> {
    const start = Date.UTC(2026, 0, 1) + windows++ * DAY;
    const alert = await backend.control.raiseAlert({
      rule, model: 'flights', version: 3, windowStart: new Date(start), windowEnd: new Date(start + DAY),
      metric: 'auc', value: 0.61, threshold: 0.7, details: { labeled: 400 }, ...patch,
    });
    return alert!;
  }
  const watch = (cooldownMs = 0) => polling(alertSource(backend.control, ['auc-drop', 'inputs-drift'], cooldownMs));

  it('never fires for alerts raised before its first poll', async () => {
    await raise('auc-drop');
    const last = await raise('inputs-drift');
    await raise('other-rule');
    const source = watch();
    expect(await source.poll(T)).toEqual({ events: [], state: { lastAlertId: last.id } });
    expect(await source.poll(T + 1000)).toEqual({ events: [] });
  });

  it('fires a new alert of a listed rule with the alert’s facts, and ignores other rules', async () => {
    const source = watch();
    expect(await source.poll(T)).toEqual({ events: [], state: { lastAlertId: 0 } });
    await raise('other-rule');
    expect(await source.poll(T + 1000)).toEqual({ events: [] });

    const alert = await raise('auc-drop', { version: null });
    expect(await source.poll(T + 2000)).toEqual({
      events: [{
        eventKey: `alert:${alert.id}`,
        event: {
          kind: 'alert', time: iso(T + 2000), alertId: alert.id, rule: 'auc-drop', model: 'flights', version: null,
          windowStart: '2026-01-02T00:00:00.000Z', windowEnd: '2026-01-03T00:00:00.000Z', metric: 'auc', value: 0.61, threshold: 0.7, alerts: 1,
        },
        state: { lastAlertId: alert.id, lastFiredAt: iso(T + 2000) },
      }],
    });
    expect(await source.poll(T + 3000)).toEqual({ events: [] });
  });

  it('fires once for several new alerts, for the newest', async () => {
    const source = watch();
    await source.poll(T);
    await raise('auc-drop');
    const newest = await raise('inputs-drift', { metric: 'input_drift_share', value: 0.4, threshold: 0.3 });
    const { events } = await source.poll(T + 1000);
    expect(events.map((e) => [e.eventKey, e.event.rule, e.event.alerts])).toEqual([[`alert:${newest.id}`, 'inputs-drift', 2]]);
  });

  it('absorbs alerts within the cooldown and fires for the next one after it', async () => {
    const COOLDOWN = 86_400_000;
    const source = watch(COOLDOWN);
    await source.poll(T);
    const first = await raise('auc-drop');
    expect((await source.poll(T + 1000)).events.map((e) => e.eventKey)).toEqual([`alert:${first.id}`]);

    const absorbed = await raise('auc-drop');
    expect(await source.poll(T + 1000 + COOLDOWN - 1)).toEqual({ events: [], state: { lastAlertId: absorbed.id, lastFiredAt: iso(T + 1000) } });
    expect(await source.poll(T + 1000 + COOLDOWN)).toEqual({ events: [] });

    const after = await raise('auc-drop');
    const { events } = await source.poll(T + 1000 + COOLDOWN);
    expect(events.map((e) => [e.eventKey, e.event.alerts, e.state])).toEqual([[`alert:${after.id}`, 1, { lastAlertId: after.id, lastFiredAt: iso(T + 1000 + COOLDOWN) }]]);
  });
});

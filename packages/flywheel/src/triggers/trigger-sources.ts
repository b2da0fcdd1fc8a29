import { createHash } from 'node:crypto';
import type { JsonObject } from '../core/json.js';
import type { ControlStore } from '../metadata/control-store.js';
import type { CronSchedule } from './cron-schedule.js';
import type { FileLister, ListedFile } from './file-lister.js';

/** Something a trigger saw that starts a run: unique by key for its trigger, with the state to save when it fires. */
export interface TriggerEvent {
  eventKey: string;
  /** Always has `kind` and `time` (ISO 8601); the kind adds its own facts. */
  event: JsonObject;
  state: JsonObject;
}

export interface PollResult {
  events: TriggerEvent[];
  /** State to save although nothing fires (a new trigger's starting point, a suppressed alert). */
  state?: JsonObject;
  /** A problem seen this time (a watched folder or bucket that is gone, a refused listing); the trigger keeps polling. */
  problem?: string;
}

/**
 * Where a kind of trigger looks for events. `poll` gets the trigger's saved state and the
 * controller's time and says what is new; the controller records each event with `fire`, which
 * saves the event's state in the same transaction, so an event is never lost nor fired twice.
 * A source never fires for what happened before the trigger first polled.
 */
export interface TriggerSource {
  poll(state: JsonObject | undefined, now: Date): Promise<PollResult>;
  /** Lets go of what polling holds, when the controller stops; optional. */
  close?(): void;
}

/**
 * A cron schedule: the fire times due since the last one handled, per the catch-up policy. The
 * controller does not poll a trigger whose previous run is still active, so runs never overlap and
 * the policy decides what happens to the fire times that passed meanwhile.
 *
 * @example
 *   const source = scheduleSource(parseCronSchedule({ cron: '0 3 * * *', timezone: 'Europe/Berlin' }));
 */
export function scheduleSource(schedule: CronSchedule): TriggerSource {
  return {
    async poll(state, now) {
      const last = typeof state?.lastHandled === 'string' ? new Date(state.lastHandled) : undefined;
      if (!last) return { events: [], state: { lastHandled: now.toISOString() } };
      return {
        events: schedule.due(last, now).map((time) => ({
          eventKey: `schedule:${time.toISOString()}`,
          event: { kind: 'schedule', time: time.toISOString(), cron: schedule.cron, timezone: schedule.timezone },
          state: { lastHandled: time.toISOString() },
        })),
      };
    },
  };
}

/** How a file looked when last listed: it counts once it stays the same for the debounce period. */
interface Sighting {
  size: number;
  mtimeMs: number;
  version: string | undefined;
  since: number;
}

/**
 * New files that a lister sees: a folder's (`folderFileLister`) or an S3 prefix's
 * (`s3FileLister`). A file counts once its size, modification time and version (an S3 ETag) have
 * not changed for `debounceMs` (so a file still being copied waits); files that settle together
 * fire one run, listed in the event (`file` is the first in path order). Files there when the
 * trigger first polled never fire. A place that cannot be listed (a folder or bucket that
 * disappeared, a refused request) is reported as a problem and watched on; files reappearing with
 * the same name, size, time and version do not fire again.
 *
 * @example
 *   const source = dataArrivalSource(folderFileLister('/data/incoming/*.parquet'), 30_000);
 */
export function dataArrivalSource(lister: FileLister, debounceMs: number): TriggerSource {
  const sightings = new Map<string, Sighting>();
  return {
    close: () => lister.close?.(),
    async poll(state, now) {
      let files: ListedFile[];
      try {
        files = await lister.list();
      } catch (error) {
        return { events: [], problem: error instanceof Error ? error.message : String(error) };
      }
      if (!Array.isArray(state?.handled)) return { events: [], state: { handled: files.map(keyOf) } };
      const handled = new Set(state.handled as string[]);
      const settled: ListedFile[] = [];
      for (const file of files) {
        if (handled.has(keyOf(file))) continue;
        const seen = sightings.get(file.path);
        if (!seen || seen.size !== file.size || seen.mtimeMs !== file.mtimeMs || seen.version !== file.version) {
          sightings.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, version: file.version, since: now.getTime() });
          continue;
        }
        if (now.getTime() - seen.since >= debounceMs) settled.push(file);
      }
      if (settled.length === 0) return { events: [] };
      for (const file of settled) sightings.delete(file.path);
      // Files gone before they settled are forgotten, so the map stays as large as the place watched.
      const listed = new Set(files.map((f) => f.path));
      for (const path of sightings.keys()) if (!listed.has(path)) sightings.delete(path);
      const keys = settled.map(keyOf).sort();
      // Keys of files no longer there are dropped, so the state stays as large as the listing.
      const present = new Set(files.map(keyOf));
      return {
        events: [{
          // A digest: the keys of many files would outgrow what a database index takes.
          eventKey: `files:${createHash('sha256').update(keys.join('\n')).digest('hex')}`,
          event: { kind: 'data', time: now.toISOString(), file: settled[0]!.path, files: settled.map((f) => f.path).sort() },
          state: { handled: [...[...handled].filter((key) => present.has(key)), ...keys] },
        }],
      };
    },
  };
}

/**
 * One version of a file: a rewrite changes the size, the time or the version, so it fires again;
 * the version matters where the time has a coarse grain (S3's is a second).
 */
function keyOf(file: ListedFile): string {
  const key = `${file.path}:${file.size}:${Math.trunc(file.mtimeMs)}`;
  return file.version === undefined ? key : `${key}:${file.version}`;
}

/**
 * Alerts of some monitoring rules: each new alert fires, at most one firing per `cooldownMs`
 * (alerts in between are taken as handled). Alerts raised before the trigger first polled never fire.
 *
 * @example
 *   const source = alertSource(control, ['auc-drop', 'inputs-drift'], 86_400_000);
 */
export function alertSource(control: Pick<ControlStore, 'findAlerts'>, rules: readonly string[], cooldownMs: number): TriggerSource {
  return {
    async poll(state, now) {
      const recent = (await Promise.all(rules.map((rule) => control.findAlerts({ rule, limit: 500 })))).flat();
      const newest = recent.reduce((max, a) => Math.max(max, a.id), 0);
      if (typeof state?.lastAlertId !== 'number') return { events: [], state: { lastAlertId: newest } };
      const lastAlertId = state.lastAlertId;
      const fresh = recent.filter((a) => a.id > lastAlertId).sort((a, b) => a.id - b.id);
      if (fresh.length === 0) return { events: [] };
      const lastFiredAt = typeof state.lastFiredAt === 'string' ? Date.parse(state.lastFiredAt) : Number.NEGATIVE_INFINITY;
      if (now.getTime() - lastFiredAt < cooldownMs) return { events: [], state: { ...state, lastAlertId: newest } };
      const alert = fresh.at(-1)!;
      return {
        events: [{
          eventKey: `alert:${alert.id}`,
          event: {
            kind: 'alert', time: now.toISOString(), alertId: alert.id, rule: alert.rule, model: alert.model, version: alert.version,
            windowStart: alert.windowStart.toISOString(), windowEnd: alert.windowEnd.toISOString(), metric: alert.metric,
            value: alert.value, threshold: alert.threshold, alerts: fresh.length,
          },
          state: { lastAlertId: newest, lastFiredAt: now.toISOString() },
        }],
      };
    },
  };
}

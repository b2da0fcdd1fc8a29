import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { JsonObject } from '../core/json.js';
import type { ControlStore } from '../metadata/control-store.js';
import type { CronSchedule } from './cron-schedule.js';

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
  /** A problem seen this time (a watched folder that is gone); the trigger keeps polling. */
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
  since: number;
}

/**
 * New files in a folder whose names match a pattern (`incoming/*.parquet`; `*` and `?` in the
 * file name). A file counts once its size and modification time have not changed for `debounceMs`
 * (so a file still being copied waits); files that settle together fire one run, listed in the
 * event. Files there when the trigger first polled never fire. A folder that disappears is reported
 * as a problem and watched on; files reappearing with the same name, size and time do not fire again.
 *
 * @example
 *   const source = dataArrivalSource('/data/incoming/*.parquet', 30_000);
 */
export function dataArrivalSource(pattern: string, debounceMs: number): TriggerSource {
  const folder = dirname(resolve(pattern));
  const matches = globToRegExp(basename(pattern));
  const sightings = new Map<string, Sighting>();
  return {
    async poll(state, now) {
      let files: { path: string; size: number; mtimeMs: number }[];
      try {
        files = await listFiles(folder, matches);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return { events: [], problem: `the watched folder ${folder} does not exist` };
        throw error;
      }
      const keyOf = (f: { path: string; size: number; mtimeMs: number }) => `${f.path}:${f.size}:${Math.trunc(f.mtimeMs)}`;
      if (!Array.isArray(state?.handled)) return { events: [], state: { handled: files.map(keyOf) } };
      const handled = new Set(state.handled as string[]);
      const settled: { path: string; size: number; mtimeMs: number }[] = [];
      for (const file of files) {
        if (handled.has(keyOf(file))) continue;
        const seen = sightings.get(file.path);
        if (!seen || seen.size !== file.size || seen.mtimeMs !== file.mtimeMs) {
          sightings.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, since: now.getTime() });
          continue;
        }
        if (now.getTime() - seen.since >= debounceMs) settled.push(file);
      }
      if (settled.length === 0) return { events: [] };
      for (const file of settled) sightings.delete(file.path);
      const keys = settled.map(keyOf).sort();
      // Keys of files no longer there are dropped, so the state stays as large as the folder.
      const present = new Set(files.map(keyOf));
      return {
        events: [{
          eventKey: `files:${keys.join('|')}`,
          event: { kind: 'data', time: now.toISOString(), file: settled[0]!.path, files: settled.map((f) => f.path).sort() },
          state: { handled: [...[...handled].filter((key) => present.has(key)), ...keys] },
        }],
      };
    },
  };
}

async function listFiles(folder: string, matches: RegExp): Promise<{ path: string; size: number; mtimeMs: number }[]> {
  const names = (await readdir(folder)).filter((name) => matches.test(name)).sort();
  const files = [];
  for (const name of names) {
    const path = join(folder, name);
    try {
      const info = await stat(path);
      if (info.isFile()) files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
    } catch (error) {
      // Gone between the listing and the look: it was not a new file after all.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return files;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
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

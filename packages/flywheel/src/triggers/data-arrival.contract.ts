import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../core/json.js';
import { WatchedPlaceMissingError, type FileLister } from './file-lister.js';
import { dataArrivalSource, type PollResult, type TriggerSource } from './trigger-sources.js';

/**
 * Polls a source the way the controller does: the state of the last event fired is saved, or the
 * state the poll gives when nothing fires.
 */
/** A data event's key as the source makes it: the digest of its files' keys, for exact expectations. */
export function filesKey(...keys: string[]): string {
  return `files:${createHash('sha256').update(keys.join('\n')).digest('hex')}`;
}

export function polling(source: TriggerSource) {
  let state: JsonObject | undefined;
  return {
    get state() {
      return state;
    },
    async poll(now: number | Date): Promise<PollResult> {
      const result = await source.poll(state, new Date(now));
      if (result.events.length > 0) state = result.events.at(-1)!.state;
      else if (result.state) state = result.state;
      return result;
    },
  };
}

/** A fresh, empty place (a folder, a bucket) that a FileLister watches, for one case. */
export interface WatchedPlace {
  /** A lister of the files matching `glob` (a file-name pattern) in the place. */
  lister(glob: string): FileLister;
  /** Writes a file (`sub/x.csv` in a deeper folder); resolves to how events name it. */
  put(name: string, content: string): Promise<string>;
  /** Makes the place disappear. */
  remove(): Promise<void>;
  /** Brings it back, with or without its files. */
  restore(): Promise<void>;
  /** The place as WatchedPlaceMissingError names it. */
  readonly name: string;
  /** The problem a poll reports while the place is gone. */
  readonly missingProblem: string;
  dispose(): Promise<void>;
}

const T = Date.UTC(2026, 0, 1);
const DEBOUNCE = 30_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * What `dataArrivalSource` does over every kind of FileLister: the same cases, a folder or an S3
 * prefix underneath.
 *
 * @example
 *   runDataArrivalContract('folder', async () => folderPlace(await mkdtemp(...)));
 */
export function runDataArrivalContract(label: string, create: () => Promise<WatchedPlace>): void {
  describe(`data arrival contract: ${label}`, () => {
    let place: WatchedPlace;
    beforeEach(async () => {
      place = await create();
    });
    afterEach(async () => place.dispose());
    const watch = (glob = '*.parquet') => polling(dataArrivalSource(place.lister(glob), DEBOUNCE));
    const firedFiles = (result: PollResult) => result.events.map((e) => e.event.files);

    it('never fires for files there at the first poll', async () => {
      await place.put('old.parquet', 'old');
      const source = watch();
      const first = await source.poll(T);
      expect(first.events).toEqual([]);
      expect(first.state?.handled).toHaveLength(1);
      for (const later of [T + 1000, T + DEBOUNCE + 1000, T + 10 * DEBOUNCE]) expect(await source.poll(later)).toEqual({ events: [] });
    });

    it('fires a new file once it stayed the same for the debounce period, and only once', async () => {
      const source = watch();
      expect(await source.poll(T)).toEqual({ events: [], state: { handled: [] } });
      const file = await place.put('a.parquet', 'abc');
      expect(await source.poll(T + 1000)).toEqual({ events: [] });
      expect(await source.poll(T + 1000 + DEBOUNCE - 1)).toEqual({ events: [] });
      const fired = await source.poll(T + 1000 + DEBOUNCE);
      expect(fired.events).toHaveLength(1);
      const [event] = fired.events;
      expect(event!.event).toEqual({ kind: 'data', time: iso(T + 1000 + DEBOUNCE), file, files: [file] });
      expect(event!.eventKey).toMatch(/^files:[0-9a-f]{64}$/);
      const handled = (event!.state as { handled: string[] }).handled;
      expect(handled).toHaveLength(1);
      expect(handled[0]).toContain(`${file}:3:`);
      expect(await source.poll(T + 10 * DEBOUNCE)).toEqual({ events: [] });
    });

    it('fires one event for files that settle together, and a later file on its own', async () => {
      const source = watch();
      await source.poll(T);
      const b = await place.put('b.parquet', 'bb');
      const a = await place.put('a.parquet', 'a');
      await source.poll(T + 1000);
      const c = await place.put('c.parquet', 'ccc');
      const together = await source.poll(T + 1000 + DEBOUNCE);
      expect(together.events.map((e) => e.event)).toEqual([{ kind: 'data', time: iso(T + 1000 + DEBOUNCE), file: a, files: [a, b] }]);
      expect(await source.poll(T + 1000 + 2 * DEBOUNCE - 1)).toEqual({ events: [] });
      const alone = await source.poll(T + 1000 + 2 * DEBOUNCE);
      expect(firedFiles(alone)).toEqual([[c]]);
      expect(alone.events[0]!.state.handled).toHaveLength(3);
    });

    it('fires a file again when it is rewritten', async () => {
      const source = watch();
      await source.poll(T);
      const file = await place.put('a.parquet', 'abc');
      await source.poll(T + 1000);
      const first = await source.poll(T + 1000 + DEBOUNCE);
      expect(firedFiles(first)).toEqual([[file]]);

      await place.put('a.parquet', 'abcd');
      expect(await source.poll(T + 2 * DEBOUNCE)).toEqual({ events: [] });
      const again = await source.poll(T + 3 * DEBOUNCE);
      expect(firedFiles(again)).toEqual([[file]]);
      expect(again.events[0]!.eventKey).not.toBe(first.events[0]!.eventKey);
      expect(again.events[0]!.state.handled).toHaveLength(1);
    });

    it('matches * and ? in the last part of the name only, a dot as a dot, and no deeper folder', async () => {
      const parquet = watch('*.parquet');
      const days = watch('day-?.csv');
      const csv = watch('*.csv');
      for (const source of [parquet, days, csv]) await source.poll(T);
      const put = async (name: string) => place.put(name, 'data');
      const [x, , day1, day10, day1Parquet] = [await put('x.csv'), await put('reportcsv'), await put('day-1.csv'), await put('day-10.csv'), await put('day-1.parquet')];
      await put('y.parquet.tmp');
      await put('deeper/z.parquet');
      await put('deeper/day-2.csv');
      const fired = async (source: ReturnType<typeof watch>) => {
        await source.poll(T + 1000);
        return firedFiles(await source.poll(T + 1000 + DEBOUNCE)).flat();
      };
      expect(await fired(parquet)).toEqual([day1Parquet]);
      expect(await fired(days)).toEqual([day1]);
      expect(await fired(csv)).toEqual([day1, day10, x]);
    });

    it('reports a place that disappears as a problem naming it, keeps the state, and watches on', async () => {
      const lister = place.lister('*.parquet');
      const source = polling(dataArrivalSource(lister, DEBOUNCE));
      await source.poll(T);
      await place.put('a.parquet', 'abc');
      await source.poll(T + 1000);
      expect((await source.poll(T + 1000 + DEBOUNCE)).events).toHaveLength(1);
      const saved = source.state;

      await place.remove();
      expect(await source.poll(T + 2 * DEBOUNCE)).toEqual({ events: [], problem: place.missingProblem });
      expect(source.state).toEqual(saved);
      const gone = await lister.list().catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(WatchedPlaceMissingError);
      expect((gone as WatchedPlaceMissingError).place).toBe(place.name);

      await place.restore();
      expect(await source.poll(T + 3 * DEBOUNCE)).toEqual({ events: [] });
      const b = await place.put('b.parquet', 'b');
      expect(await source.poll(T + 4 * DEBOUNCE)).toEqual({ events: [] });
      expect(firedFiles(await source.poll(T + 5 * DEBOUNCE))).toEqual([[b]]);
    });

    it('starts from what is there once a place missing at the first poll appears', async () => {
      await place.put('old.parquet', 'old');
      await place.remove();
      const source = watch();
      expect(await source.poll(T)).toEqual({ events: [], problem: place.missingProblem });
      expect(source.state).toBeUndefined();

      await place.restore();
      expect((await source.poll(T + DEBOUNCE)).state).toBeDefined();
      const fresh = await place.put('new.parquet', 'new');
      await source.poll(T + 2 * DEBOUNCE);
      expect(firedFiles(await source.poll(T + 3 * DEBOUNCE))).toEqual([[fresh]]);
      expect(await source.poll(T + 10 * DEBOUNCE)).toEqual({ events: [] });
    });
  });
}

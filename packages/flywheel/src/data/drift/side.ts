import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { DuckDbDataSource, bucketColumns } from './data-source.js';
import type { ColumnDescription, SourceConnections } from './data-source.js';
import { DRIFT_PROFILE_FORMAT, readDriftProfileFile } from './drift-profile-format.js';
import type { DriftProfile, DriftProfileColumn } from './drift-profile-format.js';
import { BucketedSample } from './numeric-comparison.js';
import type { Bins, BucketGrid, BufferPool } from './numeric-comparison.js';

/** A side of a comparison: a data file to scan, or a drift profile computed from one earlier. */
export type DriftInput = string | DriftProfile;

export type Role = 'reference' | 'current';

/** A numeric column of one side, its values in the comparison's buckets. */
export interface NumericSide {
  bucketed: BucketedSample;
  /** NULL rows. */
  missing: number;
  /** NaN and ±Infinity rows. */
  nonFinite: number;
  mean: number;
  /** Sample standard deviation; null with fewer than two values. */
  std: number | null;
  /** False for a profile's summarised distribution. */
  exact: boolean;
  errorBound: { ksStatistic: number; wasserstein: number } | null;
  /** Exact PSI bins a profile stored, with the bin count they were made for. */
  bins: (Bins & { count: number }) | null;
  /** Hands the per-value arrays back for the next columns; the side must not be used afterwards. */
  release(): void;
}

/** A categorical column of one side: rows per category. */
export interface CategoricalSide {
  counts: Map<string, number>;
  /** NULL rows. */
  missing: number;
  /** False when only the most frequent categories are known (a profile's cap); `otherCount` rows are in the rest. */
  exact: boolean;
  otherCount: number;
}

export interface Side {
  readonly path: string;
  readonly from: 'data' | 'profile';
  readonly rows: number;
  readonly columns: readonly ColumnDescription[];
  /**
   * Starts reading numeric columns (a data file's scan runs ahead on DuckDB's threads); `read`
   * drops their values into the given grids.
   */
  startNumeric(columns: readonly { name: string; grid: BucketGrid }[]): Promise<{ read(): Promise<NumericSide[]> }>;
  categories(name: string): Promise<CategoricalSide>;
}

const FORMAT_TAG = /"format"\s*:\s*"(flywheel\.[a-z-]+)\/v\d+"/;

/** The Flywheel format family a JSON file declares near its start (`flywheel.drift-profile`…), if any. */
async function flywheelFormatOf(path: string): Promise<string | null> {
  if (extname(path).toLowerCase() !== '.json') return null;
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    return head.trimStart().startsWith('{') ? (FORMAT_TAG.exec(head)?.[1] ?? null) : null;
  } finally {
    await handle.close();
  }
}

/**
 * Opens one side: a DriftProfile object, a profile file (a `.json` declaring
 * `flywheel.drift-profile/…`), or any other path as a data file read by DuckDB.
 */
export async function openSide(connections: SourceConnections, input: DriftInput, role: Role, pool: BufferPool): Promise<Side> {
  if (typeof input !== 'string') return profileSide(input, input.source);
  const family = await flywheelFormatOf(input);
  if (family === DRIFT_PROFILE_FORMAT.slice(0, DRIFT_PROFILE_FORMAT.lastIndexOf('/'))) {
    return profileSide(await readDriftProfileFile(input), input);
  }
  if (family !== null) {
    throw new InvalidInputError(role, `${JSON.stringify(input)} is a ${family} document, not data or a drift profile`,
      'pass a data file (Parquet, CSV, JSON) or a drift profile (flywheel data drift-profile, computeDriftProfile)');
  }
  return dataSide(await DuckDbDataSource.open(connections, input, role, `${role}_data`), pool);
}

function dataSide(source: DuckDbDataSource, pool: BufferPool): Side {
  return {
    path: source.path,
    from: 'data',
    rows: source.rows,
    columns: source.columns,
    async startNumeric(columns) {
      const stream = await source.streamNumeric(columns.map((c) => c.name));
      return {
        async read() {
          const samples = columns.map(({ grid }) => new BucketedSample(grid, source.rows, false, pool.take(source.rows)));
          await bucketColumns(stream, samples);
          return samples.map((bucketed) => ({
            bucketed, missing: bucketed.missing, nonFinite: bucketed.nonFinite, ...bucketed.moments(), exact: true, errorBound: null, bins: null,
            release: () => pool.give(bucketed),
          }));
        },
      };
    },
    async categories(name) {
      const counts = await source.categoryCounts(name);
      const present = [...counts.values()].reduce((s, n) => s + n, 0);
      return { counts, missing: source.rows - present, exact: true, otherCount: 0 };
    },
  };
}

function profileSide(profile: DriftProfile, path: string): Side {
  const byName = new Map(profile.columns.map((c) => [c.name, c]));
  const column = <K extends DriftProfileColumn['kind']>(name: string, kind: K) => {
    const found = byName.get(name);
    if (found?.kind !== kind) throw new Error(`profile column ${JSON.stringify(name)} is not ${kind}`);
    return found as Extract<DriftProfileColumn, { kind: K }>;
  };
  return {
    path,
    from: 'profile',
    rows: profile.rows,
    columns: profile.columns.map((c) => ({
      name: c.name, type: c.type, kind: c.kind,
      range: c.kind === 'numeric' && c.numeric ? { min: c.numeric.min, max: c.numeric.max } : null,
    })),
    startNumeric(columns) {
      const side = ({ grid, name }: { grid: BucketGrid; name: string }): NumericSide => {
        const { numeric, nonFinite, missing } = column(name, 'numeric');
        if (!numeric) return { bucketed: new BucketedSample(grid, 0, true), missing, nonFinite, mean: Number.NaN, std: null, exact: true, errorBound: null, bins: null, release: () => undefined };
        const { distribution } = numeric;
        const counts = Float64Array.from(distribution.counts);
        const sample = { values: Float64Array.from(distribution.values), counts, total: counts.reduce((s, x) => s + x, 0), min: numeric.min, max: numeric.max };
        return {
          bucketed: BucketedSample.of(sample, grid),
          missing,
          nonFinite,
          mean: numeric.mean,
          std: numeric.std,
          exact: distribution.exact,
          errorBound: distribution.errorBound,
          bins: numeric.bins,
          release: () => undefined,
        };
      };
      return Promise.resolve({ read: () => Promise.resolve(columns.map(side)) });
    },
    categories(name) {
      const { categorical, missing } = column(name, 'categorical');
      return Promise.resolve({
        counts: new Map(categorical.values.map((value, i) => [value, categorical.counts[i]!])),
        missing,
        exact: categorical.exact,
        otherCount: categorical.otherCount,
      });
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { listDirectory } from '../core/files.js';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from '../data/duckdb.js';
import { predictionLogDir, predictionLogRelation } from '../serving/prediction-log/parquet-prediction-log.js';
import { CHECKED_LABELS_TABLE, checkLabelsSql } from './label-checks.js';
import type { LabelRejectionReason } from './label-checks.js';
import { loadLabelFile, loadLabelRows } from './label-input.js';
import type { LabelColumns, LabelInput } from './label-input.js';
import { withLockFile } from '../core/lock-file.js';

export type { LabelRejectionReason } from './label-checks.js';
export type { LabelInput } from './label-input.js';

/** The label store of a project: `<home>/labels`. */
export function labelStoreDir(home: string): string {
  return join(home, 'labels');
}

/**
 * The labels stored so far as a DuckDB table expression over their Parquet segments, with the
 * columns `prediction_id` VARCHAR, `row` INTEGER, `label` DOUBLE and `labeled_at` TIMESTAMP (UTC);
 * undefined while there are none. A (prediction_id, row) pair occurs at most once, so joining it to
 * the prediction log never repeats a prediction.
 *
 * @example
 *   const labels = await labelsRelation(stack.home);
 *   const log = await predictionLogRelation(predictionLogDir(stack.home), 'flights');
 *   if (labels && log) await db.run(`SELECT p.outputs, l.label FROM ${log} p JOIN ${labels} l USING (prediction_id, "row")`);
 */
export async function labelsRelation(home: string): Promise<string | undefined> {
  const dir = labelStoreDir(home);
  if (!(await listDirectory(dir)).some((name) => name.endsWith('.parquet'))) return undefined;
  return `read_parquet(${quoteLiteral(join(dir, '*.parquet'))})`;
}

interface IngestLabelsCommon {
  /** Flywheel's working folder (`stack.home`), which holds the prediction log and the labels. */
  home: string;
  /** The time labels are stamped with (`labeled_at`), in epoch milliseconds. Default Date.now. */
  now?: () => number;
  /** How long to wait while another ingest holds the store. Default 60 s. */
  lockTimeoutMs?: number;
}

/** Labels from a data file: CSV, Parquet, JSON or NDJSON (or Arrow), by its extension. */
export interface IngestLabelFileOptions extends IngestLabelsCommon {
  file: string;
  /** The column with the prediction id. Default `prediction_id`. */
  idColumn?: string;
  /** The column with the label. Default `label`. */
  labelColumn?: string;
  /** The column with the row within the request; without it, every label is for row 0. Default `row`. */
  rowColumn?: string;
}

/** Labels given in code, as an HTTP endpoint receives them. */
export interface IngestLabelRowsOptions extends IngestLabelsCommon {
  rows: readonly LabelInput[];
}

export type IngestLabelsOptions = IngestLabelFileOptions | IngestLabelRowsOptions;

/** A label that was not kept, and why. */
export interface RejectedLabel {
  /** Null when the input has none. */
  predictionId: string | null;
  /** Null when the input's row is no whole number from 0. */
  row: number | null;
  reason: LabelRejectionReason;
  /** For people, e.g. `label "yes" is not a number`. */
  detail: string;
}

export interface LabelIngestResult {
  accepted: number;
  rejected: Record<LabelRejectionReason, number>;
  /** The segment the accepted labels were written to; undefined when none were accepted. */
  segment: string | undefined;
  /** The first rejections in input order, at most five. */
  examples: RejectedLabel[];
}

const columnName = z.string().min(1);
const optionsSchema = z.strictObject({
  home: z.string().min(1),
  file: z.string().min(1).optional(),
  rows: z.custom<readonly LabelInput[]>(Array.isArray, 'expected an array of labels').optional(),
  idColumn: columnName.optional(),
  labelColumn: columnName.optional(),
  rowColumn: columnName.optional(),
  now: z.custom<() => number>((value) => typeof value === 'function', 'expected a function').optional(),
  lockTimeoutMs: z.number().int().min(0).optional(),
});

export interface CompiledIngestLabelsOptions {
  readonly home: string;
  readonly input: { readonly file: string; readonly columns: LabelColumns } | { readonly rows: readonly LabelInput[] };
  readonly now: () => number;
  readonly lockTimeoutMs: number | undefined;
}

/**
 * Checks ingestLabels' options and fills in the defaults; an InvalidInputError names the bad field.
 *
 * @example
 *   compileIngestLabelsOptions({ home, file: 'labels.csv' }).input; // { file: 'labels.csv', columns: { id: 'prediction_id', label: 'label', row: 'row' } }
 */
export function compileIngestLabelsOptions(options: IngestLabelsOptions): CompiledIngestLabelsOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue?.path.join('.') || 'options', issue?.message.replace(/^Invalid input: /, '') ?? 'invalid');
  }
  const { home, file, rows } = parsed.data;
  if ((file === undefined) === (rows === undefined)) throw new InvalidInputError('file', 'give either a file or rows of labels');
  const input = file !== undefined
    ? { file, columns: { id: parsed.data.idColumn ?? 'prediction_id', label: parsed.data.labelColumn ?? 'label', row: parsed.data.rowColumn ?? 'row' } }
    : { rows: rows! };
  return Object.freeze({ home, input, now: parsed.data.now ?? Date.now, lockTimeoutMs: parsed.data.lockTimeoutMs });
}

const LOCK_FILE = '.lock';
const EXAMPLES = 5;
/** A segment being written; the name never ends in `.parquet`, so readers do not see it. */
const TEMPORARY = /^\..+\.parquet\.tmp$/;

/**
 * Adds delayed labels (ground truth) to the label store: append-only Parquet segments under
 * `<home>/labels`. Each label is matched with the prediction log by prediction id and row;
 * labels that are invalid, unknown to the log or already stored are counted and left out, so one
 * bad line never fails an ingest. The accepted ones become one new segment, written under a
 * temporary name and then renamed. Ingests take turns on a lock file (`<home>/labels/.lock`),
 * so two of them never both accept the same label.
 *
 * @example
 *   const result = await ingestLabels({ home: stack.home, file: 'labels.csv', labelColumn: 'delayed' });
 *   console.log(`accepted ${result.accepted}, unknown ${result.rejected.unknown}`);
 *   await ingestLabels({ home: stack.home, rows: [{ predictionId: '5b1e…', row: 0, label: true }] });
 */
export async function ingestLabels(options: IngestLabelsOptions): Promise<LabelIngestResult> {
  const compiled = compileIngestLabelsOptions(options);
  const dir = labelStoreDir(compiled.home);
  return withDuckDb(async (db) => {
    // The input is read before taking the lock, so that a large file holds up no other ingest.
    if ('file' in compiled.input) await loadLabelFile(db, compiled.input.file, compiled.input.columns);
    else await loadLabelRows(db, compiled.input.rows);
    await mkdir(dir, { recursive: true });
    const lockTimeout = compiled.lockTimeoutMs === undefined ? {} : { timeoutMs: compiled.lockTimeoutMs };
    return withLockFile(join(dir, LOCK_FILE), async () => {
      await removeUnfinishedSegments(dir);
      await db.run(checkLabelsSql(await predictionLogRelation(predictionLogDir(compiled.home)), await labelsRelation(compiled.home)));
      const [counts] = await queryRows(db, `SELECT count(*) FILTER (WHERE reason IS NULL) AS accepted,
        count(*) FILTER (WHERE reason = 'invalid') AS invalid, count(*) FILTER (WHERE reason = 'unknown') AS unknown,
        count(*) FILTER (WHERE reason = 'duplicate') AS duplicate FROM ${CHECKED_LABELS_TABLE}`);
      const accepted = toNumber(counts?.accepted) ?? 0;
      const examples = await queryRows(db, `SELECT prediction_id, "row", reason, detail FROM ${CHECKED_LABELS_TABLE}
        WHERE reason IS NOT NULL ORDER BY ordinal LIMIT ${EXAMPLES}`);
      return {
        accepted,
        rejected: { invalid: toNumber(counts?.invalid) ?? 0, unknown: toNumber(counts?.unknown) ?? 0, duplicate: toNumber(counts?.duplicate) ?? 0 },
        segment: accepted > 0 ? await writeSegment(db, dir, compiled.now()) : undefined,
        examples: examples.map((row) => ({
          predictionId: row.prediction_id === null ? null : String(row.prediction_id),
          row: toNumber(row.row),
          reason: row.reason as LabelRejectionReason,
          detail: String(row.detail),
        })),
      };
    }, lockTimeout);
  });
}

/** Writes the accepted labels to a new segment and returns its path. */
async function writeSegment(db: DuckDBConnection, dir: string, now: number): Promise<string> {
  const name = `${String(now).padStart(13, '0')}-${randomBytes(4).toString('hex')}.parquet`;
  const segment = join(dir, name);
  const temporary = join(dir, `.${name}.tmp`);
  try {
    await db.run(`COPY (SELECT prediction_id, "row", label, epoch_ms(${Math.trunc(now)}) AS labeled_at FROM ${CHECKED_LABELS_TABLE}
      WHERE reason IS NULL ORDER BY ordinal) TO ${quoteLiteral(temporary)} (FORMAT parquet, COMPRESSION zstd)`);
    // On disk before it gets its name, so that after a power cut the name never stands for a partial file.
    const handle = await open(temporary, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, segment);
  } finally {
    await rm(temporary, { force: true });
  }
  return segment;
}

/** Segments an ingest was writing when it died; only called under the lock, when no other ingest writes. */
async function removeUnfinishedSegments(dir: string): Promise<void> {
  for (const name of await listDirectory(dir)) {
    if (TEMPORARY.test(name)) await rm(join(dir, name), { force: true });
  }
}

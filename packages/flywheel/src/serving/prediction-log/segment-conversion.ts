import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { listDirectory, pathExists } from '../../core/files.js';
import { quoteLiteral } from '../../data/duckdb.js';

/** Columns of a segment as DuckDB reads them from the staged NDJSON. */
const STAGED_COLUMNS = `{prediction_id: 'VARCHAR', row: 'INTEGER', ts: 'BIGINT', model: 'VARCHAR', version: 'INTEGER', arm: 'VARCHAR',
  endpoint: 'VARCHAR', inputs: 'JSON', outputs: 'JSON', latency_ms: 'DOUBLE'}`;

/**
 * A complete staged batch of records: `<dir>/.<batch>.ndjson`, batch =
 * `<epoch ms>-<pid>-<token>-<sequence>`, the token random per server process (pids are reused).
 */
const STAGED = /^\.(\d+-(\d+)-([0-9a-f]+)-\d+)\.ndjson$/;

/** Where a staged batch of `batch` is written before it is complete. */
export function stagingPaths(dir: string, batch: string): { temporary: string; staged: string } {
  return { temporary: join(dir, `.${batch}.ndjson.tmp`), staged: join(dir, `.${batch}.ndjson`) };
}

/**
 * Turns a staged NDJSON batch into Parquet segments, one per model and UTC day
 * (`<dir>/<model>/<YYYY-MM-DD>/<batch>.parquet`), then deletes it. Idempotent, so a conversion cut
 * short by a crash is simply run again: a segment already there is kept, a missing staged file
 * means the work is done. Each segment is written to a temporary name and renamed, so readers
 * never see half a file. A batch DuckDB cannot read is renamed `….ndjson.failed` (kept, not
 * retried) and the error rethrown.
 */
export async function convertStagedBatch(connection: DuckDBConnection, dir: string, staged: string): Promise<void> {
  const batch = STAGED.exec(basename(staged))?.[1];
  if (batch === undefined) throw new Error(`${staged} is not a staged prediction batch`);
  if (!(await pathExists(staged))) return;
  const table = `staged_${batch.replaceAll('-', '_')}`;
  try {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${table} AS
      SELECT prediction_id, "row", epoch_ms(ts) AS timestamp, model, version, arm, endpoint, inputs, outputs, latency_ms
      FROM read_json(${quoteLiteral(staged)}, format = 'newline_delimited', columns = ${STAGED_COLUMNS})`);
  } catch (error) {
    // Gone meanwhile: another writer converted it (batches of a killed server are anyone's).
    if (!(await pathExists(staged))) return;
    await rename(staged, `${staged}.failed`);
    throw error;
  }
  try {
    const groups = (await connection.runAndReadAll(`SELECT DISTINCT model, strftime(timestamp, '%Y-%m-%d') AS day FROM ${table}`)).getRowObjectsJS();
    for (const { model, day } of groups) {
      const folder = join(dir, String(model), String(day));
      const segment = join(folder, `${batch}.parquet`);
      if (await pathExists(segment)) continue;
      await mkdir(folder, { recursive: true });
      // Two writers may convert one abandoned batch at once: each writes its own file, and the renames replace alike.
      const temporary = join(folder, `.${batch}.${process.pid}.parquet.tmp`);
      try {
        await connection.run(`COPY (SELECT * FROM ${table} WHERE model = ${quoteLiteral(String(model))} AND strftime(timestamp, '%Y-%m-%d') = ${quoteLiteral(String(day))})
          TO ${quoteLiteral(temporary)} (FORMAT parquet, COMPRESSION zstd)`);
        await rename(temporary, segment);
      } finally {
        await rm(temporary, { force: true });
      }
    }
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${table}`);
  }
  await rm(staged, { force: true });
}

/**
 * Staged batches left by server processes that are gone (killed before their batches were
 * converted), oldest first: those of another token whose process is not running, or runs as the
 * server `own` describes (a later process with the same pid, as in a restarted container).
 * Batches of other living servers are theirs to convert.
 */
export async function orphanedBatches(dir: string, own: { pid: number; token: string }, alive: (pid: number) => boolean): Promise<string[]> {
  return (await listDirectory(dir))
    .filter((name) => {
      const match = STAGED.exec(name);
      if (!match || match[3] === own.token) return false;
      const pid = Number(match[2]);
      return pid === own.pid || !alive(pid);
    })
    .sort()
    .map((name) => join(dir, name));
}

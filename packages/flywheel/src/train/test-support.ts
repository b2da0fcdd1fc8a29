import { quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { sampleDataPath } from '../data/sample-data.js';

/** The demo's features and label on the flights data. */
export const FLIGHT_FEATURES = {
  label: 'delayed',
  numeric: ['distance', 'hour', 'dow'],
  categorical: ['origin', 'destination'],
};

/**
 * Writes flights of one month of 2001 as Parquet with the demo's derived columns (hour, dow,
 * delayed = delay > 15), for tests: all of them, or `rows` of them spread over the month (the
 * file is sorted by time, so its first rows would all be from the first days).
 */
export async function writeFlightsMonth(path: string, month: number, rows?: number): Promise<void> {
  const source = quoteLiteral(sampleDataPath('flights-3m.parquet'));
  const sample = rows === undefined ? '' : ` AND hash(date, origin, destination, delay) % 16 = 0 LIMIT ${rows}`;
  const select =
    `SELECT *, hour(date) AS hour, dayofweek(date) AS dow, (delay > 15)::INTEGER AS delayed ` +
    `FROM read_parquet(${source}) WHERE month(date) = ${month}${sample}`;
  await withDuckDb((db) => db.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet)`).then(() => undefined));
}

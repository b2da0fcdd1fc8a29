import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Path of a data file shipped by the `vega-datasets` package (BSD-3), resolved through Node's
 * module resolution so it works from any working directory.
 *
 * @example
 *   sampleDataPath('flights-3m.parquet'); // …/node_modules/vega-datasets/data/flights-3m.parquet
 */
export function sampleDataPath(fileName: string): string {
  // The package's `exports` hide its package.json, so resolve its entry point (build/index.js).
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data', fileName);
}

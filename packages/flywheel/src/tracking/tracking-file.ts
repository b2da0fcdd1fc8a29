import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InvalidParameterValueError } from './errors.js';
import { LIMITS } from './model.js';
import type { Metric, Param, Tag } from './model.js';
import type { TrackingStore } from './tracking-store.js';
import { validateMetric, validateParam, validateTag } from './validation.js';

/**
 * The environment variable that names a command step's tracking file: an append-only NDJSON file
 * the step's program writes, in any language, and the runner ingests into the step's tracked
 * run after the step. One JSON object per line:
 *
 *   {"metric": "loss", "value": 0.31, "step": 1}            step 0 and the file's modification time when absent
 *   {"metric": "auc", "value": "NaN"}                       also "Infinity", "-Infinity" (and Python's bare NaN)
 *   {"param": "depth", "value": 6}                          stored as text: "6"
 *   {"tag": "stage", "value": "candidate"}
 */
export const TRACKING_FILE_ENV = 'FLYWHEEL_TRACKING_FILE';

/** A line of a tracking file that is not valid; `line` counts from 1. */
export class TrackingFileError extends InvalidParameterValueError {
  readonly path: string;
  readonly line: number;
  constructor(path: string, line: number, problem: string) {
    super(`${path} line ${line}: ${problem}`, { field: `line ${line}`, hint: 'each line is one JSON object: {"metric": …, "value": …}, {"param": …, "value": …} or {"tag": …, "value": …}' });
    this.path = path;
    this.line = line;
  }
}

export interface IngestedCounts {
  metrics: number;
  params: number;
  tags: number;
}

/**
 * Reads a tracking file and logs its content to a run. The whole file is checked first, so a bad
 * line (named by its number) stores nothing; then params, tags and metrics are written in
 * MLflow-sized batches. Ingesting the same file again changes nothing: params keep their values,
 * tags are set to the same values and identical metric points are stored once.
 *
 * @example
 *   const counts = await ingestTrackingFile(stack.tracking.store, run.id, '/work/step/tracking.ndjson');
 */
export async function ingestTrackingFile(store: TrackingStore, runId: string, path: string): Promise<IngestedCounts> {
  // Points without a timestamp get the file's, not the clock's, so ingesting it again adds nothing.
  const fileTime = Math.floor((await stat(path)).mtimeMs);
  const metrics: Metric[] = [];
  const params = new Map<string, { value: string; line: number }>();
  const tags = new Map<string, string>();
  let number = 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const text of lines) {
    number++;
    if (text.trim() === '') continue;
    const entry = parseLine(path, number, text);
    try {
      if ('metric' in entry) {
        const metric = { key: entry.metric, value: metricValue(entry.value), timestamp: entry.timestamp ?? fileTime, step: entry.step ?? 0 };
        validateMetric(metric as Metric, 'metric');
        metrics.push(metric as Metric);
      } else if ('param' in entry) {
        const param = { key: entry.param, value: textValue(entry.value) } as Param;
        validateParam(param, 'param');
        const earlier = params.get(param.key);
        if (earlier !== undefined && earlier.value !== param.value) {
          throw new InvalidParameterValueError(
            `param '${param.key}' was logged with ${JSON.stringify(earlier.value)} on line ${earlier.line} and with ${JSON.stringify(param.value)} here; params cannot change`,
          );
        }
        params.set(param.key, { value: param.value, line: number });
      } else {
        const tag = { key: entry.tag, value: textValue(entry.value) } as Tag;
        validateTag(tag, 'tag');
        tags.set(tag.key, tag.value);
      }
    } catch (error) {
      if (error instanceof InvalidParameterValueError) throw new TrackingFileError(path, number, error.message);
      throw error;
    }
  }

  const paramList = [...params].map(([key, { value }]) => ({ key, value }));
  for (let i = 0; i < paramList.length; i += LIMITS.paramsPerBatch) {
    await store.logBatch(runId, { params: paramList.slice(i, i + LIMITS.paramsPerBatch) });
  }
  const tagList = [...tags].map(([key, value]) => ({ key, value }));
  for (let i = 0; i < tagList.length; i += LIMITS.tagsPerBatch) {
    await store.logBatch(runId, { tags: tagList.slice(i, i + LIMITS.tagsPerBatch) });
  }
  for (let i = 0; i < metrics.length; i += LIMITS.metricsPerBatch) {
    await store.logBatch(runId, { metrics: metrics.slice(i, i + LIMITS.metricsPerBatch) });
  }
  return { metrics: metrics.length, params: paramList.length, tags: tagList.length };
}

type Entry =
  | { metric: unknown; value: unknown; step?: number; timestamp?: number }
  | { param: unknown; value: unknown }
  | { tag: unknown; value: unknown };

const KINDS = ['metric', 'param', 'tag'] as const;
const FIELDS: Record<(typeof KINDS)[number], readonly string[]> = {
  metric: ['metric', 'value', 'step', 'timestamp'],
  param: ['param', 'value'],
  tag: ['tag', 'value'],
};

/** Python's json.dumps writes NaN and ±Infinity bare; they are accepted as the metric value. */
const BARE_NON_FINITE = /("value"\s*:\s*)(NaN|-?Infinity)(\s*[,}])/;

function parseLine(path: string, line: number, text: string): Entry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const lenient = text.replace(BARE_NON_FINITE, '$1"$2"$3');
    try {
      parsed = JSON.parse(lenient);
    } catch {
      throw new TrackingFileError(path, line, `not valid JSON (${(error as Error).message})`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TrackingFileError(path, line, 'expected a JSON object');
  }
  const kinds = KINDS.filter((kind) => kind in parsed);
  if (kinds.length !== 1) {
    throw new TrackingFileError(path, line, kinds.length === 0
      ? 'expected one of the fields "metric", "param" or "tag"'
      : `expected only one of the fields "metric", "param" or "tag", found ${kinds.map((k) => `"${k}"`).join(' and ')}`);
  }
  const kind = kinds[0] as (typeof KINDS)[number];
  const unknown = Object.keys(parsed).filter((field) => !FIELDS[kind].includes(field));
  if (unknown.length > 0) {
    throw new TrackingFileError(path, line, `unknown field ${unknown.map((f) => JSON.stringify(f)).join(', ')} in a ${kind} line (allowed: ${FIELDS[kind].join(', ')})`);
  }
  if (!('value' in parsed)) throw new TrackingFileError(path, line, `a ${kind} line needs a "value"`);
  return parsed as Entry;
}

function metricValue(value: unknown): unknown {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return value;
}

function textValue(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? JSON.stringify(value) : value;
}

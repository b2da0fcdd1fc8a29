import { InvalidParameterValueError } from './errors.js';
import { LIMITS } from './model.js';
import type { LogBatch, Metric, Param, Tag } from './model.js';

/**
 * MLflow's input rules and messages (mlflow/utils/validation.py, 2.17), so a client sees the same
 * refusal from Flywheel as from MLflow. Lengths count Unicode code points, as Python's len() does.
 */

/** MLflow's key rule outside Windows: Python's Unicode `\w`, plus `/ . - :` and space. */
const VALID_KEY = /^[/\p{L}\p{N}_.\- :]*$/u;
const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
const MISSING_KEY = 'A key name must be provided.';

type KeyKind = 'metric' | 'parameter' | 'tag';
const KEY_LABEL: Record<KeyKind, string> = { metric: 'Metric name', parameter: 'Param key', tag: 'Tag key' };
const NONE_LABEL: Record<KeyKind, string> = { metric: 'Metric name', parameter: 'Parameter name', tag: 'Tag name' };

/**
 * Keys already found valid. A training loop logs the same few keys millions of times; checking
 * each once keeps validation off the profile. Bounded, so unusual key churn cannot grow it.
 */
const validKeys = new Set<string>();
const VALID_KEYS_REMEMBERED = 10_000;

/** Throws MLflow's error for a metric, param or tag key that MLflow would refuse. */
export function validateKey(kind: KeyKind, key: unknown, field: string): asserts key is string {
  if (typeof key === 'string' && validKeys.has(key)) return;
  if (key === undefined || key === null) {
    throw new InvalidParameterValueError(`${NONE_LABEL[kind]} cannot be None. ${MISSING_KEY}`, { field });
  }
  if (typeof key !== 'string') {
    throw new InvalidParameterValueError(`Invalid ${kind} name: ${pyRepr(key)}. ${MISSING_KEY}`, { field });
  }
  if (!VALID_KEY.test(key)) {
    throw new InvalidParameterValueError(`Invalid ${kind} name: ${pyRepr(key)}. ${BAD_CHARACTERS}`, { field });
  }
  const normalized = normpath(key);
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    throw new InvalidParameterValueError(
      `Invalid ${kind} name: ${pyRepr(key)}. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pyRepr(normalized)}`,
      { field },
    );
  }
  checkLength(KEY_LABEL[kind], LIMITS.keyLength, key, field);
  if (validKeys.size >= VALID_KEYS_REMEMBERED) validKeys.clear();
  validKeys.add(key);
}

/** MLflow's length rule and message: `Param value '<first 250>' had length N, which exceeded length limit of 6000`. */
export function checkLength(label: string, limit: number, value: string, field: string): void {
  // UTF-16 length bounds the code-point count from above, so only long values pay for counting.
  if (value.length <= limit) return;
  const codePoints = Array.from(value);
  if (codePoints.length <= limit) return;
  throw new InvalidParameterValueError(
    `${label} ${pyRepr(codePoints.slice(0, 250).join(''))} had length ${codePoints.length}, which exceeded length limit of ${limit}`,
    { field },
  );
}

/** With the `u` flag a surrogate pair is one code point, so only unpaired halves match. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * Text a database can store as UTF-8: JavaScript strings may hold unpaired surrogates (no UTF-8
 * encoding exists) and NUL characters (PostgreSQL text refuses them).
 */
export function checkText(label: string, value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new InvalidParameterValueError(`${label} must be a string, got ${describe(value)}`, { field });
  }
  if (UNPAIRED_SURROGATE.test(value)) {
    throw new InvalidParameterValueError(`${label} is not valid UTF-8 text: it contains an unpaired surrogate`, { field });
  }
  if (value.includes('\u0000')) {
    throw new InvalidParameterValueError(`${label} contains a NUL character, which cannot be stored`, { field });
  }
}

export function validateMetric(metric: Metric, field: string): void {
  if (typeof metric !== 'object' || metric === null) {
    throw new InvalidParameterValueError(`a metric must be an object with key, value, timestamp and step, got ${describe(metric)}`, { field });
  }
  const { key, value, timestamp, step } = metric;
  validateKey('metric', key, `${field}.key`);
  if (typeof value !== 'number') {
    throw new InvalidParameterValueError(
      `Got invalid value ${describe(value)} for metric '${key}' (timestamp=${describe(timestamp)}). Please specify value as a valid double (64-bit floating point)`,
      { field: `${field}.value` },
    );
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new InvalidParameterValueError(
      `Got invalid timestamp ${describe(timestamp)} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
      { field: `${field}.timestamp` },
    );
  }
  if (!Number.isSafeInteger(step)) {
    throw new InvalidParameterValueError(
      `Got invalid step ${describe(step)} for metric '${key}' (value=${value}). Step must be a valid long (64-bit integer).`,
      { field: `${field}.step` },
    );
  }
}

export function validateParam(param: Param, field: string): void {
  validateEntry(param, field, 'parameter');
  checkText('Param value', param.value, `${field}.value`);
  checkLength('Param value', LIMITS.paramValueLength, param.value, `${field}.value`);
}

export function validateTag(tag: Tag, field: string, valueLimit: number = LIMITS.tagValueLength): void {
  validateEntry(tag, field, 'tag');
  checkText('Tag value', tag.value, `${field}.value`);
  checkLength('Tag value', valueLimit, tag.value, `${field}.value`);
}

function validateEntry(entry: Tag, field: string, kind: KeyKind): void {
  if (typeof entry !== 'object' || entry === null) {
    throw new InvalidParameterValueError(`a ${kind} must be an object with key and value, got ${describe(entry)}`, { field });
  }
  validateKey(kind, entry.key, `${field}.key`);
}

/** Everything MLflow's log_batch checks before touching the database: sizes, entries, duplicate params. */
export function validateBatch(batch: LogBatch): Required<LogBatch> {
  if (typeof batch !== 'object' || batch === null) {
    throw new InvalidParameterValueError(`a batch must be an object with metrics, params and tags, got ${describe(batch)}`, { field: 'batch' });
  }
  const metrics = arrayOf(batch.metrics, 'metrics');
  const params = arrayOf(batch.params, 'params');
  const tags = arrayOf(batch.tags, 'tags');
  checkBatchLimit('metrics', LIMITS.metricsPerBatch, metrics.length);
  checkBatchLimit('params', LIMITS.paramsPerBatch, params.length);
  checkBatchLimit('tags', LIMITS.tagsPerBatch, tags.length);
  checkBatchLimit('metrics, params, and tags', LIMITS.entitiesPerBatch, metrics.length + params.length + tags.length);
  for (let i = 0; i < metrics.length; i++) validateMetric(metrics[i] as Metric, `metrics[${i}]`);
  validateParams(params);
  tags.forEach((tag, i) => validateTag(tag, `tags[${i}]`));
  return { metrics, params, tags };
}

/** Each param valid, and no key twice; no limit on the count (a batch has its own). */
export function validateParams(params: readonly Param[]): void {
  params.forEach((param, i) => validateParam(param, `params[${i}]`));
  const seen = new Set<string>();
  const duplicates = params.filter((param) => seen.size === seen.add(param.key).size).map((param) => param.key);
  if (duplicates.length > 0) {
    throw new InvalidParameterValueError(
      `Duplicate parameter keys have been submitted: ${pyRepr(duplicates)}. Please ensure the request contains only one param value per param key.`,
      { field: 'params' },
    );
  }
}

function arrayOf<T>(value: T[] | undefined, field: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidParameterValueError(`${field} must be an array, got ${describe(value)}`, { field });
  return value;
}

function checkBatchLimit(what: string, limit: number, count: number): void {
  if (count <= limit) return;
  throw new InvalidParameterValueError(
    `A batch logging request can contain at most ${limit} ${what}. Got ${count} ${what}. Please split up ${what} across multiple requests and try again.`,
    { field: what.startsWith('metrics,') ? 'batch' : what },
  );
}

/** MLflow's run ids are 1 to 256 word characters or dashes, starting with a letter or digit. */
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

export function validateRunId(runId: unknown): asserts runId is string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new InvalidParameterValueError(`Invalid run ID: ${pyRepr(runId)}`, { field: 'run_id' });
  }
}

export function validateExperimentName(name: unknown): asserts name is string {
  if (name === '' || name === undefined || name === null) {
    throw new InvalidParameterValueError(`Invalid experiment name: '${name ?? 'None'}'`, { field: 'name' });
  }
  if (typeof name !== 'string') {
    throw new InvalidParameterValueError(`Invalid experiment name: ${describe(name)}. Expects a string.`, { field: 'name' });
  }
  checkText('Experiment name', name, 'name');
  if (Array.from(name).length > LIMITS.experimentNameLength) {
    throw new InvalidParameterValueError(
      `Experiment name exceeds the maximum length of ${LIMITS.experimentNameLength} characters`,
      { field: 'name' },
    );
  }
}

/** Experiment ids are the decimal numbers the database assigns. */
export function parseExperimentId(experimentId: unknown, field = 'experiment_id'): number {
  const text = typeof experimentId === 'number' ? String(experimentId) : experimentId;
  if (typeof text !== 'string' || !/^\d{1,15}$/.test(text)) {
    throw new InvalidParameterValueError(`Invalid experiment ID: ${pyRepr(experimentId)}`, { field });
  }
  return Number(text);
}

/** Python's os.path.normpath for POSIX paths, which MLflow applies to keys. */
export function normpath(path: string): string {
  if (path === '') return '.';
  const initialSlashes = path.startsWith('/') ? (path.startsWith('//') && !path.startsWith('///') ? 2 : 1) : 0;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (initialSlashes === 0 && parts.length === 0) || parts.at(-1) === '..') parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  const joined = '/'.repeat(initialSlashes) + parts.join('/');
  return joined === '' ? '.' : joined;
}

/** Python's repr() of strings and lists of strings, for messages that match MLflow's text. */
export function pyRepr(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value !== 'string') return describe(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

function describe(value: unknown): string {
  if (value === undefined) return 'None';
  if (typeof value === 'string') return pyRepr(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value) ?? String(value);
}

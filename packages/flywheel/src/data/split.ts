import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier, quoteLiteral } from './duckdb.js';

/** The column ingest adds to a split dataset, holding each row's split name. */
export const SPLIT_COLUMN = 'split';

const splitName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'a split name is a letter followed by letters, digits, _ or -');

const fractions = z.record(splitName, z.number().gt(0).lt(1)).superRefine((splits, context) => {
  const values = Object.values(splits);
  if (values.length < 2) context.addIssue({ code: 'custom', message: 'name at least two splits' });
  const total = values.reduce((sum, value) => sum + value, 0);
  if (Math.abs(total - 1) > 1e-9) context.addIssue({ code: 'custom', message: `the fractions must add up to 1, not ${total}` });
});

const seed = z.number().int().min(0).max(2 ** 32 - 1);

/**
 * How ingest assigns rows to splits. Every kind is deterministic: the same input and spec give
 * the same assignment on every run and machine.
 */
export const splitSpecSchema = z.discriminatedUnion('kind', [
  /** By row position: a hash of the row number (in file order, or the query's ORDER BY) and the seed. */
  z.strictObject({ kind: z.literal('random'), splits: fractions, seed: seed.default(0) }),
  /** By a key column: rows with the same key always land in the same split (MD5 of the key's text). */
  z.strictObject({ kind: z.literal('hash'), column: z.string().min(1), splits: fractions, seed: seed.optional() }),
  /** By time: rows before `boundaries[0]` go to the first split, then up to each next boundary. */
  z.strictObject({
    kind: z.literal('time'),
    column: z.string().min(1),
    boundaries: z.array(z.string().min(1)).min(1),
    names: z.array(splitName).optional(),
  }).superRefine((spec, context) => {
    if (spec.names && spec.names.length !== spec.boundaries.length + 1) {
      context.addIssue({ code: 'custom', path: ['names'], message: `${spec.boundaries.length} boundaries make ${spec.boundaries.length + 1} splits, but ${spec.names.length} names are given` });
    }
  }),
]);

export type SplitSpec = z.input<typeof splitSpecSchema>;
export type CompiledSplitSpec = z.output<typeof splitSpecSchema>;

const DEFAULT_NAMES = ['train', 'eval', 'test'];

function defaultNames(count: number, field: string): string[] {
  if (count > DEFAULT_NAMES.length) {
    throw new InvalidInputError(field, `${count} splits need names`, 'name them, e.g. random:train=0.6,eval=0.2,test=0.1,holdout=0.1');
  }
  return DEFAULT_NAMES.slice(0, count);
}

/**
 * Reads a split given on the command line:
 *   `random:0.8,seed=42`                 train 80%, eval 20%, by row number
 *   `random:train=0.7,eval=0.2,test=0.1` named splits
 *   `hash:user_id:0.8`                   train 80%, eval 20%, by the key column user_id
 *   `time:date:2001-03-01`               train before March 2001, eval from then on
 *   `time:date:2001-03-01,2001-05-01`    train, eval, test
 * A single fraction f means two splits, f and 1 − f.
 *
 * @example
 *   parseSplitSpec('random:0.8,seed=42'); // { kind: 'random', splits: { train: 0.8, eval: 0.2 }, seed: 42 }
 */
export function parseSplitSpec(text: string, field = 'split'): CompiledSplitSpec {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const usage = 'use random:0.8[,seed=42], hash:<column>:0.8 or time:<column>:<timestamp>[,<timestamp>…]';
  let spec: unknown;
  switch (kind) {
    case 'random':
      spec = { kind, ...fractionsAndSeed(rest, field) };
      break;
    case 'hash': {
      const last = rest.lastIndexOf(':');
      if (last <= 0) throw new InvalidInputError(field, `${JSON.stringify(text)} names no key column`, usage);
      spec = { kind, column: rest.slice(0, last), ...fractionsAndSeed(rest.slice(last + 1), field) };
      break;
    }
    case 'time': {
      const next = rest.indexOf(':');
      if (next <= 0) throw new InvalidInputError(field, `${JSON.stringify(text)} names no time column`, usage);
      spec = { kind, column: rest.slice(0, next), boundaries: rest.slice(next + 1).split(',').map((b) => b.trim()).filter(Boolean) };
      break;
    }
    default:
      throw new InvalidInputError(field, `unknown split ${JSON.stringify(text)}`, usage);
  }
  return compileSplitSpec(spec, field);
}

function fractionsAndSeed(text: string, field: string): { splits: Record<string, number>; seed?: number } {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  let seedValue: number | undefined;
  const named: [string, number][] = [];
  const bare: number[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    const value = Number(eq < 0 ? part : part.slice(eq + 1));
    if (!Number.isFinite(value)) throw new InvalidInputError(field, `${JSON.stringify(part)} is not a number`);
    if (eq < 0) bare.push(value);
    else if (part.slice(0, eq) === 'seed') seedValue = value;
    else named.push([part.slice(0, eq), value]);
  }
  if (named.length > 0 && bare.length > 0) throw new InvalidInputError(field, 'either name every split or none');
  let splits: Record<string, number>;
  if (named.length > 0) {
    splits = Object.fromEntries(named);
  } else {
    // Rounded so that 1 − 0.8 reads 0.2, not 0.19999999999999996.
    const values = bare.length === 1 ? [bare[0]!, Number((1 - bare[0]!).toPrecision(12))] : bare;
    const names = defaultNames(values.length, field);
    splits = Object.fromEntries(values.map((value, i) => [names[i]!, value]));
  }
  return seedValue === undefined ? { splits } : { splits, seed: seedValue };
}

/** Validates a split spec (an object, or the command-line text) and fills in defaults. */
export function compileSplitSpec(spec: unknown, field = 'split'): CompiledSplitSpec {
  if (typeof spec === 'string') return parseSplitSpec(spec, field);
  const parsed = splitSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length > 0 ? `${field}.${issue.path.join('.')}` : field;
    throw new InvalidInputError(path, issue.message);
  }
  return parsed.data;
}

/** The split names in order. */
export function splitNames(spec: CompiledSplitSpec): string[] {
  return spec.kind === 'time' ? (spec.names ?? defaultNames(spec.boundaries.length + 1, 'split')) : Object.keys(spec.splits);
}

const TWO_32 = 2 ** 32;

/** Upper bounds on the 32-bit hash scale: a row with hash h goes to the first split whose bound exceeds h. */
function thresholds(splits: Record<string, number>): number[] {
  let cumulative = 0;
  return Object.values(splits).map((fraction) => {
    cumulative += fraction;
    return Math.min(TWO_32, Math.round(cumulative * TWO_32));
  });
}

/** lowbias32 (Chris Wellons): a 32-bit integer hash with good avalanche, also written in SQL below. */
function mix32(value: number): number {
  let x = value >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The 32-bit hash a `random` split gives row `rowNumber` (1-based), so that anyone can reproduce
 * an assignment: the row goes to the first split whose cumulative fraction × 2³² exceeds it.
 */
export function rowHash(rowNumber: number, seedValue: number): number {
  const low = rowNumber % TWO_32;
  const high = Math.floor(rowNumber / TWO_32);
  return mix32((low ^ high ^ mix32(seedValue)) >>> 0);
}

/** SQL steps that turn the UBIGINT column `__h` into mix32(__h); each step reads the previous one only. */
const MIX_STEPS = [
  'xor(__h >> 16, __h)',
  '(__h * 2146121005::UBIGINT) % 4294967296',
  'xor(__h >> 15, __h)',
  '(__h * 2221713035::UBIGINT) % 4294967296',
  'xor(__h >> 16, __h)',
];

/**
 * Wraps `select` (a SELECT returning the rows to split) into one that adds the `split` column.
 * Rows a time split cannot place (a NULL time) get a NULL split; the caller sets them aside.
 */
export function withSplitColumn(select: string, spec: CompiledSplitSpec): string {
  const names = splitNames(spec);
  const caseOf = (value: string, bounds: number[]) =>
    `CASE ${bounds.slice(0, -1).map((bound, i) => `WHEN ${value} < ${bound} THEN ${quoteLiteral(names[i]!)}`).join(' ')} ELSE ${quoteLiteral(names.at(-1)!)} END`;
  switch (spec.kind) {
    case 'random': {
      // Each layer rereads the previous `__h` only, so the expression stays linear in size.
      let sql = `SELECT *, (row_number() OVER ())::UBIGINT AS __h FROM (${select})`;
      for (const step of [`xor(xor(__h % 4294967296, __h >> 32), ${mix32(spec.seed)}::UBIGINT)`, ...MIX_STEPS]) {
        sql = `SELECT * REPLACE (${step} AS __h) FROM (${sql})`;
      }
      return `SELECT * EXCLUDE (__h), ${caseOf('__h', thresholds(spec.splits))} AS ${quoteIdentifier(SPLIT_COLUMN)} FROM (${sql})`;
    }
    case 'hash': {
      const prefix = spec.seed === undefined ? '' : `${spec.seed}:`;
      const key = `coalesce(${quoteIdentifier(spec.column)}::VARCHAR, '')`;
      const hash = `(md5_number_lower(${quoteLiteral(prefix)} || ${key}) >> 32)`;
      return `SELECT *, ${caseOf(hash, thresholds(spec.splits))} AS ${quoteIdentifier(SPLIT_COLUMN)} FROM (${select})`;
    }
    case 'time': {
      const column = quoteIdentifier(spec.column);
      const cases = spec.boundaries.map((boundary, i) => `WHEN ${column} < ${quoteLiteral(boundary)} THEN ${quoteLiteral(names[i]!)}`);
      return `SELECT *, CASE WHEN ${column} IS NULL THEN NULL ${cases.join(' ')} ELSE ${quoteLiteral(names.at(-1)!)} END AS ${quoteIdentifier(SPLIT_COLUMN)} FROM (${select})`;
    }
  }
}

import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { BatchingOptions } from './micro-batcher.js';
import type { Deployment, ModelRef } from './model-repository.js';
import type { ExtraFields } from './model-inputs.js';
import type { PredictionLogSink } from './prediction-log/prediction-log-sink.js';
import { parseStickyKey, type StickyKey } from './traffic-split.js';
import { fieldPath } from '../core/field-path.js';

/** Where the server reports what happened: failed requests, hot swaps, prediction log trouble. */
export interface ServingLogger {
  error(details: Record<string, unknown>, message: string): void;
  warn?(details: Record<string, unknown>, message: string): void;
  info?(details: Record<string, unknown>, message: string): void;
}

/** How one model is served: a ref answering by default, and an optional canary or shadow. */
export interface ModelServingOptions {
  name: string;
  /** Alias or version answering requests that name no version; `champion` by default. */
  ref?: string;
  /** Send `percent` of requests to `challenger` (an alias or version; `challenger` by default). */
  canary?: { challenger?: string; percent: number; stickyKey?: string | StickyKey };
  /** Mirror `percent` (100 by default) of requests to `challenger`, off the request path. */
  shadow?: { challenger?: string; percent?: number };
}

export interface PredictionLogOptions {
  /** Where records go; Parquet segments under `dir` by default. */
  sink?: PredictionLogSink;
  /** Folder of the default Parquet sink; `<home>/predictions` by default. */
  dir?: string;
  /** Share of requests logged, 0–1; 1 by default. */
  sampleRate?: number;
  /** Records held in memory at most before new ones are dropped; 100,000 by default. */
  maxQueueRecords?: number;
  /** A segment is written once this many records wait …; 10,000 by default. */
  flushRecords?: number;
  /** … or this long after the first of them; 5,000 ms by default. */
  flushIntervalMs?: number;
}

/** Options of `startPredictionServer`; every field but `stack` and `models` has a default. */
export interface PredictionServingOptions {
  /** Models to serve: `{ name, ref }` each, or with a canary or shadow. Several refs of one name: the first answers by default, the others when asked for by version. */
  models: readonly (ModelRef | ModelServingOptions)[];
  /** `127.0.0.1` by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Largest request body accepted; 10 MiB by default. Larger ones get 413 without being read. */
  maxBodyBytes?: number;
  /** Poll the registry for alias moves every `intervalMs` (2,000 by default); `false` serves what was resolved at start. */
  watch?: { intervalMs?: number } | false;
  /** Micro-batching of concurrent requests (on by default: 64 rows, no wait); `false` runs each request alone. */
  batching?: Partial<BatchingOptions> | false;
  /** The prediction log (on by default when the stack has a home folder); `false` turns it off. */
  predictionLog?: PredictionLogOptions | false;
  /** Fields of row-oriented requests that are not model inputs: `ignore` (the default) or `reject` with 400. */
  extraFields?: ExtraFields;
  /** Connection limits against slow or stuck clients. */
  timeouts?: { headersMs?: number; requestMs?: number; keepAliveMs?: number };
  /** Shadow requests running at once at most; more are skipped and counted. 32 by default. */
  maxShadowInFlight?: number;
  /** The time logged predictions are stamped with, in ms since the epoch: `Date.now` by default; a replay of past traffic passes its own clock. */
  clock?: () => number;
  logger?: ServingLogger;
}

export interface CompiledServingOptions {
  readonly deployments: readonly Deployment[];
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly watchIntervalMs: number | undefined;
  readonly batching: BatchingOptions | undefined;
  readonly predictionLog:
    | { sink: PredictionLogSink | undefined; dir: string | undefined; sampleRate: number; maxQueueRecords: number; flushRecords: number; flushIntervalMs: number }
    | undefined;
  readonly extraFields: ExtraFields;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxShadowInFlight: number;
  readonly clock: () => number;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

const positiveInt = z.number().int().positive();
const percent = z.number().min(0).max(100);
const ms = z.number().int().positive();

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  maxBodyBytes: positiveInt.default(DEFAULT_MAX_BODY_BYTES),
  watch: z.union([z.literal(false), z.object({ intervalMs: ms.default(2000) })]).default({ intervalMs: 2000 }),
  batching: z.union([z.literal(false), z.object({ maxBatchRows: positiveInt.default(64), maxWaitMs: z.number().min(0).default(0) })]).default({ maxBatchRows: 64, maxWaitMs: 0 }),
  predictionLog: z
    .union([
      z.literal(false),
      z.object({
        sink: z.custom<PredictionLogSink>((v) => typeof v === 'object' && v !== null && typeof (v as PredictionLogSink).write === 'function', 'must have write() and close()').optional(),
        dir: z.string().min(1).optional(),
        sampleRate: z.number().min(0).max(1).default(1),
        maxQueueRecords: positiveInt.default(100_000),
        flushRecords: positiveInt.default(10_000),
        flushIntervalMs: ms.default(5000),
      }),
    ])
    .default({ sampleRate: 1, maxQueueRecords: 100_000, flushRecords: 10_000, flushIntervalMs: 5000 }),
  extraFields: z.enum(['ignore', 'reject']).default('ignore'),
  timeouts: z.object({ headersMs: ms.default(10_000), requestMs: ms.default(30_000), keepAliveMs: ms.default(5000) }).default({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5000 }),
  maxShadowInFlight: positiveInt.default(32),
  clock: z.custom<() => number>((v) => typeof v === 'function', 'must be a function returning ms since the epoch').default(() => Date.now),
  models: z
    .array(
      z.object({
        name: z.string().min(1),
        ref: z.string().min(1).default('champion'),
        canary: z.object({ challenger: z.string().min(1).default('challenger'), percent, stickyKey: z.union([z.string(), z.object({ from: z.enum(['header', 'field']), name: z.string().min(1) })]).optional() }).optional(),
        shadow: z.object({ challenger: z.string().min(1).default('challenger'), percent: percent.default(100) }).optional(),
      }),
    )
    .min(1, 'no models to serve'),
});

/**
 * Checks and normalises server options: defaults filled in, durations in milliseconds, sticky
 * keys parsed. InvalidInputError names the bad field, e.g. `models[0].canary.percent`.
 */
export function compileServingOptions(options: PredictionServingOptions): CompiledServingOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(fieldPath(issue?.path ?? [], 'options'), issue?.message ?? 'invalid');
  }
  const o = parsed.data;
  const deployments: Deployment[] = [];
  o.models.forEach((m, i) => {
    if (m.canary && m.shadow) throw new InvalidInputError(`models[${i}]`, 'has both a canary and a shadow; choose one per model');
    const challenger = m.canary?.challenger ?? m.shadow?.challenger;
    if (challenger !== undefined && challenger === m.ref) throw new InvalidInputError(`models[${i}]`, `the challenger is ${m.ref} itself`);
    const sticky = m.canary?.stickyKey;
    deployments.push({
      name: m.name,
      ref: m.ref,
      pinned: [],
      ...(m.canary ? { canary: { challenger: m.canary.challenger, percent: m.canary.percent, ...(sticky ? { stickyKey: typeof sticky === 'string' ? parseStickyKey(sticky, `models[${i}].canary.stickyKey`) : sticky } : {}) } } : {}),
      ...(m.shadow ? { shadow: { challenger: m.shadow.challenger, percent: m.shadow.percent } } : {}),
    });
  });
  return Object.freeze({
    deployments,
    host: o.host,
    port: o.port,
    maxBodyBytes: o.maxBodyBytes,
    watchIntervalMs: o.watch === false ? undefined : o.watch.intervalMs,
    batching: o.batching === false ? undefined : o.batching,
    predictionLog: o.predictionLog === false ? undefined : { ...o.predictionLog, sink: o.predictionLog.sink, dir: o.predictionLog.dir },
    extraFields: o.extraFields,
    headersTimeoutMs: o.timeouts.headersMs,
    requestTimeoutMs: o.timeouts.requestMs,
    keepAliveTimeoutMs: o.timeouts.keepAliveMs,
    maxShadowInFlight: o.maxShadowInFlight,
    clock: o.clock,
  });
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { parseDuration } from '../core/duration.js';
import { FlywheelError } from '../core/errors.js';
import { importDefault } from '../core/import-module.js';
import { driftOptionsSchema } from '../data/drift/options.js';
import { METRIC_NAMES } from '../evaluate/metric-catalog.js';
import { alertRuleSchema } from '../monitoring/alert-rules.js';
import { parseCronSchedule, type CatchUpPolicy, type CronSchedule } from '../triggers/cron-schedule.js';
import { isS3Url, s3FilePattern } from '../triggers/s3-file-lister.js';
import { fieldPath } from '../core/field-path.js';

/** The files `flywheel up` looks for in the project folder, first found wins. */
export const LOOP_FILE_NAMES = ['flywheel.loop.ts', 'flywheel.loop.mjs', 'flywheel.loop.js', 'flywheel.loop.json'];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const name = z.string().regex(NAME, 'letters, digits, dots, dashes and underscores');
const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text, 'duration');
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 15m, 6h, 1d or 1w, got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
});

const monitorSchema = z.strictObject({
  model: name,
  /** Window length, e.g. `1d`; at least a second. */
  window: duration.refine((ms) => ms >= 1000, 'a window is at least 1s'),
  /** How often the windows are recomputed. Default 1m. */
  every: duration.default(60_000),
  /** How far back windows are recomputed (late labels change recent windows). Default 14 windows. */
  lookback: duration.optional(),
  rules: z.array(alertRuleSchema).default([]),
  drift: driftOptionsSchema.optional(),
  /** Windows with fewer predictions get no drift test. Default 100. */
  minRows: z.number().int().min(1).optional(),
  threshold: z.number().gt(0).lt(1).optional(),
});

const catchUp = z.union([z.enum(['skip', 'latest', 'all']), z.strictObject({ all: z.literal(true), max: z.number().int().min(1).max(1000) })]);

/** How to reach the bucket of an `s3://` data path. */
const s3ConnectionSchema = z
  .strictObject({
    /** Any S3-compatible endpoint (MinIO, Ceph, R2…); AWS when absent. */
    endpoint: z.url().optional(),
    /** Default us-east-1. */
    region: z.string().min(1).optional(),
    /** Path-style addressing (`endpoint/bucket/key`); true by default when an endpoint is set. */
    forcePathStyle: z.boolean().optional(),
    /** Without keys, the AWS SDK's default credential chain applies (AWS_* env, profiles, roles). */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
  })
  .refine((s3) => (s3.accessKeyId === undefined) === (s3.secretAccessKey === undefined), {
    message: 'give both accessKeyId and secretAccessKey, or neither',
    path: ['secretAccessKey'],
  });

const dataSchema = z
  .strictObject({ path: z.string().min(1), debounce: duration.default(5000), s3: s3ConnectionSchema.optional() })
  .superRefine((data, ctx) => {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(data.path)?.[1];
    if (scheme === 's3') {
      const pattern = s3FilePattern.safeParse(data.path);
      if (!pattern.success) ctx.addIssue({ code: 'custom', path: ['path'], message: pattern.error.issues[0]!.message });
    } else if (scheme !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: `${scheme}:// cannot be watched: give a folder's file pattern (incoming/*.parquet) or s3://bucket/prefix/*.parquet` });
    } else if (data.s3) {
      ctx.addIssue({ code: 'custom', path: ['s3'], message: 'is only for an s3:// path' });
    }
  });

const triggerSchema = z
  .strictObject({
    name,
    /** The pipeline file the trigger runs, relative to the project folder. */
    pipeline: z.string().min(1),
    /**
     * Parameters of the run. A string value may name a fact of the event: `${time}` (the event's
     * time, ISO 8601), `${date}` (its UTC day), `${file}` (an arrived file's path, or its s3:// URL).
     */
    params: z.record(z.string(), z.unknown()).default({}),
    /** Runs of this trigger at once at most. Default 1: runs never overlap. */
    maxConcurrent: z.number().int().min(1).max(100).default(1),
    schedule: z.strictObject({ cron: z.string(), timezone: z.string().optional(), catchUp: catchUp.optional() }).optional(),
    /**
     * New files matching a glob in a folder (`incoming/*.parquet`, relative to the project folder)
     * or under an S3 prefix (`s3://bucket/incoming/*.parquet`); a file counts once it has not
     * changed for `debounce`.
     */
    data: dataSchema.optional(),
    /** Alerts of these rules (from `monitor`); at most one firing per `cooldown`. */
    alert: z.strictObject({ rules: z.array(name).min(1), cooldown: duration.default(0) }).optional(),
    /** Only `flywheel trigger <name>` starts it. */
    manual: z.literal(true).optional(),
  })
  .refine((t) => [t.schedule, t.data, t.alert, t.manual].filter((k) => k !== undefined).length === 1, {
    message: 'give exactly one of schedule, data, alert and manual',
  });

const rolloutSchema = z.strictObject({
  model: name,
  /** The metric a challenger is compared on, over the newest labeled window. Default auc (rmse for a regressor). */
  metric: z.enum(METRIC_NAMES).optional(),
  /** How much better the challenger must be (absolute, in the metric's better direction). Default 0. */
  minImprovement: z.number().min(0).default(0),
  /** Labeled predictions the newest window needs before an evaluation. Default 200. */
  minLabeled: z.number().int().min(1).default(200),
  /** Serve a blessed challenger to a share of traffic first; promote or roll back from its live metric. */
  canary: z
    .strictObject({
      percent: z.number().gt(0).max(100),
      /** Labeled canary predictions needed before deciding. Default 200. */
      minLabeled: z.number().int().min(1).default(200),
      /** How much worse than the champion the challenger may be live and still be promoted. Default 0.01. */
      tolerance: z.number().min(0).default(0.01),
      /** Give up (roll back) when no decision could be made within this long. Default 7d. */
      timeout: duration.default(7 * 86_400_000),
    })
    .optional(),
});

export const loopConfigSchema = z.strictObject({
  serve: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      models: z.array(z.strictObject({ name, ref: z.string().min(1).default('champion') })).min(1),
      /** Accept delayed labels at POST /labels. Default true. */
      labels: z.boolean().default(true),
    })
    .optional(),
  monitor: z.array(monitorSchema).default([]),
  triggers: z.array(triggerSchema).default([]),
  rollout: z.array(rolloutSchema).default([]),
  /** Pipeline runs at once across all triggers. Default 1. */
  maxConcurrentRuns: z.number().int().min(1).max(100).default(1),
  /** How often the controller looks at its triggers, in ms. Default 1000. */
  tickMs: z.number().int().min(10).max(60_000).default(1000),
});

export type LoopConfigInput = z.input<typeof loopConfigSchema>;
type ParsedLoop = z.output<typeof loopConfigSchema>;
export type MonitorConfig = ParsedLoop['monitor'][number];
export type RolloutConfig = ParsedLoop['rollout'][number];
export type TriggerConfig = ParsedLoop['triggers'][number] & {
  /** The pipeline file, absolute. */
  pipelineFile: string;
  /** The parsed schedule of a schedule trigger. */
  cron?: CronSchedule;
};

/** The controller's configuration after defaults and validation; pipeline paths absolute. */
export interface LoopConfig extends Omit<ParsedLoop, 'triggers'> {
  readonly triggers: readonly TriggerConfig[];
  /** The file it came from, when one. */
  readonly file: string | undefined;
}

/**
 * Validates a loop configuration (the `flywheel up` controller: what it serves, monitors, which
 * triggers start which pipelines, how challengers roll out). Errors name the key, e.g.
 * `triggers[1].schedule.cron`, and the file. Cross-references are checked too: an alert trigger's
 * rules must exist, pipeline files must exist, names must be unique.
 *
 * @example
 *   const loop = compileLoopConfig({ serve: { models: [{ name: 'flights' }] }, triggers: [{ name: 'nightly', pipeline: 'flights.ts', schedule: { cron: '0 3 * * *' } }] }, projectDir);
 */
export function compileLoopConfig(value: unknown, projectDir: string, file?: string): LoopConfig {
  const source = file ?? '(inline)';
  const parsed = loopConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(fieldPath(issue.path, '(loop)'), source, issue.message);
  }
  const loop = parsed.data;
  const rules = new Set<string>();
  loop.monitor.forEach((m, i) =>
    m.rules.forEach((rule, j) => {
      if (rules.has(rule.name)) throw new ConfigError(`monitor[${i}].rules[${j}].name`, source, `${rule.name} is used by another rule`);
      rules.add(rule.name);
    }),
  );
  const names = new Set<string>();
  const triggers = loop.triggers.map((trigger, i): TriggerConfig => {
    if (names.has(trigger.name)) throw new ConfigError(`triggers[${i}].name`, source, `${trigger.name} names another trigger too`);
    names.add(trigger.name);
    const pipelineFile = resolve(projectDir, trigger.pipeline);
    if (!existsSync(pipelineFile)) throw new ConfigError(`triggers[${i}].pipeline`, source, `${pipelineFile} does not exist`);
    trigger.alert?.rules.forEach((rule, j) => {
      if (!rules.has(rule)) throw new ConfigError(`triggers[${i}].alert.rules[${j}]`, source, `no monitor rule is named ${rule}`, `rules: ${[...rules].join(', ') || '(none)'}`);
    });
    let cron: CronSchedule | undefined;
    if (trigger.schedule) {
      try {
        cron = parseCronSchedule({ ...trigger.schedule, ...(trigger.schedule.catchUp ? { catchUp: trigger.schedule.catchUp as CatchUpPolicy } : {}) }, `triggers[${i}].schedule`);
      } catch (error) {
        throw new ConfigError(`triggers[${i}].schedule`, source, (error as Error).message, error instanceof FlywheelError ? error.hint : undefined);
      }
    }
    return { ...trigger, pipelineFile, ...(trigger.data && !isS3Url(trigger.data.path) ? { data: { ...trigger.data, path: resolve(projectDir, trigger.data.path) } } : {}), ...(cron ? { cron } : {}) };
  });
  for (const [section, list] of [['monitor', loop.monitor], ['rollout', loop.rollout]] as const) {
    list.forEach((entry, i) => {
      if (list.findIndex((other) => other.model === entry.model) !== i) throw new ConfigError(`${section}[${i}].model`, source, `${entry.model} is listed twice in ${section}`);
    });
  }
  const served = new Set(loop.serve?.models.map((m) => m.name) ?? []);
  loop.rollout.forEach((r, i) => {
    if (!served.has(r.model)) throw new ConfigError(`rollout[${i}].model`, source, `${r.model} is not among serve.models`);
  });
  loop.monitor.forEach((m, i) => {
    if (!served.has(m.model)) throw new ConfigError(`monitor[${i}].model`, source, `${m.model} is not among serve.models`, 'monitoring reads what the controller serves');
  });
  return Object.freeze({ ...loop, triggers, file });
}

/**
 * Reads the project's loop file (`flywheel.loop.{ts,mjs,js,json}`, or the one given) and
 * validates it (see compileLoopConfig).
 *
 * @example
 *   const loop = await loadLoopConfig(stack.projectDir);
 */
export async function loadLoopConfig(projectDir: string, file?: string): Promise<LoopConfig> {
  const path = file ? resolve(projectDir, file) : LOOP_FILE_NAMES.map((n) => join(projectDir, n)).find((p) => existsSync(p));
  if (!path) throw new ConfigError('(file)', projectDir, `no ${LOOP_FILE_NAMES.join(', ')} in the project folder`, 'write one (see docs/continuous-training.md) or pass --loop <file>');
  if (!existsSync(path)) throw new ConfigError('(file)', path, 'the loop file does not exist');
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(await readFile(path, 'utf8')) : await importDefault(path);
  } catch (error) {
    throw new ConfigError('(file)', path, `cannot be read: ${(error as Error).message}`);
  }
  return compileLoopConfig(value, projectDir, path);
}

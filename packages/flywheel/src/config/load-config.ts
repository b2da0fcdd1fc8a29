import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { importDefault } from '../core/import-module.js';
import type { BackendOptions, FlywheelConfig } from './config-schema.js';
import { ConfigError } from './config-error.js';
import { BACKEND_KINDS, FLAVORS, type BackendKind, type FlavorRegistry } from './flavors.js';

/** Config file names looked for in the project folder, in this order. */
export const CONFIG_FILE_NAMES = ['flywheel.config.ts', 'flywheel.config.mjs', 'flywheel.config.js', 'flywheel.config.json'];

export interface LoadConfigOptions {
  /** The project folder; relative paths in the config are resolved against it. */
  projectDir: string;
  /** An explicit config file; by default the first of CONFIG_FILE_NAMES found in projectDir. */
  file?: string;
  /** Where FLYWHEEL_* overrides are read; process.env by default. */
  env?: Record<string, string | undefined>;
  flavors?: FlavorRegistry;
}

export interface LoadedConfig {
  config: FlywheelConfig;
  projectDir: string;
  /** The config file read, if any. */
  file: string | undefined;
}

const backendValue = z.union([z.string().min(1), z.looseObject({ flavor: z.string().optional() })]);
const fileSchema = z.strictObject({
  home: z.string().min(1).optional(),
  metadata: backendValue.optional(),
  artifacts: backendValue.optional(),
  executor: backendValue.optional(),
});
type RawConfig = z.infer<typeof fileSchema>;

/**
 * Reads `flywheel.config.{ts,mjs,js,json}` (all optional), applies FLYWHEEL_* environment
 * overrides and validates every backend's options against its flavor. Errors name the key and
 * where it came from.
 *
 * Environment: `FLYWHEEL_HOME`; `FLYWHEEL_METADATA=postgresql://…` (a URI picks the flavor by
 * scheme); `FLYWHEEL_METADATA__URL=…`, `FLYWHEEL_EXECUTOR__CONCURRENCY=4` (one option; JSON values
 * such as numbers and booleans are parsed).
 *
 * @example
 *   const { config } = await loadConfig({ projectDir: process.cwd() });
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const projectDir = resolve(options.projectDir);
  const env = options.env ?? process.env;
  const flavors = options.flavors ?? FLAVORS;
  const file = options.file ? resolve(projectDir, options.file) : findConfigFile(projectDir);
  const raw: RawConfig = file ? await readConfigFile(file) : {};
  const sources: Record<string, string> = {};
  for (const key of Object.keys(raw)) sources[key] = file ?? 'defaults';

  applyEnv(raw, sources, env);

  const home = resolve(projectDir, raw.home ?? '.flywheel');
  const sections = {} as Record<BackendKind, BackendOptions>;
  for (const kind of BACKEND_KINDS) {
    sections[kind] = resolveBackend(kind, raw[kind], sources[kind] ?? 'defaults', flavors);
  }
  return { config: Object.freeze({ home, ...sections }), projectDir, file };
}

function findConfigFile(projectDir: string): string | undefined {
  return CONFIG_FILE_NAMES.map((name) => join(projectDir, name)).find((path) => existsSync(path));
}

async function readConfigFile(file: string): Promise<RawConfig> {
  if (!existsSync(file)) throw new ConfigError('(file)', file, 'the config file does not exist');
  let value: unknown;
  try {
    if (file.endsWith('.json')) {
      value = JSON.parse(await readFile(file, 'utf8'));
    } else {
      value = await importDefault(file);
    }
  } catch (error) {
    throw new ConfigError('(file)', file, `cannot be read: ${(error as Error).message}`);
  }
  if (value === undefined) {
    throw new ConfigError('(file)', file, 'has no default export', 'write `export default { metadata: …, artifacts: … }`');
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) throw issueToError(parsed.error.issues[0], '', file);
  return parsed.data;
}

function applyEnv(raw: RawConfig, sources: Record<string, string>, env: Record<string, string | undefined>): void {
  const home = env.FLYWHEEL_HOME;
  if (home) {
    raw.home = home;
    sources.home = 'FLYWHEEL_HOME';
  }
  for (const kind of BACKEND_KINDS) {
    const prefix = `FLYWHEEL_${kind.toUpperCase()}`;
    const whole = env[prefix];
    if (whole) {
      raw[kind] = whole;
      sources[kind] = prefix;
    }
    const keys = Object.keys(env).filter((name) => name.startsWith(`${prefix}__`) && env[name] !== undefined).sort();
    for (const name of keys) {
      const key = name.slice(prefix.length + 2).toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      if (!key) throw new ConfigError(kind, name, 'an option name must follow the double underscore');
      const current = raw[kind];
      const base = typeof current === 'string' ? { uri: current } : { ...(current ?? {}) };
      raw[kind] = { ...base, [key]: parseEnvValue(env[name] as string) };
      sources[kind] = sources[kind] && sources[kind] !== 'defaults' ? `${sources[kind]} + ${name}` : name;
    }
  }
}

function parseEnvValue(text: string): unknown {
  if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(text.trim())) return JSON.parse(text.trim());
  return text;
}

function resolveBackend(
  kind: BackendKind,
  value: RawConfig[BackendKind],
  source: string,
  flavors: FlavorRegistry,
): BackendOptions {
  const known = flavors[kind];
  const names = known.map((f) => f.name).join(', ');
  let object: Record<string, unknown>;
  if (value === undefined) {
    object = { flavor: known[0]?.name };
  } else if (typeof value === 'string') {
    object = fromUri(kind, value, source, flavors);
  } else {
    const { uri, ...rest } = value as Record<string, unknown>;
    object = typeof uri === 'string' ? { ...fromUri(kind, uri, source, flavors), ...rest } : { flavor: known[0]?.name, ...rest };
  }
  const flavor = known.find((f) => f.name === object.flavor);
  if (!flavor) {
    throw new ConfigError(`${kind}.flavor`, source, `unknown flavor ${JSON.stringify(object.flavor)}`, `known ${kind} flavors: ${names}`);
  }
  // Flavors may declare plain objects; a config key no flavor knows is still a mistake to report.
  const schema = flavor.options instanceof z.ZodObject ? flavor.options.strict() : flavor.options;
  const parsed = schema.safeParse(object);
  if (!parsed.success) throw issueToError(parsed.error.issues[0], kind, source);
  return Object.freeze(parsed.data as BackendOptions);
}

function fromUri(kind: BackendKind, uri: string, source: string, flavors: FlavorRegistry): Record<string, unknown> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  const flavor = scheme === undefined ? undefined : flavors[kind].find((f) => f.schemes.includes(scheme));
  if (!flavor) {
    const schemes = flavors[kind].flatMap((f) => f.schemes.map((s) => `${s}:`)).join(', ');
    throw new ConfigError(kind, source, `cannot tell the flavor of ${JSON.stringify(uri)}`, `use a URI starting with one of ${schemes || '(none)'} or an object with "flavor"`);
  }
  try {
    return { ...flavor.fromUri(uri), flavor: flavor.name };
  } catch (error) {
    throw new ConfigError(kind, source, `invalid URI ${JSON.stringify(uri)}: ${(error as Error).message}`);
  }
}

function issueToError(issue: z.core.$ZodIssue | undefined, prefix: string, source: string): ConfigError {
  if (!issue) return new ConfigError(prefix || '(root)', source, 'invalid value');
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [path, issue.keys[0]].filter(Boolean).join('.');
    return new ConfigError(key, source, 'unknown key', 'check the spelling; see docs/config.md for the keys each flavor takes');
  }
  return new ConfigError(path || '(root)', source, issue.message);
}

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { JsonObject } from '../../core/json.js';
import type { CommandComponent } from '../../pipeline/component.js';
import { InvalidParamsError } from '../../pipeline/errors.js';
import { describeIssues } from '../../pipeline/params.js';
import { CommandFailedError, CommandNotFoundError, InvalidOutputPropertiesError, InvalidPlaceholderError } from '../errors.js';
import type { StepTask } from '../executor.js';
import { TRACKING_FILE_ENV } from '../../tracking/tracking-file.js';

const STDERR_TAIL_LINES = 20;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Where a command may write properties of output `name`: next to the output, as JSON. */
export function propertiesPathOf(outputPath: string): string {
  return `${outputPath}.properties.json`;
}

/**
 * What a command finds in the file named by FLYWHEEL_STEP. Paths are absolute; `workDir` is
 * scratch space removed after the attempt.
 */
export interface CommandStepSpec {
  runId: string;
  step: string;
  attempt: number;
  params: JsonObject;
  inputs: Record<string, { path: string; uri: string; digest: string; type: string }>;
  outputs: Record<string, { path: string; type: string; propertiesPath: string }>;
  workDir: string;
}

/** Running command processes, by process group, so the executor can kill what is left on close. */
export type ProcessGroups = Set<ChildProcess>;

export async function runCommand(
  task: StepTask,
  component: CommandComponent,
  signal: AbortSignal,
  options: { killGraceMs: number; groups: ProcessGroups },
): Promise<void> {
  const params = parseParams(task, component);
  const spec: CommandStepSpec = {
    runId: task.runId,
    step: task.step,
    attempt: task.attempt,
    params,
    inputs: Object.fromEntries(Object.entries(task.inputs).map(([name, a]) => [name, { path: a.path, uri: a.uri, digest: a.digest, type: a.type }])),
    outputs: Object.fromEntries(Object.entries(task.outputs).map(([name, o]) => [name, { path: o.path, type: o.type, propertiesPath: propertiesPathOf(o.path) }])),
    workDir: task.workDir,
  };
  const argv = component.command.map((arg) => substitute(arg, spec, task.step));
  const cwd = component.cwd === undefined ? task.baseDir : isAbsolute(component.cwd) ? component.cwd : resolve(task.baseDir, component.cwd);
  const cwdStat = await stat(cwd).catch(() => undefined);
  if (!cwdStat?.isDirectory()) {
    throw new CommandNotFoundError(argv[0] ?? '', `cannot run: its working folder ${cwd} does not exist`, 'fix the cwd of the command component');
  }
  await mkdir(task.workDir, { recursive: true });
  const specPath = join(task.workDir, 'flywheel-step.json');
  await writeFile(specPath, JSON.stringify(spec, null, 2));
  signal.throwIfAborted();

  await spawnAndWait(argv, { cwd, env: { ...process.env, ...component.env, FLYWHEEL_STEP: specPath, [TRACKING_FILE_ENV]: task.trackingFile } }, task, signal, options);
  await readOutputProperties(task);
}

function parseParams(task: StepTask, component: CommandComponent): JsonObject {
  if (!component.params) return task.params;
  const parsed = component.params.safeParse(task.params);
  if (!parsed.success) throw new InvalidParamsError({ step: task.step }, describeIssues(parsed.error, 'params'));
  return parsed.data as JsonObject;
}

function substitute(arg: string, spec: CommandStepSpec, step: string): string {
  return arg.replace(PLACEHOLDER, (placeholder, expression: string) => {
    if (expression === 'params') return JSON.stringify(spec.params);
    const dot = expression.indexOf('.');
    const scope = dot < 0 ? expression : expression.slice(0, dot);
    const name = dot < 0 ? '' : expression.slice(dot + 1);
    if (scope === 'inputs' || scope === 'outputs') {
      const entry = spec[scope][name];
      if (!entry) {
        const known = Object.keys(spec[scope]);
        throw new InvalidPlaceholderError(step, placeholder, `names no wired ${scope.slice(0, -1)} (${known.length > 0 ? known.join(', ') : 'none'})`);
      }
      return entry.path;
    }
    if (scope === 'params' && name !== '') {
      if (!Object.hasOwn(spec.params, name)) throw new InvalidPlaceholderError(step, placeholder, 'names no parameter of the step');
      const value = spec.params[name];
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    throw new InvalidPlaceholderError(step, placeholder, 'is not one of {{inputs.x}}, {{outputs.y}}, {{params.z}}, {{params}}');
  });
}

function spawnAndWait(
  argv: string[],
  spawnOptions: { cwd: string; env: NodeJS.ProcessEnv },
  task: StepTask,
  signal: AbortSignal,
  options: { killGraceMs: number; groups: ProcessGroups },
): Promise<void> {
  const [executable, ...args] = argv as [string, ...string[]];
  const stderrTail: string[] = [];
  return new Promise<void>((resolvePromise, reject) => {
    // A process group of its own lets cancellation reach everything the command started.
    const child = spawn(executable, args, { ...spawnOptions, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    options.groups.add(child);
    let spawnError: NodeJS.ErrnoException | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const onAbort = () => {
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), options.killGraceMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => task.log.info(line));
    createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => {
      task.log.warn(line);
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    });

    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('close', (code, exitSignal) => {
      signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      options.groups.delete(child);
      if (signal.aborted) return reject(signal.reason as Error);
      if (spawnError) return reject(describeSpawnError(executable, spawnError));
      if (code === 0) return resolvePromise();
      reject(new CommandFailedError(argv.join(' '), { code, signal: exitSignal }, stderrTail));
    });
  });
}

export function killGroup(child: ChildProcess, killSignal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, killSignal);
  } catch {
    // The group is already gone.
  }
}

function describeSpawnError(executable: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT') {
    return new CommandNotFoundError(executable, 'was not found', 'check the spelling, or give an absolute path or one relative to the pipeline file');
  }
  if (error.code === 'EACCES') return new CommandNotFoundError(executable, 'is not executable', `chmod +x ${executable}`);
  return error;
}

async function readOutputProperties(task: StepTask): Promise<void> {
  for (const output of Object.values(task.outputs)) {
    const file = propertiesPathOf(output.path);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InvalidOutputPropertiesError(task.step, file, (error as Error).message);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidOutputPropertiesError(task.step, file, 'is not a JSON object');
    }
    Object.assign(output.properties, value);
  }
}

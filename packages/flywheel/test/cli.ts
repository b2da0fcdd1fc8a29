import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FLYWHEEL_BIN = fileURLToPath(new URL('../bin/flywheel.mjs', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the real `flywheel` CLI in a child process, with FLYWHEEL_* variables of the parent removed. */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string> }): { child: ChildProcess; done: Promise<CliResult> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('FLYWHEEL_'))) as Record<string, string>;
  const child = spawn(process.execPath, [FLYWHEEL_BIN, ...args], { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * Starts `flywheel serve …` and resolves once it prints the URL it listens at; `output()` is what
 * it printed so far.
 */
export async function startServe(args: string[], options: { cwd: string }): Promise<{ child: ChildProcess; done: Promise<CliResult>; url: string; output: () => string }> {
  const { child, done } = startCli(['serve', ...args], options);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const listening = () => /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  await waitFor('the server to listen', () => listening() !== undefined);
  return { child, done, url: listening() as string, output: () => out };
}

/** Polls until `check` returns true, or fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

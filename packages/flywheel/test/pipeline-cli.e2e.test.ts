import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { FIXTURES, runCli, startCli, waitFor } from './cli.js';

function project(): string {
  return mkdtempSync(join(tmpdir(), 'fw-cli-'));
}

function runIdOf(output: string): string {
  const match = /run (run-[a-z0-9-]+)/.exec(output);
  if (!match?.[1]) throw new Error(`no run id in output:\n${output}`);
  return match[1];
}

async function runState(dir: string, runId: string) {
  const stack = await openStack({ projectDir: dir, env: {} });
  try {
    const context = await stack.metadata.findContext('pipeline_run', runId);
    const executions = await stack.metadata.findExecutions({ contextId: context!.id, order: 'asc' });
    return { status: context!.properties.status, executions: executions.map((e) => ({ step: e.name, state: e.state, error: e.error })) };
  } finally {
    await stack.close();
  }
}

describe('flywheel run / resume', () => {
  it('resumes after kill -9 without redoing completed steps', async () => {
    const dir = project();
    const pipelineFile = join(FIXTURES, 'waiting-pipeline.ts');
    const { child, done } = startCli(['run', pipelineFile, '--param', `dir=${dir}`], { cwd: dir });
    await waitFor('step "second" to start', () => existsSync(join(dir, 'second.started')));
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    const runId = runIdOf(killed.stdout);
    expect((await runState(dir, runId)).status).toBe('running');

    writeFileSync(join(dir, 'release'), '');
    const resumed = await runCli(['resume', runId], { cwd: dir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming ${runId}`);
    expect(resumed.stdout).toContain('≡ first done earlier in this run');
    expect(resumed.stdout).toContain('✓ second');
    expect(readFileSync(join(dir, 'first.count'), 'utf8')).toBe('x');
    expect(readFileSync(join(dir, 'second.count'), 'utf8')).toBe('xx');

    const state = await runState(dir, runId);
    expect(state.status).toBe('complete');
    expect(state.executions).toEqual([
      { step: 'first', state: 'complete', error: null },
      { step: 'second', state: 'failed', error: 'interrupted' },
      { step: 'second', state: 'complete', error: null },
    ]);
  });

  it('Ctrl-C cancels cleanly: the run is canceled, exit code 130, and resume finishes it', async () => {
    const dir = project();
    const { child, done } = startCli(['run', join(FIXTURES, 'waiting-pipeline.ts'), '--param', `dir=${dir}`], { cwd: dir });
    await waitFor('step "second" to start', () => existsSync(join(dir, 'second.started')));
    child.kill('SIGINT');
    const canceled = await done;
    expect(canceled.code).toBe(130);
    expect(canceled.stdout).toContain('■ second canceled');
    expect(canceled.stdout).toContain('canceled in');
    const runId = runIdOf(canceled.stdout);
    expect(canceled.stdout).toContain(`continue it with: flywheel resume ${runId}`);
    const state = await runState(dir, runId);
    expect(state.status).toBe('canceled');
    expect(state.executions.map((e) => e.state)).toEqual(['complete', 'canceled']);

    writeFileSync(join(dir, 'release'), '');
    const resumed = await runCli(['resume', runId, '--quiet'], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, 'first.count'), 'utf8')).toBe('x');
    expect((await runState(dir, runId)).status).toBe('complete');
  });

  it('refuses to resume a completed run', async () => {
    const dir = project();
    writeFileSync(join(dir, 'release'), '');
    const first = await runCli(['run', join(FIXTURES, 'waiting-pipeline.ts'), '--param', `dir=${dir}`], { cwd: dir });
    expect(first.code).toBe(0);
    const again = await runCli(['resume', runIdOf(first.stdout)], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/cannot be resumed: it completed/);
  });
});

describe('bad input gives one clear error naming the culprit', () => {
  it('an invalid config names the key and the file, and opens nothing', async () => {
    const dir = project();
    writeFileSync(join(dir, 'flywheel.config.json'), JSON.stringify({ executor: { flavor: 'local', concurrency: -1 } }));
    const result = await runCli(['runs', 'list'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: config error at executor.concurrency (${join(dir, 'flywheel.config.json')})`);
    expect(existsSync(join(dir, '.flywheel'))).toBe(false);
  });

  it('a pipeline with a cycle names the steps on it', async () => {
    const result = await runCli(['run', join(FIXTURES, 'cycle-pipeline.ts')], { cwd: project() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the steps form a cycle: ');
    expect(result.stderr).toMatch(/make → use → make|use → make → use/);
    expect(result.stderr).toContain('hint: remove one of the .after() calls');
  });

  it('a mistyped input names the step, the input and both types', async () => {
    const result = await runCli(['run', join(FIXTURES, 'mistyped-pipeline.mjs')], { cwd: project() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: step "profile" input "examples" expects a Dataset but is wired to a Model');
  });

  it('a missing input names the step and the input', async () => {
    const result = await runCli(['run', join(FIXTURES, 'unwired-pipeline.mjs')], { cwd: project() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: step "profile" is missing required input "examples" of component "profile"');
  });

  it('a missing pipeline file is named', async () => {
    const result = await runCli(['run', 'nope.ts'], { cwd: project() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: pipeline file .*nope\.ts.*does not exist/);
  });

  it('a component that throws fails the run, naming the step and the error, and keeps what was stored', async () => {
    const dir = project();
    const result = await runCli(['run', join(FIXTURES, 'failing-pipeline.ts'), '--param', 'mode=throw'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ explode failed: the column "fare" has negative values');
    expect(result.stdout).toMatch(/failed in .* — 1 ran, 1 failed/);
    const state = await runState(dir, runIdOf(result.stdout));
    expect(state.status).toBe('failed');
    expect(state.executions).toEqual([
      { step: 'prepare', state: 'complete', error: null },
      { step: 'explode', state: 'failed', error: 'the column "fare" has negative values' },
    ]);
  });

  it('a command that exits non-zero fails the run with its exit code and stderr', async () => {
    const dir = project();
    const result = await runCli(['run', join(FIXTURES, 'failing-pipeline.ts'), '--param', 'mode=command'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ exit-three failed: .*exited with code 3/);
    expect(result.stdout).toContain('disk quota exceeded');
    expect((await runState(dir, runIdOf(result.stdout))).status).toBe('failed');
  });

  it('a missing data file names the file', async () => {
    const dir = project();
    const result = await runCli(['run', join(FIXTURES, 'missing-data-pipeline.ts')], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('/nonexistent/flights-2031.parquet');
    expect((await runState(dir, runIdOf(result.stdout))).status).toBe('failed');
  });

  it('a metadata database from a newer Flywheel is refused and left untouched', async () => {
    const dir = project();
    expect((await runCli(['runs', 'list'], { cwd: dir })).code).toBe(0);
    const file = join(dir, '.flywheel', 'metadata.db');
    const db = new Database(file);
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%migration' AND name NOT LIKE '%lock%'").get() as { name: string };
    db.prepare(`INSERT INTO ${table.name} (name, timestamp) VALUES ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`).run();
    db.close();
    const before = readFileSync(file);

    const result = await runCli(['runs', 'list'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('was migrated by a newer Flywheel');
    expect(result.stderr).toContain('9999-from-the-future');
    expect(result.stderr).toContain('upgrade flywheel');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('unknown parameters of the pipeline are named', async () => {
    const result = await runCli(['run', join(FIXTURES, 'failing-pipeline.ts'), '--param', 'mode=explode'], { cwd: project() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/params\.mode/);
  });
});

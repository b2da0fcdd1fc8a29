import { mkdirSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli, startCli, waitFor } from './cli.js';

function project(loop: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-loop-cli-'));
  mkdirSync(join(dir, 'incoming'));
  writeFileSync(join(dir, 'data.csv'), 'a\n1\n');
  writeFileSync(join(dir, 'flywheel.loop.json'), JSON.stringify(loop));
  return dir;
}

const ARRIVAL = join(FIXTURES, 'arrival-pipeline.ts');

describe('flywheel up, status and trigger', () => {
  it('runs a manual trigger here when no controller runs, and shows it in the status', async () => {
    const dir = project({ triggers: [{ name: 'by-hand', pipeline: ARRIVAL, params: { file: 'data.csv', ms: 10 }, manual: true }] });
    const before = await runCli(['status'], { cwd: dir });
    expect(before.stdout).toContain('controller  never started in this project');
    expect(before.stdout).toContain('none fired');

    const fired = await runCli(['trigger', 'by-hand', '--quiet'], { cwd: dir });
    expect(fired.stderr).toBe('');
    expect(fired.code).toBe(0);
    expect(fired.stdout).toMatch(/fired by-hand: no controller is running, so the run run-\S+ runs here/);

    const status = await runCli(['status'], { cwd: dir });
    expect(status.stdout).toMatch(/by-hand \(manual\) → run run-\S+: complete/);
    const json = JSON.parse((await runCli(['status', '--json'], { cwd: dir })).stdout) as { firings: { trigger: string; status: string; event: { kind: string; by: string } }[] };
    expect(json.firings).toHaveLength(1);
    expect(json.firings[0]).toMatchObject({ trigger: 'by-hand', status: 'complete', event: { kind: 'manual' } });

    const unknown = await runCli(['trigger', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('trigger "nope" does not exist');
    expect(unknown.stderr).toContain('by-hand');
  }, 60_000);

  it('hands a manual firing to the running controller, which also watches a folder', async () => {
    const dir = project({
      triggers: [
        { name: 'by-hand', pipeline: ARRIVAL, params: { file: 'data.csv', ms: 10 }, manual: true },
        { name: 'arrival', pipeline: ARRIVAL, params: { file: '${file}', ms: 10 }, data: { path: 'incoming/*.csv', debounce: '100ms' } },
      ],
      tickMs: 50,
    });
    const { child, done } = startCli(['up'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the controller', () => out.includes('controller up'), 60_000);

    const second = await runCli(['up'], { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('controller.lock');

    const fired = await runCli(['trigger', 'by-hand'], { cwd: dir });
    expect(fired.stdout).toMatch(/fired by-hand: run run-\S+ starts in the controller \(pid \d+\)/);
    writeFileSync(join(dir, 'incoming', 'monday.csv'), 'a\n2\n');
    await waitFor('both runs', () => (out.match(/ complete/g) ?? []).length >= 2, 60_000);
    expect(out).toMatch(/trigger arrival fired \(data 1 file\(s\)\) → run run-\S+/);

    const status = await runCli(['status'], { cwd: dir });
    expect(status.stdout).toMatch(/controller {2}running, pid \d+/);
    expect(status.stdout).toMatch(/arrival \(data\) → run run-\S+: complete/);
    expect(status.stdout).toMatch(/by-hand \(manual\) → run run-\S+: complete/);

    child.kill('SIGINT');
    expect((await done).code).toBe(0);
    expect((await runCli(['status'], { cwd: dir })).stdout).toContain('controller  not running');
  }, 120_000);

  it('keeps running when a trigger\'s pipeline file disappears: the firing fails, saying why', async () => {
    const dir = project({ triggers: [{ name: 'arrival', pipeline: 'pipeline.ts', params: { file: '${file}', ms: 10 }, data: { path: 'incoming/*.csv', debounce: '100ms' } }], tickMs: 50 });
    writeFileSync(join(dir, 'pipeline.ts'), `export { default } from ${JSON.stringify(ARRIVAL)};\n`);
    const { child, done } = startCli(['up'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the controller', () => out.includes('controller up'), 60_000);
    unlinkSync(join(dir, 'pipeline.ts'));
    writeFileSync(join(dir, 'incoming', 'tuesday.csv'), 'a\n3\n');
    await waitFor('the run to fail', () => out.includes(' failed'), 30_000);
    expect(out).toMatch(/run run-\S+ of arrival failed: .*pipeline\.ts/);
    const status = await runCli(['status'], { cwd: dir });
    expect(status.stdout).toMatch(/controller {2}running/);
    expect(status.stdout).toMatch(/arrival \(data\) → run run-\S+: failed — .*pipeline\.ts/);
    // The trigger command refuses the trigger outright, naming the missing file.
    const fired = await runCli(['trigger', 'arrival'], { cwd: dir });
    expect(fired.stderr).toMatch(/config error at triggers\[0\]\.pipeline .*pipeline\.ts does not exist/);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  }, 60_000);

  it('refuses a loop file with an invalid cron expression or a missing pipeline, naming the key', async () => {
    const cron = await runCli(['up'], { cwd: project({ triggers: [{ name: 'nightly', pipeline: ARRIVAL, schedule: { cron: '0 25 * * *' } }] }) });
    expect(cron.code).toBe(1);
    expect(cron.stderr).toMatch(/config error at triggers\[0\]\.schedule \(.*flywheel\.loop\.json\)/);
    const missing = await runCli(['up'], { cwd: project({ triggers: [{ name: 'nightly', pipeline: 'nope.ts', manual: true }] }) });
    expect(missing.stderr).toMatch(/config error at triggers\[0\]\.pipeline .*nope\.ts does not exist/);
    const none = await runCli(['up'], { cwd: mkdtempSync(join(tmpdir(), 'fw-loop-none-')) });
    expect(none.stderr).toContain('no flywheel.loop.ts, flywheel.loop.mjs, flywheel.loop.js, flywheel.loop.json in the project folder');
  }, 60_000);
});

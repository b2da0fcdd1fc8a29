import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readDriftReportFile } from '../../data/drift/drift-format.js';
import { readDriftProfileFile } from '../../data/drift/drift-profile-format.js';
import { registerDataDriftCommand } from './data-drift.js';

let dir: string;
const file = (name: string) => join(dir, name);
const fixture = (name: string) => new URL(`../../data/drift/fixtures/${name}`, import.meta.url).pathname;

/** Runs `flywheel data …` with only the drift commands registered, capturing output and exit code. */
async function cli(...args: string[]): Promise<{ exitCode: number; stdout: string }> {
  const program = new Command('flywheel').exitOverride();
  registerDataDriftCommand(program.command('data'));
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['data', ...args], { from: 'user' });
    return { exitCode: typeof process.exitCode === 'number' ? process.exitCode : 0, stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-drift-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flywheel data drift', () => {
  it('prints a table and exits with 1 when the dataset drifts', async () => {
    const { exitCode, stdout } = await cli('drift', '--reference', fixture('small-reference.csv'), '--current', fixture('small-current.csv'));
    expect(exitCode).toBe(1);
    expect(stdout).toContain('drift: 4 of 7 compared features (57.1%); dataset DRIFTED (limit 50%)');
    expect(stdout).toMatch(/normal\s+numeric\s+drifted\s+KS \(exact\)/);
    expect(stdout).toMatch(/only_in_reference\s+numeric\s+not compared/);
  });

  it('prints the report as JSON, writes it and an HTML page, with thresholds from a file', async () => {
    await writeFile(file('options.json'), JSON.stringify({ driftShare: 0.9, features: { flag: { ignore: true } } }));
    const { exitCode, stdout } = await cli('drift', '--reference', fixture('small-reference.csv'), '--current', fixture('small-current.csv'),
      '--kind', 'skew', '--options', file('options.json'), '--json', '--out', file('drift.json'), '--report', file('drift.html'));
    expect(exitCode).toBe(0);
    const printed = JSON.parse(stdout) as { failed: boolean; failOn: string; kind: string; summary: { datasetDrift: boolean } };
    expect(printed).toMatchObject({ failed: false, failOn: 'dataset', kind: 'skew', summary: { datasetDrift: false } });
    const written = await readDriftReportFile(file('drift.json'));
    expect(written.features.find((f) => f.name === 'flag')).toMatchObject({ status: 'not_compared', reason: 'ignored' });
    expect(existsSync(file('drift.html'))).toBe(true);
    expect(await readFile(file('drift.html'), 'utf8')).toContain('<html');
  });

  it('compares against a profile written by drift-profile', async () => {
    const profiled = await cli('drift-profile', fixture('small-reference.csv'), '--out', file('profile.json'));
    expect(profiled.stdout).toContain(`wrote ${file('profile.json')}: 300 rows × 8 columns`);
    expect((await readDriftProfileFile(file('profile.json'))).rows).toBe(300);
    const { exitCode, stdout } = await cli('drift', '--reference', file('profile.json'), '--current', fixture('small-current.csv'), '--fail-on', 'never');
    expect(exitCode).toBe(0);
    expect(stdout).toContain('drift: 4 of 7 compared features');
  });

  it('fails naming a missing file', async () => {
    await expect(cli('drift', '--reference', file('missing.parquet'), '--current', fixture('small-current.csv'))).rejects.toThrow(/missing\.parquet/);
  });
});

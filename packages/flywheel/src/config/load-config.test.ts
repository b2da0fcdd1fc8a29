import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadConfig', () => {
  it('defaults to sqlite, local artifacts and the local executor under .flywheel', async () => {
    const dir = project();
    const { config, file } = await loadConfig({ projectDir: dir, env: {} });
    expect(file).toBeUndefined();
    expect(config.home).toBe(join(dir, '.flywheel'));
    expect(config.metadata.flavor).toBe('sqlite');
    expect(config.artifacts.flavor).toBe('local');
    expect(config.executor.flavor).toBe('local');
  });

  it('reads a JSON config file', async () => {
    const dir = project({
      'flywheel.config.json': JSON.stringify({ home: 'state', executor: { flavor: 'local', concurrency: 3 } }),
    });
    const { config, file } = await loadConfig({ projectDir: dir, env: {} });
    expect(file).toBe(join(dir, 'flywheel.config.json'));
    expect(config.home).toBe(join(dir, 'state'));
    expect(config.executor).toMatchObject({ flavor: 'local', concurrency: 3 });
  });

  it('reads a TypeScript config file', async () => {
    const dir = project({
      'flywheel.config.ts': "const concurrency: number = 5;\nexport default { executor: { concurrency } };\n",
    });
    const { config } = await loadConfig({ projectDir: dir, env: {} });
    expect(config.executor).toMatchObject({ flavor: 'local', concurrency: 5 });
  });

  it('picks a flavor from a URI in the environment', async () => {
    const { config } = await loadConfig({
      projectDir: project(),
      env: { FLYWHEEL_METADATA: 'postgresql://root@127.0.0.1:5432/test', FLYWHEEL_ARTIFACTS: 's3://my-bucket/runs' },
    });
    expect(config.metadata).toMatchObject({ flavor: 'postgres', url: 'postgresql://root@127.0.0.1:5432/test' });
    expect(config.artifacts).toMatchObject({ flavor: 's3', bucket: 'my-bucket', prefix: 'runs' });
  });

  it('overrides one option with a double-underscore variable, parsing numbers', async () => {
    const dir = project({ 'flywheel.config.json': JSON.stringify({ executor: { concurrency: 2 } }) });
    const { config } = await loadConfig({
      projectDir: dir,
      env: { FLYWHEEL_EXECUTOR__CONCURRENCY: '7', FLYWHEEL_ARTIFACTS: 's3://bucket-a', FLYWHEEL_ARTIFACTS__ENDPOINT: 'http://127.0.0.1:9000' },
    });
    expect(config.executor).toMatchObject({ concurrency: 7 });
    expect(config.artifacts).toMatchObject({ flavor: 's3', bucket: 'bucket-a', endpoint: 'http://127.0.0.1:9000' });
  });

  it('names an unknown key and the file it is in', async () => {
    const dir = project({ 'flywheel.config.json': JSON.stringify({ metdata: 'sqlite:x.db' }) });
    await expect(loadConfig({ projectDir: dir, env: {} })).rejects.toThrow(
      `config error at metdata (${join(dir, 'flywheel.config.json')}): unknown key`,
    );
  });

  it('names an unknown key inside a backend section', async () => {
    const dir = project({ 'flywheel.config.json': JSON.stringify({ executor: { flavor: 'local', concurency: 2 } }) });
    await expect(loadConfig({ projectDir: dir, env: {} })).rejects.toThrow(/config error at executor\.concurency .*unknown key/);
  });

  it('names the environment variable behind a bad value', async () => {
    await expect(loadConfig({ projectDir: project(), env: { FLYWHEEL_EXECUTOR__CONCURRENCY: '0' } })).rejects.toThrow(
      /config error at executor\.concurrency \(FLYWHEEL_EXECUTOR__CONCURRENCY\)/,
    );
  });

  it('lists the known flavors when one is unknown', async () => {
    const dir = project({ 'flywheel.config.json': JSON.stringify({ metadata: { flavor: 'mongo' } }) });
    const error = await loadConfig({ projectDir: dir, env: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_config', key: 'metadata.flavor' });
    expect((error as { hint: string }).hint).toBe('known metadata flavors: sqlite, postgres');
  });

  it('rejects a URI whose scheme no flavor takes', async () => {
    await expect(loadConfig({ projectDir: project(), env: { FLYWHEEL_METADATA: 'mysql://localhost/x' } })).rejects.toThrow(
      'config error at metadata (FLYWHEEL_METADATA): cannot tell the flavor of "mysql://localhost/x"',
    );
  });

  it('reports malformed JSON with the file name', async () => {
    const dir = project({ 'flywheel.config.json': '{ "home": ' });
    await expect(loadConfig({ projectDir: dir, env: {} })).rejects.toThrow(/config error at \(file\) \(.*flywheel\.config\.json\): cannot be read/);
  });

  it('reports a missing explicit config file', async () => {
    await expect(loadConfig({ projectDir: project(), file: 'nope.json', env: {} })).rejects.toThrow(/the config file does not exist/);
  });
});

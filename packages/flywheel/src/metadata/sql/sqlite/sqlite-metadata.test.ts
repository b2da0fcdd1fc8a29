import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { IncompatibleStateError, InvalidInputError } from '../../../core/errors.js';
import { runModelRegistryContract } from '../../../registry/model-registry.contract.js';
import { runControlStoreContract } from '../../control-store.contract.js';
import { runMetadataStoreContract } from '../../metadata-store.contract.js';
import { openSqliteMetadataBackend } from './open-sqlite-metadata.js';
import { powerOfTwoSizes } from './sqlite-dialect.js';
import { sqliteMetadataFlavor, sqliteMetadataOptions } from './sqlite-flavor.js';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-sqlite-'));
let files = 0;
const tempFile = (): string => join(dir, `metadata-${++files}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runMetadataStoreContract('sqlite file', () => openSqliteMetadataBackend({ path: tempFile() }));
runModelRegistryContract('sqlite file', () => openSqliteMetadataBackend({ path: tempFile() }));
runMetadataStoreContract('sqlite memory', () => openSqliteMetadataBackend({ path: ':memory:' }));
runControlStoreContract('sqlite file', () => openSqliteMetadataBackend({ path: tempFile() }));
runControlStoreContract('sqlite memory', () => openSqliteMetadataBackend({ path: ':memory:' }));

describe('sqlite metadata database', () => {
  it('keeps its data across reopening', async () => {
    const path = tempFile();
    const first = await openSqliteMetadataBackend({ path });
    const [artifact] = await first.metadata.putArtifacts([{ type: 'Dataset', uri: 'file:///d' }]);
    await first.registry.createVersion('flights', { uri: 'file:///m', digest: 'd' });
    await first.close();
    const second = await openSqliteMetadataBackend({ path });
    expect(await second.metadata.getArtifact(artifact?.id ?? 0)).toEqual(artifact);
    expect((await second.registry.createVersion('flights', { uri: 'file:///m2', digest: 'd2' })).version).toBe(2);
    await second.close();
  });

  it('keeps the control loop’s state, firings, alerts and rollouts across reopening', async () => {
    const path = tempFile();
    const first = await openSqliteMetadataBackend({ path });
    const event = { trigger: 'nightly', eventKey: 'schedule:2001-02-01T00:00:00.000Z', event: { at: '2001-02-01' }, runId: 'run-1' };
    const fired = await first.control.fire(event, { cursor: '2001-02-01' });
    const running = await first.control.updateFiring(fired?.id ?? 0, { status: 'running' });
    const alert = await first.control.raiseAlert({
      rule: 'auc-floor', model: 'flights', version: null, windowStart: new Date(0), windowEnd: new Date(86_400_000),
      metric: 'auc', value: 0.61, threshold: 0.7, details: { labeled: 12 },
    });
    const rollout = await first.control.startRollout({
      model: 'flights', challengerVersion: 2, championVersion: 1, phase: 'canary', runId: 'run-1', reason: 'retrained', details: { auc: 0.74 },
    });
    await first.close();

    const second = await openSqliteMetadataBackend({ path });
    expect(await second.control.triggerState('nightly')).toEqual({ cursor: '2001-02-01' });
    expect(await second.control.findFirings()).toEqual([running]);
    expect(await second.control.findAlerts()).toEqual([alert]);
    expect(await second.control.openRollout('flights')).toEqual(rollout);
    expect(await second.control.fire({ ...event, runId: 'run-2' }, { cursor: 'moved' })).toBeUndefined();
    expect(await second.control.triggerState('nightly')).toEqual({ cursor: '2001-02-01' });
    await second.close();
  });

  it('refuses a database migrated by a newer Flywheel and changes nothing', async () => {
    const path = tempFile();
    const backend = await openSqliteMetadataBackend({ path });
    const [artifact] = await backend.metadata.putArtifacts([{ type: 'Dataset', uri: 'file:///d' }]);
    await backend.close();
    const raw = new Sqlite(path);
    raw.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('0999-from-the-future', new Date().toISOString());
    const snapshot = (): unknown => ({
      schema: raw.prepare('select type, name, sql from sqlite_master order by name').all(),
      migrations: raw.prepare('select * from kysely_migration order by name').all(),
      artifacts: raw.prepare('select * from artifacts').all(),
    });
    const before = snapshot();

    const error = await openSqliteMetadataBackend({ path }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleStateError);
    const { message } = error as IncompatibleStateError;
    expect(message).toContain(path);
    expect(message).toContain('0999-from-the-future');
    expect(message).toContain('upgrade flywheel');
    expect(snapshot()).toEqual(before);
    expect((raw.prepare('select uri from artifacts where id = ?').get(artifact?.id) as { uri: string }).uri).toBe('file:///d');
    raw.close();
  });

  it('serves two handles on one file, each seeing the other’s writes', async () => {
    const path = tempFile();
    const cli = await openSqliteMetadataBackend({ path });
    const server = await openSqliteMetadataBackend({ path });
    const [written] = await cli.metadata.putArtifacts([{ type: 'Dataset', uri: 'file:///by-cli' }]);
    expect((await server.metadata.getArtifact(written?.id ?? 0)).uri).toBe('file:///by-cli');
    await server.registry.createVersion('flights', { uri: 'file:///1', digest: '1' });
    expect((await cli.registry.createVersion('flights', { uri: 'file:///2', digest: '2' })).version).toBe(2);
    const [typed] = await server.metadata.putArtifacts([{ type: 'Schema', uri: 'file:///schema' }]);
    expect((await cli.metadata.findArtifacts({ type: 'Schema' })).map((a) => a.id)).toEqual([typed?.id]);
    expect(existsSync(`${path}-wal`)).toBe(true);
    await cli.close();
    await server.close();
  });

  it('lets another process register versions concurrently without duplicates', async () => {
    const path = tempFile();
    const backend = await openSqliteMetadataBackend({ path });
    const script = join(dir, 'register.mts');
    const opener = fileURLToPath(new URL('./open-sqlite-metadata.ts', import.meta.url));
    writeFileSync(script, [
      `import { openSqliteMetadataBackend } from ${JSON.stringify(opener)};`,
      `const backend = await openSqliteMetadataBackend({ path: ${JSON.stringify(path)} });`,
      `for (let i = 0; i < 25; i++) await backend.registry.createVersion('flights', { uri: 'file:///child/' + i, digest: 'c' });`,
      'await backend.close();',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 25; i++) {
      await backend.registry.createVersion('flights', { uri: `file:///parent/${i}`, digest: 'p' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await exited, stderr).toBe(0);
    const numbers = (await backend.registry.listVersions('flights')).map((v) => v.version);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await backend.close();
  });
});

describe('sqlite insert sizes', () => {
  it('splits a batch into full statements and a power-of-two remainder', () => {
    expect(powerOfTwoSizes(1000, 3640)).toEqual([512, 256, 128, 64, 32, 8]);
    expect(powerOfTwoSizes(1030, 3640)).toEqual([512, 512, 4, 2]);
    expect(powerOfTwoSizes(7, 5)).toEqual([4, 2, 1]);
    expect(powerOfTwoSizes(0, 100)).toEqual([]);
    for (const rows of [1, 3, 511, 513, 5000]) expect(powerOfTwoSizes(rows, 3640).reduce((a, b) => a + b, 0)).toBe(rows);
  });
});

describe('sqlite metadata flavor', () => {
  it('reads sqlite: uris', () => {
    expect(sqliteMetadataFlavor.fromUri('sqlite:relative/file.db')).toEqual({ path: 'relative/file.db' });
    expect(sqliteMetadataFlavor.fromUri('sqlite:///abs/file.db')).toEqual({ path: '/abs/file.db' });
    expect(sqliteMetadataFlavor.fromUri('sqlite::memory:')).toEqual({ path: ':memory:' });
    expect(() => sqliteMetadataFlavor.fromUri('sqlite://host/file.db')).toThrow(InvalidInputError);
    expect(() => sqliteMetadataFlavor.fromUri('sqlite:')).toThrow(InvalidInputError);
    expect(sqliteMetadataFlavor.schemes).toEqual(['sqlite']);
  });

  it('validates its options', () => {
    expect(sqliteMetadataOptions.parse({ flavor: 'sqlite' })).toEqual({ flavor: 'sqlite' });
    expect(sqliteMetadataOptions.safeParse({ flavor: 'sqlite', path: 3 }).success).toBe(false);
  });

  it('creates <home>/metadata.db by default, and paths relative to the project', async () => {
    const projectDir = join(dir, 'project');
    const home = join(projectDir, '.flywheel');
    const byDefault = await sqliteMetadataFlavor.create({ flavor: 'sqlite' }, { projectDir, home });
    expect(byDefault.metadata.dialect).toBe('sqlite');
    await byDefault.close();
    expect(existsSync(join(home, 'metadata.db'))).toBe(true);
    const relative = await sqliteMetadataFlavor.create({ flavor: 'sqlite', path: 'state/meta.db' }, { projectDir, home });
    await relative.close();
    expect(existsSync(join(projectDir, 'state', 'meta.db'))).toBe(true);
  });
});

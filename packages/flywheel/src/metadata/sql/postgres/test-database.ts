import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { redactPassword } from './open-postgres-metadata.js';

/** Where tests reach PostgreSQL as an administrator (to create and drop their own databases). */
export const ADMIN_URL = process.env.FLYWHEEL_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

/** Runs `work` with a client connected to `target` (the admin database by default), then disconnects. */
export async function admin<T>(work: (client: pg.Client) => Promise<T>, target = ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for one test file (`flywheel_test_<random>`), so runs never collide:
 * `create()` in beforeAll, `drop()` in afterAll. Fails — never skips — when PostgreSQL cannot be
 * reached, since the PostgreSQL backend is part of what the suite proves.
 */
export async function testDatabase(): Promise<{ name: string; url: string; create(): Promise<void>; drop(): Promise<void> }> {
  await admin(async () => true).catch((error: unknown) => {
    throw new Error(`PostgreSQL at ${redactPassword(ADMIN_URL)} is not reachable (set FLYWHEEL_TEST_POSTGRES_URL): ${(error as Error).message}`);
  });
  const name = `flywheel_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    create: () => admin((client) => client.query(`create database ${name}`)).then(() => undefined),
    drop: () => admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

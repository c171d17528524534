import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A throw-away database on the real PostgreSQL server the tests use (127.0.0.1:5432, trust auth,
 * user postgres; scripts/install-test-deps.sh starts one when none runs). Each test gets its own
 * database so specs can run in parallel and never see each other's rows.
 */

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function adminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
}

/** Runs `sql` on the admin connection; a server that does not answer is reported with the fix. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 30_000 });
  try {
    await client.connect();
  } catch (e) {
    const where = new URL(adminUrl()).host;
    throw new Error(
      `PostgreSQL is not reachable at ${where} (${(e as Error).message}); run scripts/install-test-deps.sh ` +
        'to install and start it, or set TEST_DATABASE_ADMIN_URL',
      { cause: e },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database named `<prefix>_<random>` and returns its URL; `drop()` removes it
 * even while connections to it are still open (a test that failed half-way may leave some).
 */
export async function freshDatabase(prefix: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  // Identifiers are lower-case, at most 63 bytes: keep the prefix readable, the suffix unique.
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40) || 'test';
  const name = `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

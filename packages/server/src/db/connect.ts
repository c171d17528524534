/**
 * One query layer over two engines: PGlite in-process (embedded default, data under the
 * data folder) or a PostgreSQL server (DATABASE_URL). Both get the same type parsing
 * (int8 → number: sizes stay far below 2^53; date → 'YYYY-MM-DD' string) and migrations.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Database } from './schema.js';
import { PgliteDialect } from './pglite-dialect.js';
import { migrate } from './migrations.js';

const INT8 = 20;
const DATE = 1082;

export interface Db {
  db: Kysely<Database>;
  engine: 'pglite' | 'postgresql';
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(opts: { url?: string; dataDir: string }): Promise<Db> {
  let db: Kysely<Database>;
  let engine: Db['engine'];
  if (opts.url) {
    const pg = await import('pg');
    const types = pg.default.types;
    const parsers = {
      getTypeParser: (oid: number, format?: string) =>
        oid === INT8 ? Number : oid === DATE ? (v: string) => v : types.getTypeParser(oid, format as 'text'),
    };
    const pool = new pg.default.Pool({ connectionString: opts.url, max: 10, types: parsers, connectionTimeoutMillis: 5000 });
    // A dropped connection must not crash the process; the next query reports it (503). The
    // pool listens for errors only on idle clients: a checked-out one whose socket breaks
    // between queries (a transaction, a heartbeat) would throw an uncaught 'error' event.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    engine = 'postgresql';
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const dir = join(opts.dataDir, 'db');
    mkdirSync(dir, { recursive: true });
    const pg = new PGlite(dir, { parsers: { [INT8]: Number, [DATE]: (v: string) => v } });
    db = new Kysely<Database>({ dialect: new PgliteDialect(pg) });
    engine = 'pglite';
  }
  try {
    await migrate(db as Kysely<unknown>);
  } catch (e) {
    // Not reachable, or a failed migration: close the pool so a retry does not leak connections.
    await db.destroy().catch(() => {});
    throw e;
  }
  return {
    db,
    engine,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

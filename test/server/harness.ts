/**
 * Test harness: a real server (Fastify on a loopback port, PGlite in a temporary folder or
 * a given PostgreSQL database, files or a given S3 store) with helpers to make an org,
 * users and tokens. Used by the server's specs only.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, type ServerConfig } from '../../packages/server/src/config.js';
import { bootstrapAdmin, openServices, startServer, type Host, type RunningServer } from '../../packages/server/src/serve.js';
import { buildApp } from '../../packages/server/src/app.js';
import type { Role } from '../../packages/server/src/db/schema.js';
import { convertOnThread } from '../../packages/cli/src/serve/convert-thread.js';
import { seedEmbeddedDatabase } from './seed-db.js';
import { newSecret, secretHash } from '../../packages/server/src/auth/secrets.js';
import { randomUUID } from 'node:crypto';

export interface TestServer {
  server: RunningServer;
  url: string;
  adminToken: string;
  dataDir: string;
  /** fetch against the server with a bearer token; JSON bodies are encoded. */
  call(token: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T = any>(token: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /** Polls GET /api/jobs/:id until the job ends (succeeded, failed, cancelled); throws after `ms`. */
  waitJob(token: string, id: string, ms?: number): Promise<any>;
  /** An organisation with one user per role and a token each. */
  org(name: string, opts?: { serverAnonymise?: boolean }): Promise<TestOrg>;
  close(): Promise<void>;
}

export interface TestOrg {
  id: string;
  tokens: Record<Exclude<Role, 'admin'>, string>;
  users: Record<Exclude<Role, 'admin'>, string>;
  /** Each user's e-mail; every password is TEST_PASSWORD. */
  emails: Record<Exclude<Role, 'admin'>, string>;
}

/** The password of every user made by TestServer.org. */
export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestServerOptions {
  /**
   * Where the server's pino log goes (one JSON line per write), at this level: for specs that
   * read what the server logs. The server is then built here (buildApp with this logger,
   * no in-process worker) instead of by startServer, which logs to stdout.
   */
  log?: { level: string; write(line: string): void };
}

/** openServices + first-start admin + buildApp with the given logger, listening on a loopback port (no worker loop). */
async function startLoggedServer(config: ServerConfig, host: Host, log: NonNullable<TestServerOptions['log']>): Promise<RunningServer> {
  const services = await openServices(config, host);
  await bootstrapAdmin(services, () => {});
  const app = await buildApp(services, { logger: { level: log.level, stream: { write: (l: string) => log.write(l) } } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    services,
    url,
    async close() {
      await app.close();
      await services.dbh.close();
    },
  };
}

export async function startTestServer(
  over: Partial<ServerConfig> = {},
  host: Host = {},
  opts: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = over.dataDir ?? mkdtempSync(join(tmpdir(), 's2p-server-'));
  if (!over.databaseUrl) seedEmbeddedDatabase(dataDir);
  const config = configFromEnv({ workers: 0, logLevel: 'warn', ...over, dataDir, port: 0 }, {});
  // Jobs run on a convert thread with its worker pool, as under `scan2print serve` (compiled dist/: the test command builds first).
  const base: Host = { say: () => {}, executeConvert: convertOnThread, ...host };
  const server = opts.log ? await startLoggedServer(config, base, opts.log) : await startServer(config, base);
  const adminToken = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const url = server.url;
  const call = (token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(url + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: body instanceof FormData ? body : JSON.stringify(body) } : {}),
    });
  const json = async (token: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await call(token, method, path, body, headers);
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const waitJob = async (token: string, id: string, ms = 600_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const j = await json(token, 'GET', `/api/jobs/${id}`);
      if (['succeeded', 'failed', 'cancelled'].includes(j.state)) return j;
      if (Date.now() > end) throw new Error(`job ${id} still ${j.state} after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  /**
   * The user's own token, as if they had logged in and made it (POST /api/users/:id/tokens; the
   * admin may not make one for a user with a password): written here, as logging in each user
   * would run into the login rate limit. security.spec makes them through the API.
   */
  const ownToken = async (userId: string): Promise<string> => {
    const token = newSecret('s2p');
    const row = { id: randomUUID(), user_id: userId, name: 'test', token_hash: secretHash(token), last_used_at: null, created_by: userId };
    await server.services.db.insertInto('tokens').values(row).execute();
    return token;
  };
  let n = 0;
  const org = async (name: string, opts: { serverAnonymise?: boolean } = {}): Promise<TestOrg> => {
    const { id } = await json(adminToken, 'POST', '/api/orgs', { name, ...opts });
    const roles = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
    const tokens = {} as TestOrg['tokens'];
    const users = {} as TestOrg['users'];
    const emails = {} as TestOrg['emails'];
    for (const role of roles) {
      const email = `${role}.${++n}.${name.replace(/\W/g, '')}@example.org`.toLowerCase();
      const u = await json(adminToken, 'POST', `/api/orgs/${id}/users`, { email, role, password: TEST_PASSWORD });
      users[role] = u.id;
      emails[role] = email;
      tokens[role] = await ownToken(u.id);
    }
    return { id, tokens, users, emails };
  };
  return {
    server,
    url,
    adminToken,
    dataDir,
    call,
    json,
    waitJob,
    org,
    async close() {
      await server.close();
      if (!over.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every file below `dir` (a test server's data folder), for scans of what reached the disk. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

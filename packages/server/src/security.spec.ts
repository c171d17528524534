/**
 * Security over real loopback HTTP, generated from the app's own route table
 * (app.routeTable: method, url, access, scopedBy) so a new route is covered or fails here:
 * another organisation's resource is a 404 on every scoped route for every role; each role
 * the route does not allow gets 403, each it allows does not; a session cookie without the
 * CSRF header acts on no unsafe route; helmet's headers on every kind of answer; the login
 * rate limit; and no patient name, file name, UID or secret in the server's log or at rest.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import dicomParser from 'dicom-parser';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanError } from '@scan2print/core';
import { listFiles, startTestServer, type TestOrg, type TestServer } from '../../../test/server/harness.js';
import { formOf, seriesFiles } from '../../../test/server/dicom-files.js';
import { cookieLogin, key, newUpload, ORG_ROLES, routeCaller, seedScopeFixtures } from '../../../test/server/route-calls.js';
import { servedRoutes, UNSAFE, type OrgRole, type Scope } from '../../../test/server/route-calls.js';
import { scopeParam, type RouteInfo } from './http/route.js';
import { buildApp } from './app.js';
import type { Role } from './db/schema.js';

type ErrorBody = { error: { code: string; message: string } };
const SERIES = 'ge-head-tilt-variable-spacing';
const ALL_ROLES: readonly Role[] = ['admin', ...ORG_ROLES];
/** Words only org A's data holds: never in an answer to org B. */
const MARK_A = 'SECRET-A-7f3c orbital floor';

const logLines: string[] = [];
let t: TestServer;
let a: TestOrg;
let b: TestOrg;
let routes: RouteInfo[];
/** One resource of org A per scope kind (a Record: a new kind does not compile until it has a fixture). */
let fixtureA: Record<Scope, string>;
/** Each of A's users' own notification (a notification is its user's alone). */
let notificationOf: Record<OrgRole, string>;

beforeAll(async () => {
  t = await startTestServer({}, {}, { log: { level: 'debug', write: (l) => void logLines.push(l) } });
  routes = t.server.app.routeTable;
  a = await t.org('Security A');
  b = await t.org('Security B');
  ({ fixtures: fixtureA, notificationOf } = await seedScopeFixtures(t, a, MARK_A, SERIES));
});

const { urlOf, covered, callRoute, nextUnique, useToken } = routeCaller(() => t, () => fixtureA);
/** An id of the scope's form that names nothing. */
const missingId = (scope: Scope) => (scope === 'upload' ? randomUUID().replace(/-/g, '') : randomUUID());
/** Routes that remove their resource get a fresh one per call (the next role still needs one to act on). */
const idFor = async (r: RouteInfo, fallback: string) =>
  r.method === 'DELETE' && r.scopedBy === 'upload' ? newUpload(t, a, fixtureA.case) : fallback;
afterAll(() => t?.close());

/** A token row for the user (its secret is never used): something to revoke. */
async function spareToken(userId: string): Promise<string> {
  const id = randomUUID();
  await t.server.services.db.insertInto('tokens').values({ id, user_id: userId, name: 'spare', token_hash: randomUUID(), last_used_at: null, created_by: userId }).execute();
  return id;
}
const tokenOf = (org: TestOrg, role: Role) => (role === 'admin' ? t.adminToken : org.tokens[role]);
const allowed = (r: RouteInfo, role: Role) => r.access === 'any' || r.access === 'public' || (r.access as readonly Role[]).includes(role);

describe('the route table', () => {
  it('holds every route served or documented under /api/; every route with an id parameter is scoped', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const doc = await t.json(undefined, 'GET', '/api/openapi.json');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const table = new Set(routes.map(key));
    expect(documented.filter((k) => !k.startsWith('HEAD ') && !table.has(k))).toEqual([]);
    // Every route Fastify serves under /api/ (hidden ones too) declares its access, so it is in the table.
    // The web app's files (GET /, /assets/…) are outside /api/ and need no login.
    const served = servedRoutes(t.server.app.printRoutes({ commonPrefix: false })).filter((k) => k.split(' ')[1]!.startsWith('/api'));
    expect(served.length).toBeGreaterThanOrEqual(routes.length);
    const docs = /^\/api\/(docs($|\/)|openapi\.json$)/;
    expect(served.filter((k) => !table.has(k) && !docs.test(k.split(' ')[1]!))).toEqual([]);
    for (const r of routes) {
      if (!r.url.includes(':')) continue;
      expect(r.scopedBy, `${key(r)} takes an id but declares no scopedBy`).toBeDefined();
      expect(scopeParam(r.url, r.scopedBy!), `${key(r)}: which parameter names the ${r.scopedBy}?`).toBeDefined();
      expect(fixtureA[r.scopedBy!], `${key(r)}: no fixture for scope ${r.scopedBy}`).toBeDefined();
    }
  });
});

describe('organisations are walls', () => {
  it('every scoped route, called by every role of org B on org A\'s resource → 404, exactly as for an id that does not exist', async () => {
    const scoped = routes.filter((r) => r.scopedBy);
    expect(scoped.length).toBeGreaterThanOrEqual(12);
    const problems: string[] = [];
    let calls = 0;
    for (const r of scoped) {
      for (const role of ORG_ROLES) {
        const real = await callRoute(r, { token: b.tokens[role] }, fixtureA[r.scopedBy!]);
        const none = await callRoute(r, { token: b.tokens[role] }, missingId(r.scopedBy!));
        calls++;
        const what = `${key(r)} as B's ${role}`;
        if (real.status !== 404 || real.code !== 'NOT_FOUND') problems.push(`${what}: ${real.status} ${real.text.slice(0, 200)}`);
        if (real.text !== none.text || real.status !== none.status) {
          problems.push(`${what}: answers differently for A's id (${real.text}) and a missing id (${none.text})`);
        }
        for (const secret of [MARK_A, 'Security A', ...Object.values(fixtureA)]) {
          if (real.text.includes(secret)) problems.push(`${what}: the answer holds A's ${secret}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(calls).toBe(scoped.length * ORG_ROLES.length);
  });

  it('nothing of A changed through B\'s calls, and B\'s lists hold nothing of A', async () => {
    const db = t.server.services.db;
    expect((await db.selectFrom('jobs').select('state').where('id', '=', fixtureA.job).executeTakeFirstOrThrow()).state).toBe('queued');
    expect(await db.selectFrom('users').select('id').where('org_id', '=', a.id).execute()).toHaveLength(ORG_ROLES.length);
    expect(await db.selectFrom('comments').select('id').where('case_id', '=', fixtureA.case).execute()).toHaveLength(1);
    expect(await db.selectFrom('jobs').select('id').where('case_id', '=', fixtureA.case).execute()).toHaveLength(1);
    const tokensA = await db.selectFrom('tokens').select('id').where('user_id', 'in', Object.values(a.users)).execute();
    expect(tokensA).toHaveLength(ORG_ROLES.length);
    for (const role of ORG_ROLES) {
      const list = await t.call(b.tokens[role], 'GET', '/api/cases');
      expect(list.status).toBe(200);
      expect(await list.text()).not.toContain(MARK_A);
    }
  });
});

describe('roles', () => {
  it('every non-public route without credentials → 401', async () => {
    const problems: string[] = [];
    for (const r of routes.filter((x) => x.access !== 'public')) {
      if (!covered(r, problems)) continue;
      const res = await callRoute(r, {}, r.scopedBy ? fixtureA[r.scopedBy] : undefined);
      if (res.status !== 401 || res.code !== 'UNAUTHENTICATED') problems.push(`${key(r)}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  });

  it('each role the route does not allow → 403 FORBIDDEN; each it allows → past the role check', async () => {
    const problems: string[] = [];
    let denied = 0;
    // Each fixture stays usable whatever an allowed call did (cancel is idempotent, a new job or user is one more row).
    for (const r of routes.filter((x) => x.access !== 'public')) {
      if (!covered(r, problems)) continue;
      for (const role of ALL_ROLES) {
        // A role acts on its own user; the admin on one of A's.
        const id =
          r.scopedBy === 'user' && role !== 'admin'
            ? a.users[role]
            : r.scopedBy === 'notification' && role !== 'admin'
              ? notificationOf[role]
              : r.scopedBy
                ? await idFor(r, fixtureA[r.scopedBy])
                : undefined;
        // A token to revoke: a spare one of the user's (their own, used by the rest of the spec, stays).
        if (r.url.includes(':tokenId') && id) useToken(id, await spareToken(id));
        const res = await callRoute(r, { token: tokenOf(a, role) }, id);
        const what = `${key(r)} as ${role}: ${res.status} ${res.text.slice(0, 200)}`;
        if (!allowed(r, role)) {
          denied++;
          if (res.status !== 403 || res.code !== 'FORBIDDEN') problems.push(`${what} (not allowed: expected 403)`);
        } else if ([401, 403, 404].includes(res.status)) {
          // The installation admin holds no clinical data: 403 NO_ORGANISATION on case, job and artifact routes is its answer.
          const adminNoOrg = role === 'admin' && res.status === 403 && res.code === 'NO_ORGANISATION';
          // Past the role check: the admin makes no token for a user who logs in with a password.
          const ownTokens = role === 'admin' && res.status === 403 && res.code === 'OWN_TOKENS';
          if (!adminNoOrg && !ownTokens) problems.push(`${what} (allowed)`);
        } else if (res.status >= 500) problems.push(`${what} (server error)`);
        else if (res.code === 'INVALID_REQUEST')
          problems.push(`${what} (allowed, but the spec sent no valid body: add one to BODIES in test/server/route-calls.ts)`);
      }
    }
    expect(problems).toEqual([]);
    expect(denied).toBeGreaterThan(10);
  });

  it('public routes answer without credentials (one login attempt: the rate limit counts them)', async () => {
    const problems: string[] = [];
    for (const r of routes.filter((x) => x.access === 'public')) {
      const res = await callRoute(r, {});
      const ok = r.url === '/api/session' ? res.status === 401 && res.code === 'BAD_LOGIN' : res.status >= 200 && res.status < 300;
      if (!ok) problems.push(`${key(r)}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
  });
});

/** A new user of org A, logged in by cookie (see cookieLogin). */
const login = (role: OrgRole = 'org-admin') => cookieLogin(t, a, role, nextUnique());

describe('cookie sessions and CSRF', () => {
  it('the session cookie is HttpOnly, SameSite=Strict, path /', async () => {
    const s = await login();
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).toMatch(/Path=\//);
    expect(s.cookie).toMatch(/^s2p_session=sess_/);
  });

  it('every unsafe route: a cookie without the header, a wrong one or another session\'s → 403 CSRF; nothing happens', async () => {
    const s = await login();
    const other = await login();
    const unsafe = routes.filter((r) => UNSAFE.has(r.method) && r.access !== 'public');
    expect(unsafe.length).toBeGreaterThanOrEqual(8);
    const db = t.server.services.db;
    const count = async () => ({
      cases: (await db.selectFrom('cases').select('id').execute()).length,
      comments: (await db.selectFrom('comments').select('id').execute()).length,
      jobs: (await db.selectFrom('jobs').select(['id', 'state', 'cancel_requested']).orderBy('id').execute()),
      users: (await db.selectFrom('users').select('id').execute()).length,
      tokens: (await db.selectFrom('tokens').select('id').execute()).length,
      orgs: await db.selectFrom('orgs').select(['id', 'server_anonymise']).orderBy('id').execute(),
      sessions: (await db.selectFrom('sessions').select('id').execute()).length,
    });
    const before = await count();
    const problems: string[] = [];
    for (const r of unsafe) {
      if (!covered(r, problems)) continue;
      const me = (await t.json(undefined, 'GET', '/api/me', undefined, { cookie: s.cookie })).id as string;
      const id = r.scopedBy === 'user' ? me : r.scopedBy ? fixtureA[r.scopedBy] : undefined;
      for (const [how, headers] of [
        ['no header', { cookie: s.cookie }],
        ['a wrong header', { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(s.csrf.length) }],
        ["another session's header", { cookie: s.cookie, 'x-csrf-token': other.csrf }],
        ['an empty header', { cookie: s.cookie, 'x-csrf-token': '' }],
      ] as const) {
        const res = await callRoute(r, { headers }, id);
        if (res.status !== 403 || res.code !== 'CSRF') problems.push(`${key(r)} with ${how}: ${res.status} ${res.text.slice(0, 200)}`);
      }
      // What a cross-site HTML form would send: a simple content type, the cookie, no header.
      const form = await fetch(t.url + urlOf(r, id), {
        method: r.method === 'POST' ? 'POST' : r.method,
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: 'purpose=x&anatomy=y&name=z',
      });
      if (form.status !== 403) problems.push(`${key(r)} as a cross-site form: ${form.status}`);
    }
    expect(problems).toEqual([]);
    expect(await count()).toEqual(before);
    // The session itself is fine: reads work, and the right header acts.
    expect((await t.call(undefined, 'GET', `/api/cases/${fixtureA.case}`, undefined, { cookie: s.cookie })).status).toBe(200);
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    const ok = await t.call(undefined, 'POST', `/api/cases/${fixtureA.case}/comments`, { body: 'with the header' }, headers);
    expect(ok.status).toBe(201);
  });

  it('a stale session cookie does not lock the browser out of logging in again, nor health', async () => {
    const s = await login('requester');
    const out = await t.call(undefined, 'DELETE', '/api/session', undefined, { cookie: s.cookie, 'x-csrf-token': s.csrf });
    expect(out.status).toBe(204);
    expect((await t.call(undefined, 'GET', '/api/cases', undefined, { cookie: s.cookie })).status).toBe(401);
    expect((await t.call(undefined, 'GET', '/api/health', undefined, { cookie: s.cookie })).status).toBe(200);
    const again = await t.call(undefined, 'POST', '/api/session', { email: s.email, password: s.password }, { cookie: s.cookie });
    expect(again.status).toBe(200);
  });
});

describe('security headers', () => {
  it('helmet on answers of every kind: JSON, errors, 404, downloads; no x-powered-by', async () => {
    const answers = {
      health: await t.call(undefined, 'GET', '/api/health'),
      list: await t.call(a.tokens.requester, 'GET', '/api/cases'),
      unauthenticated: await t.call(undefined, 'GET', '/api/cases'),
      forbidden: await t.call(a.tokens.reviewer, 'POST', '/api/cases', { purpose: 'p', anatomy: 'a' }),
      invalid: await t.call(a.tokens.requester, 'GET', '/api/cases/not-a-uuid'),
      missing: await t.call(a.tokens.requester, 'GET', '/api/nothing'),
      download: await t.call(a.tokens.requester, 'GET', `/api/artifacts/${fixtureA.artifact}`),
      openapi: await t.call(undefined, 'GET', '/api/openapi.json'),
      // A hijacked reply (server-sent events) keeps them too: helmet sets them on the raw response.
      events: await t.call(a.tokens.requester, 'GET', `/api/jobs/${fixtureA.job}/events`),
    };
    for (const [what, r] of Object.entries(answers)) {
      const h = r.headers;
      expect(h.get('x-content-type-options'), what).toBe('nosniff');
      expect(h.get('x-frame-options'), what).toMatch(/^(DENY|SAMEORIGIN)$/);
      expect(h.get('content-security-policy'), what).toMatch(/default-src 'self'/);
      expect(h.get('content-security-policy'), what).toMatch(/frame-ancestors '(self|none)'/);
      expect(h.get('strict-transport-security'), what).toMatch(/max-age=\d+/);
      expect(h.get('referrer-policy'), what).toBeTruthy();
      expect(h.get('x-powered-by'), what).toBeNull();
      if (what === 'events') await r.body?.cancel();
      else await r.arrayBuffer();
    }
    expect(answers.events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(answers.download.headers.get('content-disposition')).toMatch(/^attachment;/);
  });
});

describe('no patient data in the log or at rest', () => {
  it('an identifiable original named after a (fake) patient: refused or anonymised; no log line or file holds its names', async () => {
    const original = seriesFiles(SERIES)[0]!;
    const ds = dicomParser.parseDicom(original.bytes, { untilTag: 'x7fe00010' });
    const identifying = ['x00100010', 'x00100020', 'x0020000d', 'x0020000e', 'x00080018']
      .map((tag) => ds.string(tag)?.trim())
      .filter((v): v is string => !!v && v.length >= 5);
    expect(identifying.length).toBeGreaterThanOrEqual(4);
    const patientName = ds.string('x00100010')!.trim();
    expect(identifying).toContain(patientName);
    const fakeName = 'Quixby-Doe^Johanna';
    const fileName = `${fakeName} 1957-03-02 head CT.dcm`;
    const c = await t.org('Security C', { serverAnonymise: true });

    const caseA = fixtureA.case;
    const uploadTo = (token: string, caseId: string, files: Array<{ name: string; bytes: Uint8Array }>) =>
      t.call(token, 'POST', `/api/cases/${caseId}/files`, formOf(files));
    const refused = await uploadTo(a.tokens.requester, caseA, [{ name: fileName, bytes: original.bytes }]);
    expect(refused.status).toBe(422);
    // The client is told which file (its own name for it): that is where the name may go, and nowhere else.
    expect(((await refused.json()) as ErrorBody).error.message).toContain(fileName);
    const zipped = await uploadTo(a.tokens.requester, caseA, [{ name: `${fakeName}.zip`, bytes: zipSync({ [fileName]: original.bytes }) }]);
    expect(zipped.status).toBe(422);
    const notDicom = await uploadTo(a.tokens.requester, caseA, [{ name: fileName, bytes: new TextEncoder().encode(patientName) }]);
    expect(notDicom.status).toBe(422);
    const caseC = (await t.json(c.tokens.requester, 'POST', '/api/cases', { purpose: 'server-side anonymisation', anatomy: 'skull' })).id;
    const taken = await uploadTo(c.tokens.requester, caseC, [{ name: fileName, bytes: original.bytes }]);
    expect(taken.status).toBe(201);
    expect(await taken.json()).toMatchObject({ added: 1, anonymisedByServer: 1 });
    const bad = await t.call(undefined, 'POST', '/api/session', { email: 'quixby.doe@example.org', password: `${fakeName} password` });
    expect(bad.status).toBe(401);

    // Identifiers in a URL stay out of the log too: a PACS query's accession number, a study UID in a DICOMweb path.
    const studyUid = ds.string('x0020000d')!.trim();
    await t.call(a.tokens.engineer, 'GET', `/api/pacs/query?destinationId=${randomUUID()}&accession=${encodeURIComponent(fakeName)}`);
    await t.call(undefined, 'POST', `/dicom-web/studies/${studyUid}`);
    expect(identifying).toContain(studyUid);

    // The capture works: the upload requests are there, at debug level.
    const log = logLines.join('');
    expect(log).toContain('/api/pacs/query?…');
    expect(log).toContain('/dicom-web/studies/<uid>');
    expect(log).toContain(`/api/cases/${caseA}/files`);
    expect(log).toContain(`/api/cases/${caseC}/files`);
    expect(logLines.some((l) => JSON.parse(l).level === 30)).toBe(true);
    const secrets = [
      ...identifying,
      fakeName,
      'Quixby',
      fileName,
      `${fakeName} password`,
      t.adminToken,
      ...[a, b, c].flatMap((o) => Object.values(o.tokens)),
    ];
    for (const s of secrets) expect(log.includes(s), `the log holds ${s.slice(0, 12)}…`).toBe(false);

    // At rest: the database files and the stored objects hold none of it either.
    const atRest = [...identifying.filter((v) => v !== patientName), 'Quixby'];
    for (const file of listFiles(t.dataDir)) {
      const bytes = readFileSync(file);
      for (const s of atRest) expect(bytes.includes(s), `${file} holds ${s.slice(0, 12)}…`).toBe(false);
    }
  });
});

describe('500s in the log', () => {
  it('an unexpected error is logged by type, code and stack; a message that may quote a file name goes to the client only', async () => {
    const lines: string[] = [];
    const app = await buildApp(t.server.services, { logger: { level: 'info', stream: { write: (l: string) => void lines.push(l) } } });
    const name = 'Quixby-Doe^Johanna 1957-03-02.dcm';
    app.get('/api/test-core', { config: { access: 'public' } }, async () => {
      throw new ScanError('ANONYMISE_FAILED', 'could not rewrite the dataset', { kind: 'internal', file: name });
    });
    app.get('/api/test-plain', { config: { access: 'public' } }, async () => {
      throw new Error(`${name}: something unexpected`);
    });
    app.get('/api/test-engine', { config: { access: 'public' } }, async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'rows')");
    });
    try {
      const core = await app.inject({ method: 'GET', url: '/api/test-core' });
      expect(core.statusCode).toBe(500);
      expect((core.json() as ErrorBody).error.message).toContain(name);
      const plain = await app.inject({ method: 'GET', url: '/api/test-plain' });
      expect(plain.statusCode).toBe(500);
      expect((plain.json() as ErrorBody).error.code).toBe('INTERNAL');
      expect((await app.inject({ method: 'GET', url: '/api/test-engine' })).statusCode).toBe(500);
      type Line = { level: number; err: { type: string; code?: string; detail?: string; stack: string } };
      const errors = lines.map((l) => JSON.parse(l) as Line);
      const logged = errors.filter((l) => l.level === 50).map((l) => l.err);
      expect(logged.map((e) => e.type)).toEqual(['ScanError', 'Error', 'TypeError']);
      expect(logged[0]!.code).toBe('ANONYMISE_FAILED');
      expect(logged[0]!.stack).toMatch(/security\.spec\.ts/);
      expect(logged[2]!.detail).toMatch(/reading 'rows'/);
      expect(lines.join('')).not.toContain('Quixby');
    } finally {
      await app.close();
    }
  });
});

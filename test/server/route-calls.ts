/**
 * Calls of every route in the app's route table (app.routeTable), for security.spec.ts: a
 * valid body per route that takes one (a route must pass its own validation to show what
 * its access checks decide), its URL filled with a fixture id, and one resource of an org
 * per scope kind to fill it with. Also the routes Fastify serves, read from printRoutes, so
 * the spec can tell a route that declares no access. Kept apart so the spec holds its tests.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { createAnonymiser, PRINT_CATALOGUE } from '@scan2print/core';
import { scopeParam, type RouteInfo } from '../../packages/server/src/http/route.js';
import { appendAudit } from '../../packages/server/src/audit/index.js';
import type { TestOrg, TestServer } from './harness.js';
import { formOf, seriesFiles } from './dicom-files.js';
import { tusClient } from './tus-client.js';

export type Scope = NonNullable<RouteInfo['scopedBy']>;
export const ORG_ROLES = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
export const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** 'METHOD /path': how the spec names a route, and how BODIES is keyed. */
export const key = (r: RouteInfo) => `${r.method} ${r.url}`;

/** 'METHOD /path' for every route in Fastify's printRoutes tree (HEAD left out: Fastify adds it to each GET). */
export function servedRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.+?)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((x) => x.trim())) if (method && method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

/**
 * BODIES: a valid body for each route that takes one, by key(r). `next` numbers the names
 * and e-mails that must not repeat on one server; `fixtures` is read at call time (the ids
 * exist only once the spec's beforeAll has run).
 */
function validBodies(fixtures: () => Record<Scope, string>, next: () => number): Record<string, () => unknown> {
  return {
    'POST /api/orgs': () => ({ name: `security org ${next()}` }),
    'PATCH /api/orgs/:orgId': () => ({ serverAnonymise: false }),
    'POST /api/orgs/:orgId/users': () => ({ email: `made.${next()}@example.org`, role: 'reviewer', password: 'a long enough password' }),
    'POST /api/users/:id/tokens': () => ({ name: 'security spec' }),
    // The requester fixture stays a requester (the admin's call); an org-admin on itself is refused (409 OWN_ROLE).
    'PATCH /api/users/:id': () => ({ role: 'requester' }),
    'POST /api/session': () => ({ email: 'nobody@example.org', password: 'wrong password here' }),
    'POST /api/cases': () => ({ purpose: 'security spec', anatomy: 'skull' }),
    'POST /api/cases/:id/comments': () => ({ body: 'security spec' }),
    'POST /api/cases/:id/jobs': () => ({ kind: 'convert' }),
    'POST /api/cases/:id/reviews': () => ({ decision: 'request-changes' }),
    'PUT /api/cases/:id/assignee': () => ({ userId: null }),
    // From the fixture's state (draft) no case goes to delivered, and the model gate is signed by approving: 409 for every role.
    'POST /api/cases/:id/transitions': () => ({ to: 'delivered' }),
    'POST /api/cases/:id/gates': () => ({ gate: 'model' }),
    // Print management: the fixture case is a draft (quote and print job: 409 NOT_APPROVED); a second edit from version 0 is 409 STALE.
    'PUT /api/print/catalogue': () => ({ catalogue: PRINT_CATALOGUE, baseVersion: 0 }),
    'POST /api/cases/:id/quote': () => ({ printer: 'prusa-mk4', material: 'pla' }),
    'POST /api/print/printers': () => ({ catalogueId: 'prusa-mk4', name: `security printer ${next()}` }),
    'POST /api/print/printers/:id/status': () => ({ status: 'down', note: 'security spec' }),
    'POST /api/print/jobs': () => ({ caseId: fixtures().case, printer: 'prusa-mk4', material: 'pla' }),
  };
}

export interface RouteCall {
  status: number;
  text: string;
  /** The error code of a JSON error answer. */
  code: string | undefined;
}

/**
 * Route calls against the spec's server with its fixture ids. Both come as getters: the spec
 * makes this at module level, its beforeAll starts the server and seeds the fixtures. The
 * counter lives here, not at module level: the spec shares its process and modules with
 * others (test/shared-module-specs.ts).
 */
export function routeCaller(server: () => TestServer, fixtures: () => Record<Scope, string>) {
  let unique = 0;
  /** A number no earlier call gave, for names and e-mails that must not repeat. */
  const nextUnique = () => ++unique;
  const BODIES = validBodies(fixtures, nextUnique);
  /** A user's token for the routes naming one (:tokenId), by user id; others get an id no token has. */
  const tokenIds = new Map<string, string>();
  const NO_TOKEN = '00000000-0000-4000-8000-000000000000';

  /** The route's URL with its scoped parameter set to `id`; any other parameter is a route this module does not know yet. */
  function urlOf(r: RouteInfo, id: string | undefined): string {
    return r.url.replace(/:(\w+)/g, (_, name: string) => {
      if (r.scopedBy && name === scopeParam(r.url, r.scopedBy) && id) return id;
      // A second id (a model version of the case): A's job; the scoped id decides the answer.
      if (name === 'jobId' && r.scopedBy === 'case') return fixtures().job;
      if (name === 'tokenId' && r.scopedBy === 'user') return tokenIds.get(id ?? '') ?? NO_TOKEN;
      throw new Error(`${key(r)}: no value for :${name} (extend urlOf in test/server/route-calls.ts)`);
    });
  }

  /** False (and a problem noted) for a route whose URL this module cannot fill: an id parameter without scopedBy. */
  function covered(r: RouteInfo, problems: string[]): boolean {
    try {
      urlOf(r, r.scopedBy ? fixtures()[r.scopedBy] : undefined);
      return true;
    } catch (e) {
      problems.push((e as Error).message);
      return false;
    }
  }

  async function callRoute(r: RouteInfo, auth: { token?: string; headers?: Record<string, string> }, id?: string): Promise<RouteCall> {
    const make = BODIES[key(r)];
    const body = make ? make() : UNSAFE.has(r.method) && r.method !== 'DELETE' ? {} : undefined;
    const res = await server().call(auth.token, r.method, urlOf(r, id), body, auth.headers);
    // A live event stream (a queued job's events) does not end: its status is the answer.
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel();
      return { status: res.status, text: '', code: undefined };
    }
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { status: res.status, text, code };
  }

  /** The token the next call to a :tokenId route on `userId` names. */
  const useToken = (userId: string, tokenId: string) => tokenIds.set(userId, tokenId);
  return { urlOf, covered, callRoute, nextUnique, useToken };
}

/** A resumable upload (tus creation) by the org's requester in one of its cases; its id. */
export async function newUpload(t: TestServer, org: TestOrg, caseId: string): Promise<string> {
  const res = await tusClient(t).create(org.tokens.requester, caseId, 'slice.dcm', 1000);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.headers.get('location')!.split('/').pop()!;
}

/**
 * One resource of `org` per scope kind, each holding `mark` where it holds text (so an answer
 * to another org can be searched for it): a case with two anonymised files of `series`, a
 * job, a comment, an artifact, a model code, a notification per user, a printer, an upload.
 * `fixtures` is a Record: a new scope kind does not compile until it has one here.
 */
export async function seedScopeFixtures(
  t: TestServer,
  org: TestOrg,
  mark: string,
  series: string,
): Promise<{ fixtures: Record<Scope, string>; notificationOf: Record<OrgRole, string> }> {
  const caseId = (await t.json(org.tokens.requester, 'POST', '/api/cases', { purpose: mark, anatomy: 'skull', notes: mark })).id;
  const anonymiser = createAnonymiser('security spec key 0123456789');
  const files = [];
  for (const f of seriesFiles(series).slice(0, 2)) files.push({ name: f.name, bytes: (await anonymiser.anonymise(f.bytes, f.name)).bytes });
  await t.json(org.tokens.requester, 'POST', `/api/cases/${caseId}/files`, formOf(files));
  const jobId = (await t.json(org.tokens.engineer, 'POST', `/api/cases/${caseId}/jobs`, { kind: 'convert' })).id;
  await t.json(org.tokens.reviewer, 'POST', `/api/cases/${caseId}/comments`, { body: mark });
  // An artifact as a finished job leaves one (running convert here would only add minutes).
  const artifactId = randomUUID();
  const bytes = new TextEncoder().encode(`solid ${mark}\nendsolid\n`);
  const key = `jobs/${jobId}/1/bone.stl`;
  await t.server.services.store.put(key, bytes);
  await t.server.services.db
    .insertInto('artifacts')
    .values({
      id: artifactId,
      org_id: org.id,
      case_id: caseId,
      job_id: jobId,
      kind: 'model',
      name: 'bone.stl',
      object_key: key,
      media_type: 'model/stl',
      sha256: '0'.repeat(64),
      bytes: bytes.length,
    })
    .execute();
  // A model code as an approval leaves one, with its audit entry, for the artifact above.
  const code = 'SECA2345';
  const issued = await appendAudit(t.server.services, t.server.services.db, {
    action: 'model-code-issued',
    actor: null,
    orgId: org.id,
    caseId,
    details: { code, jobId, sha256: '0'.repeat(64) },
  });
  await t.server.services.db
    .insertInto('model_codes')
    .values({ code, org_id: org.id, case_id: caseId, job_id: jobId, sha256: '0'.repeat(64), audit_seq: issued.seq })
    .execute();
  // A notification for each of the org's users, as a transition leaves them.
  const notificationOf = {} as Record<OrgRole, string>;
  for (const role of ORG_ROLES) {
    notificationOf[role] = randomUUID();
    await t.server.services.db
      .insertInto('notifications')
      .values({ id: notificationOf[role], org_id: org.id, user_id: org.users[role], case_id: caseId, kind: 'transition', title: mark, body: mark })
      .execute();
  }
  // A printer (machine) of the org's lab, as the org-admin adds one.
  const printer = (await t.json(org.tokens['org-admin'], 'POST', '/api/print/printers', { catalogueId: 'prusa-mk4', name: mark })).id as string;
  const fixtures: Record<Scope, string> = {
    case: caseId,
    job: jobId,
    artifact: artifactId,
    org: org.id,
    user: org.users.requester,
    upload: await newUpload(t, org, caseId),
    code,
    notification: notificationOf.requester,
    printer,
  };
  return { fixtures, notificationOf };
}

/**
 * A new user of `org` with a password (made by its org-admin), logged in by cookie: the
 * cookie, the CSRF token and the Set-Cookie line. `n` keeps its e-mail one of a kind.
 */
export async function cookieLogin(t: TestServer, org: TestOrg, role: OrgRole, n: number) {
  const email = `cookie.${n}@example.org`;
  const password = 'a long enough password';
  await t.json(org.tokens['org-admin'], 'POST', `/api/orgs/${org.id}/users`, { email, role, password });
  const res = await t.call(undefined, 'POST', '/api/session', { email, password });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie')!;
  return { cookie: setCookie.split(';')[0]!, csrf: ((await res.json()) as { csrfToken: string }).csrfToken, setCookie, email, password };
}

/**
 * One way to declare a route: method, URL, zod schemas and who may call it. The list of
 * declared routes is kept (routeTable) so the tests generate their cross-organisation
 * and role checks from it, instead of a hand-kept list that would drift.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';
import type { Principal } from '../auth/principal.js';
import { HttpError, notFound } from './errors.js';

/** 'public': no login; 'any': any logged-in user; else the roles allowed. */
export type Access = 'public' | 'any' | readonly Role[];

export interface RouteInfo {
  method: string;
  url: string;
  access: Access;
  /**
   * The route reads or writes one organisation's data through this URL parameter (`:id`, else
   * `:<scope>Id`). Checked before anything else (enforceScope): another organisation's is a 404.
   */
  scopedBy?: 'case' | 'job' | 'artifact' | 'org' | 'user' | 'upload' | 'code' | 'notification' | 'printer';
}

/** The organisation owning a scoped resource, undefined when there is none (for resources not in the database). */
export type OwnerOf = (id: string) => string | null | undefined | Promise<string | null | undefined>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    access?: Access;
    scopedBy?: RouteInfo['scopedBy'];
    /** For a scope kept outside the database (resumable uploads): who owns this id. */
    ownerOf?: OwnerOf;
  }
}

export type Api = ReturnType<FastifyInstance['withTypeProvider']> & FastifyInstance;

export function api(app: FastifyInstance) {
  return app.withTypeProvider<ZodTypeProvider>();
}

/** The logged-in caller, or 401. */
export function caller(req: FastifyRequest): Principal {
  if (!req.principal) throw new HttpError(401, 'UNAUTHENTICATED', 'log in (POST /api/session) or send Authorization: Bearer <token>');
  return req.principal;
}

/** preHandler: checks the route's access rule against the caller. */
export async function enforceAccess(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const access = req.routeOptions.config?.access;
  if (access === undefined || access === 'public') return;
  const p = caller(req);
  if (access === 'any') return;
  if (p.role === 'admin' && access.includes('admin')) return;
  if (!access.includes(p.role)) {
    throw new HttpError(403, 'FORBIDDEN', `role ${p.role} may not ${req.method} ${req.routeOptions.url}; allowed: ${access.join(', ')}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Scope = NonNullable<RouteInfo['scopedBy']>;

/** Which organisation a scoped resource belongs to (undefined: no such row); other scopes bring config.ownerOf. */
const OWNER: Partial<Record<Scope, (db: Kysely<Database>, id: string) => Promise<string | null | undefined>>> = {
  case: async (db, id) => (await db.selectFrom('cases').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id,
  job: async (db, id) => (await db.selectFrom('jobs').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id,
  artifact: async (db, id) => (await db.selectFrom('artifacts').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id,
  org: async (db, id) => (await db.selectFrom('orgs').select('id').where('id', '=', id).executeTakeFirst())?.id,
  user: async (db, id) => (await db.selectFrom('users').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id,
};

/** The URL parameter naming a scoped route's resource: `:id`, else `:<scope>Id` (`:orgId`, `:caseId`…). */
export function scopeParam(url: string, scope: Scope): string | undefined {
  const params = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  return params.includes('id') ? 'id' : params.find((p) => p === `${scope}Id`);
}

/**
 * Another organisation's resource is a 404 before anything else is said about it: checked
 * here, once for every route that declares scopedBy, ahead of the role check (so a role
 * that could not act either way still cannot tell whether the id exists) and of the
 * handler's own scoped query (which stays, as a second wall). The installation admin sees
 * every organisation and user; case, job and artifact routes refuse it in the handler.
 */
export async function enforceScope(db: Kysely<Database>, req: FastifyRequest): Promise<void> {
  const cfg = req.routeOptions.config;
  const scope = cfg?.scopedBy;
  if (!scope || !req.principal || req.principal.role === 'admin') return;
  const name = scopeParam(req.routeOptions.url ?? '', scope);
  const id = name ? (req.params as Record<string, string | undefined>)[name] : undefined;
  if (id === undefined) return;
  const fromDb = OWNER[scope];
  // A malformed id is left to the route's schema (400); it names nothing that could exist.
  if (fromDb && !UUID.test(id)) return;
  const owner = cfg.ownerOf ? await cfg.ownerOf(id) : fromDb ? await fromDb(db, id) : undefined;
  const mine = scope === 'org' ? owner === req.principal.orgId : owner !== undefined && owner === req.principal.orgId;
  if (!owner || !mine) throw notFound(scope === 'org' ? 'organisation' : scope);
}

/** preValidation hook: who is calling (401), whose data (404), then which role (403), before the body is even validated. */
export function accessHook(db: Kysely<Database>) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const access = req.routeOptions.config?.access;
    if (access !== undefined && access !== 'public') caller(req);
    await enforceScope(db, req);
    await enforceAccess(req, reply);
  };
}

export function collectRoutes(app: FastifyInstance, table: RouteInfo[]): void {
  app.addHook('onRoute', (r: RouteOptions) => {
    const cfg = r.config as { access?: Access; scopedBy?: RouteInfo['scopedBy']; ownerOf?: OwnerOf } | undefined;
    if (!r.url.startsWith('/api/') || cfg?.access === undefined) return;
    if (cfg.scopedBy && !OWNER[cfg.scopedBy] && !cfg.ownerOf) throw new Error(`${r.url}: scopedBy ${cfg.scopedBy} needs config.ownerOf`);
    if (cfg.scopedBy && !scopeParam(r.url, cfg.scopedBy)) {
      throw new Error(`${r.url}: scopedBy ${cfg.scopedBy} but no :id or :${cfg.scopedBy}Id parameter`);
    }
    for (const m of [r.method].flat()) {
      if (m === 'HEAD') continue;
      table.push({ method: m, url: r.url, access: cfg.access, ...(cfg.scopedBy ? { scopedBy: cfg.scopedBy } : {}) });
    }
  });
}

/**
 * Routes: DICOMweb STOW-RS receive at /dicom-web/studies (issue 15), and the PACS routing
 * table and received studies under /api/pacs/ (org-admin for their organisation, admin for
 * all). A STOW-RS sender authenticates with the token of its route (Authorization: Bearer),
 * not a user's: it is a machine that may only store into one organisation.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { convertJobSettings, convertParamsSchema } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { HttpError, badRequest, errorResponse, notFound } from '../http/errors.js';
import { multipartLimit } from '../config.js';
import type { Services } from '../context.js';
import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../audit/index.js';
import { closePacsReceiver, pacsReceiver } from '../pacs/receive-service.js';
import { isValidAe, newStowToken, normaliseAe, routeForStowToken, type PacsRoute } from '../pacs/routing.js';
import { PACS_ROUTE_CHANGED } from '../pacs/receive-study.js';
import { boundaryOf, multipartParts, sopOf, STOW_FAILURE, stowResponse } from '../pacs/receive-stow.js';

const MANAGERS = ['admin', 'org-admin'] as const;

const routeBody = z
  .object({
    /** The installation admin names the organisation; an org-admin's is their own. */
    orgId: z.uuid().optional(),
    callingAe: z.string().max(64).optional(),
    calledAe: z.string().max(64).optional(),
    /** Make a STOW-RS token for this route (shown once in the answer). */
    stowToken: z.boolean().optional(),
    autoConvert: z.boolean().optional(),
    convertParams: convertParamsSchema.optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

function routeJson(r: PacsRoute) {
  return {
    id: r.id,
    orgId: r.org_id,
    callingAe: r.calling_ae,
    calledAe: r.called_ae,
    stowToken: r.stow_token_hash !== null,
    autoConvert: r.auto_convert,
    convertParams: r.convert_params ?? null,
    description: r.description,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** The organisation a manager acts on: an org-admin's own; the admin's must be named. */
function orgFor(p: Principal, orgId: string | undefined): string {
  if (p.role === 'admin') {
    if (!orgId) throw badRequest('ORG_REQUIRED', 'the installation admin names the organisation (orgId)');
    return orgId;
  }
  if (orgId && orgId !== p.orgId) throw notFound('organisation');
  return p.orgId!;
}

export function dicomwebRoutes(app: FastifyInstance, s: Services): void {
  // The receiver (its pending studies and timers) ends with the app, however the app was started.
  app.addHook('onClose', async () => closePacsReceiver(s));
  stowRoutes(app, s);
  adminRoutes(app, s);
}

/**
 * The route of a STOW-RS request's token, or the 401 it is answered with. Run as an
 * onRequest hook, before Fastify reads the body: a caller without a valid token must not
 * make us buffer (up to the upload limit) what we would refuse anyway.
 */
async function stowCaller(s: Services, log: FastifyBaseLogger, req: FastifyRequest): Promise<PacsRoute> {
  const remote = req.ip;
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const route = m ? await routeForStowToken(s.db, m[1]!) : undefined;
  if (route) return route;
  const reason = m ? 'unknown STOW-RS token' : 'no STOW-RS token (Authorization: Bearer)';
  req.log.warn({ remote }, `STOW-RS refused: ${reason}`);
  await pacsReceiver(s, log).recordRefusal({ orgId: null, routeId: null, via: 'stow-rs', callingAe: null, calledAe: null, remoteAddress: remote, reason });
  throw new HttpError(401, 'UNAUTHENTICATED', `${reason}: ask the organisation's admin for the token of a PACS route`);
}

function stowRoutes(app: FastifyInstance, s: Services): void {
  void app.register(async (sub) => {
    sub.addContentTypeParser(/^multipart\/related/i, { parseAs: 'buffer', bodyLimit: multipartLimit(s.config) }, (_req, body, done) => done(null, body));
    // The sender's route, found by the onRequest hook (the handler runs only for a request that has one).
    const routes = new WeakMap<FastifyRequest, PacsRoute>();
    sub.addHook('onRequest', async (req, reply) => {
      try {
        routes.set(req, await stowCaller(s, sub.log, req));
        // Not multipart/related: refused before its body is read too.
        boundaryOf(req.headers['content-type']);
      } catch (e) {
        // The server's own failure (database down) goes to the error handler, which logs it.
        if (!(e instanceof HttpError)) throw e;
        const { status, body } = errorResponse(e);
        // The body is left unread: the connection closes after the answer instead of reading it to reuse the connection.
        return reply.code(status).header('connection', 'close').send(body);
      }
    });
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const receiver = pacsReceiver(s, sub.log);
      const remote = req.ip;
      const route = routes.get(req);
      if (!route) throw new Error('STOW-RS handler without the route its onRequest hook found');
      const boundary = boundaryOf(req.headers['content-type']);
      const body = req.body;
      if (!Buffer.isBuffer(body)) throw new HttpError(400, 'NO_BODY', 'the request holds no multipart body');
      const parts = multipartParts(body, boundary);
      const ok: { classUid: string | null; instanceUid: string | null }[] = [];
      const failed: { classUid: string | null; instanceUid: string | null; reason: number }[] = [];
      const reasons: string[] = [];
      const studies = new Set<string>();
      const source = { route, via: 'stow-rs' as const, callingAe: null, calledAe: null, remoteAddress: remote };
      // POST …/studies/{study}: every instance must be of that study (PS3.18 10.5), the others are refused.
      const target = (req.params as { study?: string }).study?.trim();
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        const { studyUid, ...sop } = sopOf(part.bytes);
        if (part.contentType !== 'application/dicom') {
          failed.push({ ...sop, reason: STOW_FAILURE.sopClassNotSupported });
          if (reasons.length < 5) reasons.push(`part ${i + 1}: ${part.contentType} is not application/dicom`);
          continue;
        }
        if (target && studyUid !== target) {
          failed.push({ ...sop, reason: STOW_FAILURE.otherStudy });
          // The part's own Study Instance UID may identify: the reason names the part only.
          if (reasons.length < 5) reasons.push(`part ${i + 1}: not of the study the request names (${studyUid ? 'another Study Instance UID' : 'no Study Instance UID'})`);
          continue;
        }
        const outcome = await receiver.offer(source, part.bytes, `STOW-RS part ${i + 1}`);
        if (outcome.ok) {
          ok.push(sop);
          if (outcome.studyKey) studies.add(outcome.studyKey);
        } else {
          // Another patient's instance of a pending study: counted against that study's reception too.
          if (outcome.studyKey) studies.add(outcome.studyKey);
          // Not stored (our database or store did not answer): a processing failure, worth sending again.
          const reason =
            outcome.code === 'IDENTIFIABLE' ? STOW_FAILURE.refused : outcome.code === 'OTHER_PATIENT' || outcome.code === 'NOT_STORED' ? STOW_FAILURE.processing : STOW_FAILURE.cannotUnderstand;
          failed.push({ ...sop, reason });
          if (reasons.length < 5) reasons.push(`${outcome.code}: ${outcome.message}`);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (failed.length) {
        // Kept in the spool before the sender hears of it: a kill after the answer must not lose it.
        await receiver.assembler.noteRefused(studies, failed.length, reasons);
        if (ok.length === 0) {
          await receiver.recordRefusal({ orgId: route.org_id, routeId: route.id, via: 'stow-rs', callingAe: null, calledAe: null, remoteAddress: remote, reason: reasons[0] ?? 'refused', refusedInstances: failed.length });
        }
      }
      // PS3.18 10.5.3: 200 all stored, 202 some failed, 409 none stored.
      const status = failed.length === 0 ? 200 : ok.length ? 202 : 409;
      return reply.code(status).type('application/dicom+json').send(JSON.stringify(stowResponse(ok, failed)));
    };
    // Outside /api/: DICOMweb clients use these paths as the standard names them; not in the OpenAPI document.
    const opts = { config: { access: 'public' as const }, schema: { hide: true } };
    sub.post('/dicom-web/studies', opts, handler);
    sub.post('/dicom-web/studies/:study', opts, handler);
  });
}

function adminRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.get('/api/pacs/routes', { config: { access: MANAGERS } }, async (req) => {
    const p = caller(req);
    let q = db.selectFrom('pacs_routes').selectAll().orderBy('created_at');
    if (p.role !== 'admin') q = q.where('org_id', '=', p.orgId!);
    return { routes: (await q.execute()).map(routeJson) };
  });

  r.post(
    '/api/pacs/routes',
    {
      config: { access: MANAGERS },
      schema: {
        body: routeBody,
        description:
          'A route: DICOM associations from callingAe (to calledAe, or to the listener\'s own AE title when none) and/or STOW-RS ' +
          'requests with the token made here (stowToken: true; shown once) create cases in the organisation. autoConvert starts ' +
          'a convert with convertParams when a study is complete.',
      },
    },
    async (req, reply) => {
      const p = caller(req);
      const b = req.body;
      const orgId = orgFor(p, b.orgId);
      const org = await db.selectFrom('orgs').select('id').where('id', '=', orgId).executeTakeFirst();
      if (!org) throw notFound('organisation');
      const callingAe = b.callingAe === undefined ? null : normaliseAe(b.callingAe);
      const calledAe = b.calledAe === undefined ? null : normaliseAe(b.calledAe);
      for (const [k, v] of [['callingAe', callingAe], ['calledAe', calledAe]] as const) {
        if (v !== null && !isValidAe(v)) throw badRequest('BAD_AE_TITLE', `${k}: an AE title is 1 to 16 characters without backslash or control characters`);
      }
      if (calledAe !== null && callingAe === null) throw badRequest('NO_CALLING_AE', 'calledAe needs a callingAe');
      if (callingAe === null && !b.stowToken) throw badRequest('NO_ROUTE_KEY', 'give callingAe (DICOM) or stowToken: true (STOW-RS), or both');
      // The CLI's own rules for the parameters (combinations, ranges), checked now rather than when a study arrives.
      if (b.convertParams) convertJobSettings(b.convertParams);
      if (callingAe !== null) {
        let dup = db.selectFrom('pacs_routes').select('id').where('calling_ae', '=', callingAe);
        dup = calledAe === null ? dup.where('called_ae', 'is', null) : dup.where('called_ae', '=', calledAe);
        if (await dup.executeTakeFirst()) throw new HttpError(409, 'EXISTS', `a route for calling AE ${callingAe}${calledAe ? ` → ${calledAe}` : ''} exists`);
      }
      const token = b.stowToken ? newStowToken() : undefined;
      const id = randomUUID();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('pacs_routes')
          .values({
            id,
            org_id: orgId,
            calling_ae: callingAe,
            called_ae: calledAe,
            stow_token_hash: token?.hash ?? null,
            auto_convert: b.autoConvert ?? false,
            convert_params: b.convertParams ? JSON.stringify(b.convertParams) : null,
            description: b.description ?? null,
            created_by: p.userId,
          })
          .execute();
        await appendAudit(s, tx, { action: PACS_ROUTE_CHANGED, actor: p, orgId, details: { routeId: id, op: 'created', callingAe, calledAe, stowToken: !!token, autoConvert: b.autoConvert ?? false } });
      });
      const row = await db.selectFrom('pacs_routes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return reply.code(201).send({ ...routeJson(row), ...(token ? { token: token.token } : {}) });
    },
  );

  // The id in the query, not the path: the route table's scopes are the API's resources (cases, jobs…), and a route is not one.
  r.delete(
    '/api/pacs/routes',
    { config: { access: MANAGERS }, schema: { querystring: z.object({ id: z.uuid().optional() }) } },
    async (req, reply) => {
      const p = caller(req);
      const id = req.query.id;
      if (!id) throw badRequest('NO_ID', 'name the route: DELETE /api/pacs/routes?id=<route id>');
      const row = await db.selectFrom('pacs_routes').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || (p.role !== 'admin' && row.org_id !== p.orgId)) throw notFound('PACS route');
      await db.transaction().execute(async (tx) => {
        await tx.updateTable('pacs_receptions').set({ route_id: null }).where('route_id', '=', id).execute();
        await tx.deleteFrom('pacs_routes').where('id', '=', id).execute();
        await appendAudit(s, tx, { action: PACS_ROUTE_CHANGED, actor: p, orgId: row.org_id, details: { routeId: id, op: 'deleted', callingAe: row.calling_ae, calledAe: row.called_ae } });
      });
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/pacs/receptions',
    { config: { access: MANAGERS }, schema: { querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }) } },
    async (req) => {
      const p = caller(req);
      let q = db.selectFrom('pacs_receptions').selectAll().orderBy('created_at', 'desc').limit(req.query.limit ?? 100);
      // Refused callers have no organisation: the installation admin sees them.
      if (p.role !== 'admin') q = q.where('org_id', '=', p.orgId!);
      const rows = await q.execute();
      return {
        receptions: rows.map((x) => ({
          id: x.id,
          orgId: x.org_id,
          routeId: x.route_id,
          via: x.via,
          callingAe: x.calling_ae,
          calledAe: x.called_ae,
          remoteAddress: x.remote_address,
          status: x.status,
          instances: x.instances,
          refusedInstances: x.refused_instances,
          caseId: x.case_id,
          jobId: x.job_id,
          error: x.error,
          findings: x.findings,
          createdAt: new Date(x.created_at).toISOString(),
          completedAt: x.completed_at ? new Date(x.completed_at).toISOString() : null,
        })),
      };
    },
  );
}

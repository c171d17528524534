/**
 * Routes: PACS destinations, query/retrieve and send-back (issue 15).
 *
 * A destination is a PACS the organisation talks to: DIMSE (AE title, host, port) or DICOMweb
 * (base URL). Org-admins add and remove them; every member sees the list (to pick one when
 * sending). Members search a destination (C-FIND / QIDO-RS) and import a study or series
 * (C-MOVE to our listener / WADO-RS), and send a case's model version back (C-STORE /
 * STOW-RS). A PACS that fails answers 502 naming it; sends and imports are audited.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Role } from '../db/schema.js';
import { badRequest, HttpError, notFound } from '../http/errors.js';
import { appendAudit } from '../audit/index.js';
import { caseOf } from './scope.js';
import { PACS_DESTINATION_CHANGED, pacsHttpError, sendCase, type PacsDestination } from '../pacs/send-case.js';
import { dicomDateQuery, findSeries, findStudies, retrieve } from '../pacs/query-retrieve.js';

const MEMBERS: readonly Role[] = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'];
/** Importing makes a case: those who may create one. */
const IMPORTERS: readonly Role[] = ['org-admin', 'requester', 'engineer'];
const ADMINS: readonly Role[] = ['org-admin'];

const Id = z.object({ id: z.uuid() });
// AE title: 1-16 characters of the default repertoire, no backslash (PS3.5 6.2).
const aeTitle = z.string().trim().min(1).max(16).regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'AE title: printable ASCII without backslash');
const uid = z.string().trim().min(1).max(64).regex(/^\d+(\.\d+)*$/, 'a DICOM UID: digits and dots');
// name and kind are checked in the handler: a body missing them gets its own code (NO_NAME, NEEDS_FIELD), past the role check.
const destinationBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    kind: z.enum(['dimse', 'dicomweb']).optional(),
    aeTitle: aeTitle.optional(),
    host: z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address').optional(),
    port: z.number().int().min(1).max(65535).optional(),
    dicomwebUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  })
  .strict();
const deleteQuery = z.object({ id: z.uuid().optional() }).strict();
const sendBody = z.object({ destinationId: z.uuid().optional(), jobId: z.uuid().optional(), attach3mf: z.boolean().optional() }).strict();
const queryQuery = z
  .object({
    destinationId: z.uuid().optional(),
    accession: z.string().trim().min(1).max(64).regex(/^[^\\*?]+$/, 'an accession number (no wildcards)').optional(),
    date: z.string().trim().min(1).max(40).optional(),
    studyUid: uid.optional(),
  })
  .strict();
const retrieveBody = z.object({ destinationId: z.uuid().optional(), studyUid: uid.optional(), seriesUid: uid.optional(), wait: z.boolean().optional() }).strict();

const view = (d: PacsDestination) => ({
  id: d.id,
  name: d.name,
  kind: d.kind,
  aeTitle: d.ae_title,
  host: d.host,
  port: d.port,
  dicomwebUrl: d.dicomweb_url,
  createdAt: d.created_at,
});

/** A required field, checked in the handler so its absence is named by its own code. */
function need<T>(v: T | undefined, code: string, message: string): T {
  if (v === undefined) throw badRequest(code, message);
  return v;
}

export function pacsRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  const destinationOf = async (orgId: string, id: string): Promise<PacsDestination> => {
    const d = await db.selectFrom('pacs_destinations').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    if (!d) throw notFound('PACS destination');
    return d;
  };

  r.get('/api/pacs/destinations', { config: { access: MEMBERS } }, async (req) => {
    const rows = await db.selectFrom('pacs_destinations').selectAll().where('org_id', '=', orgOf(caller(req))).orderBy('created_at').orderBy('name').execute();
    return { destinations: rows.map(view) };
  });

  r.post('/api/pacs/destinations', { config: { access: ADMINS }, schema: { body: destinationBody } }, async (req, reply) => {
    const p = caller(req);
    const b = req.body;
    const name = need(b.name, 'NO_NAME', 'name the destination');
    const kind = need(b.kind, 'NO_KIND', "kind: 'dimse' (C-STORE, C-FIND, C-MOVE) or 'dicomweb' (STOW-RS, QIDO-RS, WADO-RS)");
    if (kind === 'dimse') for (const k of ['aeTitle', 'host', 'port'] as const) need(b[k], 'NEEDS_FIELD', `a DIMSE destination needs ${k}`);
    if (kind === 'dicomweb') need(b.dicomwebUrl, 'NEEDS_FIELD', 'a DICOMweb destination needs dicomwebUrl');
    const row = {
      id: randomUUID(),
      org_id: orgOf(p),
      name,
      kind,
      ae_title: kind === 'dimse' ? b.aeTitle! : null,
      host: kind === 'dimse' ? b.host! : null,
      port: kind === 'dimse' ? b.port! : null,
      dicomweb_url: kind === 'dicomweb' ? b.dicomwebUrl!.replace(/\/+$/, '') : null,
    };
    await db.insertInto('pacs_destinations').values(row).execute();
    const d = await destinationOf(row.org_id, row.id);
    await appendAudit(s, db, { action: PACS_DESTINATION_CHANGED, actor: p, orgId: row.org_id, details: { change: 'added', destination: view(d) } });
    return reply.code(201).send(view(d));
  });

  // The id travels as a query parameter: a destination is not one of the scopes a path id may name.
  r.delete('/api/pacs/destinations', { config: { access: ADMINS }, schema: { querystring: deleteQuery } }, async (req, reply) => {
    const p = caller(req);
    const d = await destinationOf(orgOf(p), need(req.query.id, 'NO_ID', 'name the destination: DELETE /api/pacs/destinations?id=<destination id>'));
    const used = await db.selectFrom('pacs_sends').select('id').where('destination_id', '=', d.id).limit(1).executeTakeFirst();
    if (used) throw new HttpError(409, 'DESTINATION_IN_USE', `destination ${d.name} has sends on record (kept for the audit trail); it cannot be removed`);
    await db.deleteFrom('pacs_destinations').where('id', '=', d.id).execute();
    await appendAudit(s, db, { action: PACS_DESTINATION_CHANGED, actor: p, orgId: d.org_id, details: { change: 'removed', destination: view(d) } });
    return reply.code(204).send();
  });

  r.post('/api/cases/:id/pacs-send', { config: { access: MEMBERS, scopedBy: 'case' }, schema: { params: Id, body: sendBody } }, async (req) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const d = await destinationOf(c.org_id, need(req.body.destinationId, 'NO_DESTINATION', 'destinationId: which PACS destination (GET /api/pacs/destinations)'));
    let out;
    try {
      out = await sendCase(s, p, c, d, { ...(req.body.jobId ? { jobId: req.body.jobId } : {}), ...(req.body.attach3mf !== undefined ? { attach3mf: req.body.attach3mf } : {}) });
    } catch (e) {
      throw pacsHttpError(e);
    }
    // Nothing stored: the PACS's failure, recorded (GET …/pacs-sends) and said as a 502. A partial send is a 200 naming what failed.
    if (out.status === 'failed') throw new HttpError(502, 'PACS_SEND_FAILED', `${d.name}: nothing was stored (${out.error ?? 'no reason given'}); send ${out.id}`);
    return out;
  });

  r.get('/api/cases/:id/pacs-sends', { config: { access: MEMBERS, scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const c = await caseOf(db, caller(req), req.params.id);
    const rows = await db
      .selectFrom('pacs_sends')
      .innerJoin('pacs_destinations', 'pacs_destinations.id', 'pacs_sends.destination_id')
      .select(['pacs_sends.id', 'pacs_sends.job_id', 'pacs_sends.destination_id', 'pacs_destinations.name', 'pacs_destinations.kind', 'pacs_sends.status', 'pacs_sends.objects', 'pacs_sends.error', 'pacs_sends.created_at'])
      .where('pacs_sends.case_id', '=', c.id)
      .orderBy('pacs_sends.created_at', 'desc')
      .execute();
    return {
      sends: rows.map((x) => ({ id: x.id, jobId: x.job_id, destinationId: x.destination_id, destination: x.name, via: x.kind === 'dimse' ? 'c-store' : 'stow-rs', status: x.status, objects: x.objects, error: x.error, createdAt: x.created_at })),
    };
  });

  r.get('/api/pacs/query', { config: { access: MEMBERS }, schema: { querystring: queryQuery } }, async (req) => {
    const p = caller(req);
    const q = req.query;
    const d = await destinationOf(orgOf(p), need(q.destinationId, 'NO_DESTINATION', 'destinationId: which PACS destination (GET /api/pacs/destinations)'));
    if (!q.accession && !q.date && !q.studyUid) throw badRequest('NO_QUERY', 'give accession, date (YYYY-MM-DD or FROM..TO) or studyUid');
    try {
      if (q.studyUid) return { destinationId: d.id, level: 'series', series: await findSeries(s, d, q.studyUid) };
      const studies = await findStudies(s, d, { ...(q.accession ? { accession: q.accession } : {}), ...(q.date ? { date: dicomDateQuery(q.date) } : {}) });
      return { destinationId: d.id, level: 'study', studies };
    } catch (e) {
      throw pacsHttpError(e);
    }
  });

  r.post('/api/pacs/retrieve', { config: { access: IMPORTERS }, schema: { body: retrieveBody } }, async (req, reply) => {
    const p = caller(req);
    const b = req.body;
    const orgId = orgOf(p);
    const d = await destinationOf(orgId, need(b.destinationId, 'NO_DESTINATION', 'destinationId: which PACS destination (GET /api/pacs/destinations)'));
    const studyUid = need(b.studyUid, 'NO_STUDY', 'studyUid: the study to import (GET /api/pacs/query)');
    try {
      const out = await retrieve(s, p, orgId, d, studyUid, b.seriesUid, { wait: b.wait ?? true, log: req.log });
      return reply.code(out.caseId ? 201 : 202).send(out);
    } catch (e) {
      throw pacsHttpError(e);
    }
  });
}

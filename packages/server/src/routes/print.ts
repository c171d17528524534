/**
 * Routes: printer/material catalogue, quotes and the print schedule (issue 12).
 *
 * The catalogue is the organisation's, versioned (version 0 = the shipped one); an org-admin
 * edits it from the version they loaded (409 STALE otherwise). A quote is for the case's
 * approved model version only; with printer and/or material "auto" the pair is chosen for the
 * model first (core choosePrint) and the chosen pair quoted and stored as a named one is. Machines are the organisation's printers (each one of the
 * catalogue's printer models), up or down; print jobs are approved models to print
 * (print/job-routes.ts). Every change re-plans the schedule (core planSchedule) and stores the
 * plan; edits are audited.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { isScanError, MATERIAL_NEEDS, TECHNOLOGIES, validateCatalogue, type PrintCatalogue } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Role } from '../db/schema.js';
import { HttpError, notFound } from '../http/errors.js';
import { caseOf } from './scope.js';
import { auditPrint } from '../print/audit.js';
import { catalogueVersions, currentCatalogue, saveCatalogue, StaleCatalogue } from '../print/catalogue-store.js';
import { approvedModel } from '../print/approved-model.js';
import { printJobRoutes, printerOwner } from '../print/job-routes.js';
import { printersOf, replan, storedPlan } from '../print/plan.js';
import { chooseSpecs, clientGone, NoChoice, quoteAndStore, specsOf, type ChosenSpecs } from '../print/quote-file.js';

const MEMBERS: readonly Role[] = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'];
const ADMINS: readonly Role[] = ['org-admin'];
const OPERATORS: readonly Role[] = ['technician', 'org-admin'];

const Id = z.object({ id: z.uuid() });
const catalogueBody = z.object({ catalogue: z.unknown(), baseVersion: z.number().int().min(0) }).strict();
const AUTO = 'auto';
const quoteBody = z
  .object({
    printer: z.string().trim().min(1).max(200).describe('catalogue printer id, or "auto": choose the printer that can print the model soonest (cheapest when the catalogue has prices)'),
    material: z.string().trim().min(1).max(200).describe('catalogue material id the printer uses, or "auto" (with printer "auto": only printers that offer a named material)'),
    supports: z.boolean().optional(),
    needs: z.array(z.enum(MATERIAL_NEEDS)).max(MATERIAL_NEEDS.length).optional().describe('with "auto": what the material must be (the catalogue must say so)'),
    technology: z.enum(TECHNOLOGIES).optional().describe('with "auto": only printers of this technology'),
  })
  .strict();
const printerBody = z.object({ catalogueId: z.string().trim().min(1).max(200), name: z.string().trim().min(1).max(200) }).strict();
const statusBody = z.object({ status: z.enum(['up', 'down']), note: z.string().trim().max(2000).optional() }).strict();
const isUniqueViolation = (e: unknown) => (e as { code?: string } | undefined)?.code === '23505';

export function printRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.get('/api/print/catalogue', { config: { access: 'any' } }, async (req) => {
    return currentCatalogue(db, orgOf(caller(req)));
  });

  r.get('/api/print/catalogue/versions', { config: { access: 'any' } }, async (req) => {
    return { versions: await catalogueVersions(db, orgOf(caller(req))) };
  });

  r.put('/api/print/catalogue', { config: { access: ADMINS }, schema: { body: catalogueBody } }, async (req, reply) => {
    const p = caller(req);
    const orgId = orgOf(p);
    let catalogue: PrintCatalogue;
    try {
      catalogue = validateCatalogue(req.body.catalogue, 'catalogue');
    } catch (e) {
      if (!isScanError(e)) throw e;
      // The field paths as the web app's editor marks them (issues[].path), and in the message.
      const found = (e as { issues?: { path: string; message: string }[] }).issues ?? [];
      const issues = found.map((i) => ({ path: i.path ? `catalogue.${i.path}` : 'catalogue', message: i.message }));
      return reply.code(400).send({ error: { code: 'INVALID_CATALOGUE', message: `catalogue: ${e.message}`, issues } });
    }
    try {
      await db.transaction().execute(async (tx) => {
        const v = await saveCatalogue(tx, orgId, p.userId, catalogue, req.body.baseVersion);
        const entry = await auditPrint(s, tx, {
          action: 'print-catalogue-changed',
          actor: p,
          orgId,
          details: { version: v, baseVersion: req.body.baseVersion, catalogueVersion: catalogue.version, printers: catalogue.printers.length, materials: catalogue.materials.length },
        });
        await tx.updateTable('print_catalogues').set({ audit_seq: entry.seq }).where('org_id', '=', orgId).where('version', '=', v).execute();
        return v;
      });
    } catch (e) {
      // Another edit from the same base committed first (the primary key refused this one).
      const stale = e instanceof StaleCatalogue ? e : isUniqueViolation(e) ? new StaleCatalogue(req.body.baseVersion, null) : undefined;
      if (!stale) throw e;
      const current = (await currentCatalogue(db, orgId)).version;
      return reply.code(409).send({ error: { code: stale.code, message: stale.message, currentVersion: current } });
    }
    await replan(db, orgId);
    return reply.code(201).send(await currentCatalogue(db, orgId));
  });

  r.post('/api/cases/:id/quote', { config: { access: MEMBERS, scopedBy: 'case' }, schema: { params: Id, body: quoteBody } }, async (req, reply) => {
    const p = caller(req);
    const c = await caseOf(db, p, req.params.id);
    const model = await approvedModel(s, c);
    const { catalogue } = await currentCatalogue(db, c.org_id);
    const { printer, material, needs, technology } = req.body;
    const supports = req.body.supports ?? true;
    const auto = printer === AUTO || material === AUTO;
    if (!auto && (needs !== undefined || technology !== undefined)) {
      throw new HttpError(400, 'NOT_AUTO', 'needs and technology apply to an automatic choice: send printer "auto" (or material "auto")');
    }
    let bytes: Uint8Array | undefined;
    let chosen: ChosenSpecs | undefined;
    // The client leaving stops the choice's thread, then the slicing.
    const gone = clientGone(reply);
    if (auto) {
      bytes = await s.store.get(model.objectKey);
      try {
        chosen = await chooseSpecs(catalogue, bytes, model.name, { printer, material, supports, ...(needs ? { needs } : {}), ...(technology ? { technology } : {}) }, gone);
      } catch (e) {
        // Nothing to quote: the client hears why for each pair, and gets the ranking to show it.
        if (e instanceof NoChoice) return reply.code(e.status).send({ error: { code: e.code, message: e.message }, choice: e.choice });
        throw e;
      }
    }
    const spec = chosen?.spec ?? specsOf(catalogue, printer, material);
    const stored = { caseId: c.id, orgId: c.org_id, userId: p.userId, model, spec, supports, ...(chosen ? { choice: chosen.stored } : {}) };
    // Its id is what a print job names (POST /api/print/jobs quoteId): the job's duration is this quote's.
    const { id: quoteId, quote } = await quoteAndStore(s, stored, bytes, gone);
    const quotedAt = new Date().toISOString();
    return { ...quote, quoteId, modelVersionId: model.versionId, quotedAt, ...(chosen ? { choice: chosen.record } : {}) };
  });

  r.get('/api/print/printers', { config: { access: 'any' } }, async (req) => {
    return { printers: await printersOf(db, orgOf(caller(req))) };
  });

  r.post('/api/print/printers', { config: { access: ADMINS }, schema: { body: printerBody } }, async (req, reply) => {
    const p = caller(req);
    const orgId = orgOf(p);
    const { catalogue, version } = await currentCatalogue(db, orgId);
    const spec = catalogue.printers.find((x) => x.id === req.body.catalogueId);
    if (!spec) throw new HttpError(400, 'UNKNOWN_PRINTER', `catalogueId ${req.body.catalogueId}: not a printer of catalogue version ${version} (${catalogue.printers.map((x) => x.id).join(', ')})`);
    const id = randomUUID();
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('printers').values({ id, org_id: orgId, catalogue_id: spec.id, name: req.body.name, created_by: p.userId }).execute();
      await auditPrint(s, tx, { action: 'printer-added', actor: p, orgId, details: { printerId: id, catalogueId: spec.id, name: req.body.name } });
    });
    await replan(db, orgId);
    return reply.code(201).send((await printersOf(db, orgId)).find((x) => x.id === id));
  });

  r.post(
    '/api/print/printers/:id/status',
    {
      // 'printer' is a scope of its own (its owner read here); the cast stands until RouteInfo's list names it.
      config: { access: OPERATORS, scopedBy: 'printer', ownerOf: (id: string) => printerOwner(s, id) },
      schema: { params: Id, body: statusBody },
    },
    async (req) => {
      const p = caller(req);
      const orgId = orgOf(p);
      const row = await db.selectFrom('printers').select(['id', 'status']).where('id', '=', req.params.id).where('org_id', '=', orgId).executeTakeFirst();
      if (!row) throw notFound('printer');
      const now = new Date();
      const { status, note } = req.body;
      await db.transaction().execute(async (tx) => {
        const open = await tx.selectFrom('printer_outages').select('id').where('printer_id', '=', row.id).where('to_at', 'is', null).execute();
        if (status === 'down' && open.length === 0) {
          await tx.insertInto('printer_outages').values({ id: randomUUID(), org_id: orgId, printer_id: row.id, from_at: now, to_at: null, note: note ?? null, created_by: p.userId }).execute();
        }
        if (status === 'up' && open.length > 0) {
          await tx.updateTable('printer_outages').set({ to_at: now }).where('printer_id', '=', row.id).where('to_at', 'is', null).execute();
        }
        await tx.updateTable('printers').set({ status }).where('id', '=', row.id).execute();
        await auditPrint(s, tx, { action: 'printer-status-changed', actor: p, orgId, details: { printerId: row.id, from: row.status, to: status, note: note ?? null } });
      });
      const schedule = await replan(db, orgId, now);
      return { printer: schedule.printers.find((x) => x.id === row.id)!, schedule };
    },
  );

  printJobRoutes(app, s);

  r.get('/api/print/schedule', { config: { access: 'any' } }, async (req) => {
    return storedPlan(db, orgOf(caller(req)));
  });
}

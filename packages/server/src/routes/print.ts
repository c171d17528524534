/**
 * Routes: printer/material catalogue, quotes and the print schedule (issue 12).
 *
 * The catalogue is the organisation's, versioned (version 0 = the shipped one); an org-admin
 * edits it from the version they loaded (409 STALE otherwise). A quote is for the case's
 * approved model version only. Machines are the organisation's printers (each one of the
 * catalogue's printer models), up or down; print jobs are approved models to print. Every
 * change re-plans the schedule (core planSchedule) and stores the plan; edits are audited.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isScanError, ScanError, validateCatalogue, type PrintCatalogue, type Quote } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Role } from '../db/schema.js';
import { HttpError, notFound } from '../http/errors.js';
import { caseOf } from './scope.js';
import { auditPrint } from '../print/audit.js';
import { catalogueVersions, currentCatalogue, saveCatalogue, StaleCatalogue } from '../print/catalogue-store.js';
import { approvedModel, modelParts } from '../print/approved-model.js';
import { dueOf, printersOf, replan, storedPlan } from '../print/plan.js';
import { quoteModel } from '../print/prusa-quote.js';

const MEMBERS: readonly Role[] = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'];
const ADMINS: readonly Role[] = ['org-admin'];
const OPERATORS: readonly Role[] = ['technician', 'org-admin'];

const Id = z.object({ id: z.uuid() });
const catalogueBody = z.object({ catalogue: z.unknown(), baseVersion: z.number().int().min(0) }).strict();
const quoteBody = z.object({ printer: z.string().trim().min(1).max(200), material: z.string().trim().min(1).max(200), supports: z.boolean().optional() }).strict();
const printerBody = z.object({ catalogueId: z.string().trim().min(1).max(200), name: z.string().trim().min(1).max(200) }).strict();
const statusBody = z.object({ status: z.enum(['up', 'down']), note: z.string().trim().max(2000).optional() }).strict();
const jobBody = z
  .object({
    caseId: z.uuid(),
    printer: z.string().trim().min(1).max(200),
    material: z.string().trim().min(1).max(200),
    /** A quote as POST /api/cases/:id/quote gave it; its printTime_s is the job's duration. */
    quote: z.object({ printTime_s: z.number().positive().finite() }).passthrough().optional(),
  })
  .strict();

/** Which organisation a printer (machine) belongs to: the scope check's answer for /api/print/printers/:id/…. */
async function printerOwner(s: Services, id: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  return (await s.db.selectFrom('printers').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id;
}

/** The catalogue's printer and material by id; 400 naming what is wrong. */
function specsOf(cat: PrintCatalogue, printerId: string, materialId: string) {
  const printer = cat.printers.find((p) => p.id === printerId);
  if (!printer) throw new HttpError(400, 'UNKNOWN_PRINTER', `printer ${printerId}: not in the catalogue (${cat.printers.map((p) => p.id).join(', ')})`);
  const material = cat.materials.find((m) => m.id === materialId);
  if (!material) throw new HttpError(400, 'UNKNOWN_MATERIAL', `material ${materialId}: not in the catalogue (${cat.materials.map((m) => m.id).join(', ')})`);
  if (!printer.materials.includes(material.id)) {
    throw new HttpError(400, 'MATERIAL_NOT_FOR_PRINTER', `material ${materialId}: printer ${printer.id} prints ${printer.materials.join(', ')}`);
  }
  return { printer, material };
}

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
    const { printer, material } = specsOf(catalogue, req.body.printer, req.body.material);
    const supports = req.body.supports ?? true;
    const quote = await quoteFile(s, model, (file, workDir, signal) => quoteModel(file, printer, material, { supports, workDir, signal }), undefined, clientGone(reply));
    const quotedAt = new Date().toISOString();
    await db
      .insertInto('print_quotes')
      .values({ id: randomUUID(), org_id: c.org_id, case_id: c.id, model_version_id: model.versionId, printer: printer.id, material: material.id, supports, quote: JSON.stringify(quote), created_by: p.userId })
      .execute();
    return { ...quote, modelVersionId: model.versionId, quotedAt };
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

  r.post('/api/print/jobs', { config: { access: OPERATORS }, schema: { body: jobBody } }, async (req, reply) => {
    const p = caller(req);
    const orgId = orgOf(p);
    const c = await db.selectFrom('cases').selectAll().where('id', '=', req.body.caseId).where('org_id', '=', orgId).executeTakeFirst();
    if (!c) throw notFound('case');
    const model = await approvedModel(s, c);
    const { catalogue } = await currentCatalogue(db, orgId);
    const { printer, material } = specsOf(catalogue, req.body.printer, req.body.material);
    const bytes = await s.store.get(model.objectKey);
    let parts: ReturnType<typeof modelParts>;
    try {
      parts = modelParts(bytes, model.name);
    } catch (e) {
      if (isScanError(e)) throw new HttpError(409, 'BAD_MODEL', `the approved model ${model.name} could not be read: ${e.message}`);
      throw e;
    }
    // The duration: the quote given, else the latest quote of this version on this printer and material, else one now.
    let quote: Quote | Record<string, unknown> | undefined = req.body.quote;
    if (!quote) {
      const stored = await db
        .selectFrom('print_quotes')
        .select('quote')
        .where('case_id', '=', c.id)
        .where('model_version_id', '=', model.versionId)
        .where('printer', '=', printer.id)
        .where('material', '=', material.id)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      quote = (stored?.quote as Quote | undefined) ?? (await quoteFile(s, model, (file, workDir, signal) => quoteModel(file, printer, material, { supports: true, workDir, signal }), bytes));
    }
    const duration_s = Number((quote as { printTime_s: number }).printTime_s);
    if (!(duration_s > 0)) throw new HttpError(400, 'BAD_QUOTE', `quote.printTime_s: ${String(duration_s)} is not a duration > 0 s`);
    const id = randomUUID();
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('print_jobs')
        .values({ id, org_id: orgId, case_id: c.id, model_version_id: model.versionId, printer: printer.id, material: material.id, duration_s, parts: JSON.stringify(parts), quote: JSON.stringify(quote), created_by: p.userId })
        .execute();
      await auditPrint(s, tx, {
        action: 'print-job-created',
        actor: p,
        orgId,
        caseId: c.id,
        details: { printJobId: id, modelVersionId: model.versionId, sha256: model.sha256, printer: printer.id, material: material.id, duration_s },
      });
    });
    const schedule = await replan(db, orgId);
    return reply.code(201).send({
      id,
      caseId: c.id,
      modelVersionId: model.versionId,
      printer: printer.id,
      material: material.id,
      duration_s,
      due: dueOf(c.due_date),
      parts,
      status: 'queued',
      quote,
      plates: schedule.plates.filter((x) => x.jobIds.includes(id)),
    });
  });

  r.get('/api/print/schedule', { config: { access: 'any' } }, async (req) => {
    return storedPlan(db, orgOf(caller(req)));
  });
}

/** The approved model on disk for the slicer (a temporary folder, removed afterwards). */
/**
 * How long one quote may slice before the slicer is stopped (SCAN2PRINT_SLICE_LIMIT_S, default
 * 600 s; a skull slices in about a minute on 2 idle cores): a stuck or starved PrusaSlicer must
 * not hold a core, and the request, for ever.
 */
export function sliceLimit_ms(): number {
  const s = Number(process.env.SCAN2PRINT_SLICE_LIMIT_S ?? 600);
  return (Number.isFinite(s) && s > 0 ? s : 600) * 1000;
}

/** Aborts when the client goes before its answer is sent (a quote page left): the slicing then stops. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) ac.abort();
  });
  return ac.signal;
}

/**
 * `run` on the model written to a temporary folder, with a signal that stops it at the slice
 * limit (504 SLICE_TIMEOUT) or when `gone` aborts. A refusal names the model, not the
 * temporary file, and gives advice a web user can follow.
 */
async function quoteFile<T>(
  s: Services,
  model: { objectKey: string; name: string },
  run: (file: string, workDir: string, signal: AbortSignal) => Promise<T>,
  bytes?: Uint8Array,
  gone?: AbortSignal,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 's2p-quote-'));
  const limit = sliceLimit_ms();
  const timer = AbortSignal.timeout(limit);
  try {
    const file = join(dir, model.name.replace(/[^\w.-]/g, '_'));
    await writeFile(file, bytes ?? (await s.store.get(model.objectKey)));
    try {
      return await run(file, dir, gone ? AbortSignal.any([gone, timer]) : timer);
    } catch (e) {
      if (timer.aborted && !gone?.aborted) {
        throw new HttpError(504, 'SLICE_TIMEOUT', `PrusaSlicer did not finish ${model.name} within ${limit / 1000} s and was stopped; try again when the server is less busy`);
      }
      if (!isScanError(e)) throw e;
      const message = e.message
        .split(file)
        .join(model.name)
        .replace('split it first (scan2print prepare)', 'choose a printer with a larger build volume, or split the downloaded model with scan2print prepare');
      throw new ScanError(e.code, message, { kind: e.kind, cause: e });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Routes: print jobs (issue 12). A technician or org-admin queues a case's approved model on a
 * catalogue printer model in a material; its duration is a quote the server made (named by
 * quoteId, else the latest one for that model version, printer and material, else one made
 * now), never a figure the client sends: the schedule is the server's. A quote made before the
 * catalogue's printer or material record changed is stale (quote-basis.ts). A job then lives on a
 * machine: queued → printing (started on one machine, which it holds) → printed | failed.
 * Start, finish and fail are said of the machine (/api/print/printers/:id/start|finish|fail):
 * the technician is at it, and one machine prints one job at a time; without a jobId they act on
 * the next job the plan has there, or on the one printing there. Each change is audited and
 * re-plans, and pokes the event feed: open pages of the job's case (GET /api/events?activity=1,
 * its `case-activity` event counts the case's jobs by state) show it at once.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isScanError, type Quote } from '@scan2print/core';
import { api, caller } from '../http/route.js';
import { orgOf } from '../auth/principal.js';
import type { Services } from '../context.js';
import type { Database, Role } from '../db/schema.js';
import { HttpError, notFound } from '../http/errors.js';
import { auditPrint } from './audit.js';
import { currentCatalogue } from './catalogue-store.js';
import { approvedModel, modelParts, type ApprovedModel } from './approved-model.js';
import { dueOf, replan, storedPlan } from './plan.js';
import { quoteAndStore, specsOf } from './quote-file.js';
import { entryHash, staleQuoteError } from './quote-basis.js';
import { caseStateNow } from '../workflow/closed.js';
import { caseChanged } from '../routes/events.js';

const OPERATORS: readonly Role[] = ['technician', 'org-admin'];

const Id = z.object({ id: z.uuid() });
const MEMBERS: readonly Role[] = ['org-admin', 'requester', 'engineer', 'reviewer', 'technician'];
const jobBody = z
  .object({
    caseId: z.uuid(),
    printer: z.string().trim().min(1).max(200),
    material: z.string().trim().min(1).max(200),
    /** A quote the server made (POST /api/cases/:id/quote answers its quoteId) for this case's approved version, printer and material. */
    quoteId: z.uuid().optional(),
    /** Refused when present: kept in the schema so the refusal can say what to send instead. */
    quote: z.unknown().optional(),
  })
  .strict();
/**
 * Start: the job named, or the jobs of one plate (jobIds), else the plate the plan starts next on
 * this machine. Finish and fail: the job named, else every job printing on the machine (its plate).
 */
const startBody = z.object({ jobId: z.uuid().optional(), jobIds: z.array(z.uuid()).min(1).max(100).optional() }).strict().refine((b) => !(b.jobId && b.jobIds), 'give jobId or jobIds, not both');
const finishBody = z.object({ jobId: z.uuid().optional(), note: z.string().trim().max(2000).optional() }).strict();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which organisation a printer (machine) belongs to: the scope check's answer for /api/print/printers/:id/…. */
export async function printerOwner(s: Services, id: string): Promise<string | undefined> {
  if (!UUID.test(id)) return undefined;
  return (await s.db.selectFrom('printers').select('org_id').where('id', '=', id).executeTakeFirst())?.org_id;
}

interface JobQuote {
  id: string;
  quote: Quote;
}

/**
 * The quote a new job takes its duration from: the one named (it must be this organisation's,
 * for this case, its approved model version, this printer and material, made with the
 * catalogue's current records of both: 409 QUOTE_STALE otherwise), else the latest stored for
 * those and current, else one made now and stored like any other.
 */
async function jobQuote(
  s: Services,
  p: { userId: string },
  c: { id: string; org_id: string },
  model: ApprovedModel,
  spec: ReturnType<typeof specsOf>,
  quoteId: string | undefined,
  bytes: Uint8Array,
): Promise<JobQuote> {
  const { db } = s;
  if (quoteId !== undefined) {
    const row = await db.selectFrom('print_quotes').selectAll().where('id', '=', quoteId).where('org_id', '=', c.org_id).executeTakeFirst();
    if (!row) throw new HttpError(400, 'UNKNOWN_QUOTE', `quoteId ${quoteId}: the server made no such quote for this organisation; quote the case first (POST /api/cases/${c.id}/quote)`);
    const wrong = [
      row.case_id !== c.id && `case ${row.case_id}, not ${c.id}`,
      row.model_version_id !== model.versionId && `model version ${row.model_version_id}, not the approved ${model.versionId}`,
      row.printer !== spec.printer.id && `printer ${row.printer}, not ${spec.printer.id}`,
      row.material !== spec.material.id && `material ${row.material}, not ${spec.material.id}`,
    ].filter((x): x is string => typeof x === 'string');
    if (wrong.length > 0) throw new HttpError(409, 'QUOTE_MISMATCH', `quote ${quoteId} was made for ${wrong.join('; ')}: quote this job's case, printer and material again`);
    const stale = staleQuoteError({ id: row.id, caseId: c.id, hash: row.catalogue_hash, entry: row.catalogue_entry }, spec);
    if (stale) throw stale;
    return { id: row.id, quote: row.quote as Quote };
  }
  // Only a quote made with the printer and material as the catalogue has them now.
  const stored = await db
    .selectFrom('print_quotes')
    .select(['id', 'quote'])
    .where('case_id', '=', c.id)
    .where('model_version_id', '=', model.versionId)
    .where('printer', '=', spec.printer.id)
    .where('material', '=', spec.material.id)
    .where('catalogue_hash', '=', entryHash(spec))
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (stored) return { id: stored.id, quote: stored.quote as Quote };
  return quoteAndStore(s, { caseId: c.id, orgId: c.org_id, userId: p.userId, model, spec, supports: true }, bytes);
}

/** The machine named in the URL, this organisation's (404 otherwise, as the scope check says). */
async function machineOf(db: Kysely<Database>, orgId: string, id: string) {
  const row = await db.selectFrom('printers').select(['id', 'name', 'catalogue_id', 'status']).where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!row) throw notFound('printer');
  return row;
}

async function jobOf(db: Kysely<Database>, orgId: string, id: string) {
  const row = await db.selectFrom('print_jobs').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
  if (!row) throw notFound('print job');
  return row;
}

/** The jobs of the plate the stored plan starts first on this machine (not one printing): what "start" means without a jobId. */
async function nextPlanned(db: Kysely<Database>, orgId: string, machine: { id: string; name: string }): Promise<string[]> {
  const plan = await storedPlan(db, orgId);
  const plate = plan.plates.filter((p) => p.printerId === machine.id && !p.running).sort((a, b) => a.start.localeCompare(b.start))[0];
  if (!plate) throw new HttpError(409, 'NOTHING_PLANNED', `no queued job is planned on ${machine.name}: name one (jobId)`);
  return plate.jobIds;
}

/** The jobs printing on this machine (its plate): what "finish" and "fail" mean without a jobId. */
async function printingOn(db: Kysely<Database>, machine: { id: string; name: string }): Promise<string[]> {
  const rows = await db.selectFrom('print_jobs').select('id').where('printer_id', '=', machine.id).where('status', '=', 'printing').orderBy('id').execute();
  if (rows.length === 0) throw new HttpError(409, 'JOB_NOT_PRINTING', `${machine.name} is printing nothing`);
  return rows.map((r) => r.id);
}

export function printJobRoutes(app: FastifyInstance, s: Services): void {
  const r = api(app);
  const { db } = s;

  r.post('/api/print/jobs', { config: { access: OPERATORS }, schema: { body: jobBody } }, async (req, reply) => {
    const p = caller(req);
    const orgId = orgOf(p);
    const c = await db.selectFrom('cases').selectAll().where('id', '=', req.body.caseId).where('org_id', '=', orgId).executeTakeFirst();
    if (!c) throw notFound('case');
    const model = await approvedModel(s, c);
    if (req.body.quote !== undefined) {
      throw new HttpError(400, 'CLIENT_QUOTE', 'quote: a print job\'s duration comes from a quote the server made; send quoteId (as POST /api/cases/:id/quote answers it), or nothing to use the latest quote');
    }
    const { catalogue } = await currentCatalogue(db, orgId);
    const spec = specsOf(catalogue, req.body.printer, req.body.material);
    const { printer, material } = spec;
    const bytes = await s.store.get(model.objectKey);
    let parts: ReturnType<typeof modelParts>;
    try {
      parts = modelParts(bytes, model.name);
    } catch (e) {
      if (isScanError(e)) throw new HttpError(409, 'BAD_MODEL', `the approved model ${model.name} could not be read: ${e.message}`);
      throw e;
    }
    const q = await jobQuote(s, p, c, model, spec, req.body.quoteId, bytes);
    const duration_s = Number(q.quote.printTime_s);
    if (!(duration_s > 0 && Number.isFinite(duration_s))) throw new HttpError(409, 'BAD_QUOTE', `quote ${q.id}: printTime_s ${String(q.quote.printTime_s)} is not a duration > 0 s; quote again`);
    const id = randomUUID();
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('print_jobs')
        .values({
          id, org_id: orgId, case_id: c.id, model_version_id: model.versionId, printer: printer.id, material: material.id, duration_s,
          parts: JSON.stringify(parts), quote: JSON.stringify(q.quote), quote_id: q.id, created_by: p.userId,
        })
        .execute();
      await auditPrint(s, tx, {
        action: 'print-job-created',
        actor: p,
        orgId,
        caseId: c.id,
        details: { printJobId: id, modelVersionId: model.versionId, sha256: model.sha256, printer: printer.id, material: material.id, duration_s, quoteId: q.id },
      });
    });
    caseChanged(db, orgId);
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
      quoteId: q.id,
      quote: q.quote,
      plates: schedule.plates.filter((x) => x.jobIds.includes(id)),
    });
  });

  const onPrinter = { access: OPERATORS, scopedBy: 'printer' as const, ownerOf: (id: string) => printerOwner(s, id) };

  r.post('/api/print/printers/:id/start', { config: onPrinter, schema: { params: Id, body: startBody } }, async (req) => {
    const p = caller(req);
    const orgId = orgOf(p);
    const now = new Date();
    const machine = await machineOf(db, orgId, req.params.id);
    // One plate at a time on a machine: the jobs named, else the plate the plan starts next there
    // (parts of one material share a plate, so its jobs start together).
    const ids = req.body.jobIds ?? (req.body.jobId ? [req.body.jobId] : await nextPlanned(db, orgId, machine));
    const jobs = await Promise.all([...new Set(ids)].map((id) => jobOf(db, orgId, id)));
    for (const job of jobs) {
      if (job.status !== 'queued') throw new HttpError(409, 'JOB_NOT_QUEUED', `print job ${job.id} is ${job.status}: only a queued job starts`);
      if (job.printer !== machine.catalogue_id) {
        throw new HttpError(409, 'WRONG_PRINTER', `print job ${job.id} is for a ${job.printer}; ${machine.name} is a ${machine.catalogue_id}`);
      }
    }
    if (machine.status === 'down') throw new HttpError(409, 'PRINTER_DOWN', `${machine.name} is down: mark it up before starting a job on it`);
    await db.transaction().execute(async (tx) => {
      // The machine row's lock orders two starts on one machine: the second sees the first's plate.
      await tx.selectFrom('printers').select('id').where('id', '=', machine.id).forUpdate().execute();
      const other = await tx.selectFrom('print_jobs').select('id').where('printer_id', '=', machine.id).where('status', '=', 'printing').executeTakeFirst();
      if (other) throw new HttpError(409, 'PRINTER_BUSY', `${machine.name} is printing job ${other.id}: it is finished or failed first`);
      for (const job of jobs) {
        // The case row's lock, as a transition takes it: no start beside a move out of printing.
        await refuseUnlessPrinting(tx, job.case_id);
        const moved = await tx
          .updateTable('print_jobs')
          .set({ status: 'printing', printer_id: machine.id, started_at: now })
          .where('id', '=', job.id)
          .where('status', '=', 'queued')
          .returning('id')
          .execute();
        if (moved.length === 0) throw new HttpError(409, 'JOB_NOT_QUEUED', `print job ${job.id} is no longer queued`);
        const details = { printJobId: job.id, printerId: machine.id, printerName: machine.name, plate: jobs.map((j) => j.id) };
        await auditPrint(s, tx, { action: 'print-job-started', actor: p, orgId, caseId: job.case_id, details });
      }
    });
    caseChanged(db, orgId);
    const schedule = await replan(db, orgId, now);
    const started = jobs.map((job) => ({ id: job.id, caseId: job.case_id, status: 'printing', printerId: machine.id, startedAt: now.toISOString() }));
    return { job: started[0]!, jobs: started, schedule };
  });

  const finished = (outcome: 'printed' | 'failed') => async (req: FastifyRequest<{ Params: { id: string }; Body: z.infer<typeof finishBody> }>) => {
    const p = caller(req);
    const orgId = orgOf(p);
    const now = new Date();
    const machine = await machineOf(db, orgId, req.params.id);
    const jobs = await Promise.all((req.body.jobId ? [req.body.jobId] : await printingOn(db, machine)).map((id) => jobOf(db, orgId, id)));
    for (const job of jobs) {
      if (job.status !== 'printing' || job.printer_id !== machine.id) {
        const where = job.status === 'printing' ? `printing on another printer` : job.status;
        throw new HttpError(409, 'JOB_NOT_PRINTING', `print job ${job.id} is ${where}, not printing on ${machine.name}: only a job printing there is finished there`);
      }
    }
    const note = req.body.note || null;
    await db.transaction().execute(async (tx) => {
      for (const job of jobs) {
        const moved = await tx
          .updateTable('print_jobs')
          .set({ status: outcome, finished_at: now, note })
          .where('id', '=', job.id)
          .where('status', '=', 'printing')
          .returning('id')
          .execute();
        if (moved.length === 0) throw new HttpError(409, 'JOB_NOT_PRINTING', `print job ${job.id} is no longer printing`);
        await auditPrint(s, tx, {
          action: outcome === 'printed' ? 'print-job-printed' : 'print-job-failed',
          actor: p,
          orgId,
          caseId: job.case_id,
          details: { printJobId: job.id, printerId: machine.id, printerName: machine.name, startedAt: new Date(job.started_at!).toISOString(), note },
        });
      }
    });
    caseChanged(db, orgId);
    const schedule = await replan(db, orgId, now);
    const ended = jobs.map((job) => ({ id: job.id, caseId: job.case_id, status: outcome, printerId: machine.id, finishedAt: now.toISOString(), note }));
    return { job: ended[0]!, jobs: ended, schedule };
  };
  r.post('/api/print/printers/:id/finish', { config: onPrinter, schema: { params: Id, body: finishBody } }, finished('printed'));
  r.post('/api/print/printers/:id/fail', { config: onPrinter, schema: { params: Id, body: finishBody } }, finished('failed'));

  r.get('/api/cases/:id/print-jobs', { config: { access: MEMBERS, scopedBy: 'case' }, schema: { params: Id } }, async (req) => {
    const orgId = orgOf(caller(req));
    const rows = await db
      .selectFrom('print_jobs')
      .leftJoin('printers', 'printers.id', 'print_jobs.printer_id')
      .select(['print_jobs.id', 'print_jobs.printer', 'print_jobs.material', 'print_jobs.duration_s', 'print_jobs.status', 'print_jobs.printer_id', 'printers.name as printer_name'])
      .select(['print_jobs.started_at', 'print_jobs.finished_at', 'print_jobs.note', 'print_jobs.created_at'])
      .where('print_jobs.case_id', '=', req.params.id)
      .where('print_jobs.org_id', '=', orgId)
      .orderBy('print_jobs.created_at')
      .orderBy('print_jobs.id')
      .execute();
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return {
      jobs: rows.map((j) => ({
        id: j.id,
        printer: j.printer,
        material: j.material,
        duration_s: j.duration_s,
        status: j.status,
        printerId: j.printer_id,
        printerName: j.printer_name,
        createdAt: iso(j.created_at),
        startedAt: iso(j.started_at),
        finishedAt: iso(j.finished_at),
        note: j.note,
      })),
    };
  });
}

/**
 * A print starts only on a case in state printing, which it reaches when the segmentation,
 * model and print-qc gates are all signed (SPEC §2: every stage gate before a print starts).
 * A job is queued from approval on, to quote and plan; the machine waits for the gates.
 */
async function refuseUnlessPrinting(tx: Kysely<Database>, caseId: string): Promise<void> {
  const c = await caseStateNow(tx, caseId);
  if (c?.status === 'printing') return;
  throw new HttpError(409, 'CASE_NOT_PRINTING', `case ${caseId} is ${c?.status ?? 'gone'}: a print starts once its segmentation, model and print-qc gates are signed and the case is moved to printing ("Start printing")`);
}

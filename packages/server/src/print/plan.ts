/**
 * Re-planning an organisation's print schedule: its machines (with their catalogue printer's
 * build volume and technology, and their outages), its queued print jobs (duration from the
 * quote, due date from the case) and those printing now (each holds its machine), core's
 * planSchedule from now on. The plan is stored
 * (print_plans) and answered as GET /api/print/schedule gives it.
 */
import type { Kysely } from 'kysely';
import { planSchedule, type PrintCatalogue, type SchedJob, type SchedPrinter, type SchedulePlan } from '@scan2print/core';
import type { Database } from '../db/schema.js';
import { currentCatalogue } from './catalogue-store.js';

export interface PrinterView {
  id: string;
  catalogueId: string;
  name: string;
  status: 'up' | 'down';
  outages: { from: string; to: string | null; note: string | null }[];
}

export interface ScheduleView extends SchedulePlan {
  printers: PrinterView[];
  jobs: {
    id: string;
    caseId: string;
    caseTitle: string;
    due: string | null;
    duration_s: number;
    printer: string;
    material: string;
    status: string;
    /** While printing: the machine and since when. */
    printerId: string | null;
    startedAt: string | null;
  }[];
  plannedAt: string;
  catalogueVersion: number;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** A case's due date (a calendar day) as the end of that day, UTC. */
export const dueOf = (d: string | Date | null): string | null => {
  if (d === null) return null;
  const day = typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10);
  return `${day}T23:59:59.000Z`;
};

export async function printersOf(db: Kysely<Database>, orgId: string): Promise<PrinterView[]> {
  const rows = await db.selectFrom('printers').select(['id', 'catalogue_id', 'name', 'status']).where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
  const outages = await db
    .selectFrom('printer_outages')
    .select(['printer_id', 'from_at', 'to_at', 'note'])
    .where('org_id', '=', orgId)
    .orderBy('from_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    catalogueId: r.catalogue_id,
    name: r.name,
    status: r.status,
    outages: outages.filter((o) => o.printer_id === r.id).map((o) => ({ from: iso(o.from_at), to: o.to_at === null ? null : iso(o.to_at), note: o.note })),
  }));
}

/** Plans from `now` and stores the plan; every change to printers, outages, jobs or the catalogue calls this. */
export async function replan(db: Kysely<Database>, orgId: string, now = new Date()): Promise<ScheduleView> {
  const { version, catalogue } = await currentCatalogue(db, orgId);
  const printers = await printersOf(db, orgId);
  const jobs = await db
    .selectFrom('print_jobs')
    .innerJoin('cases', 'cases.id', 'print_jobs.case_id')
    .select([
      'print_jobs.id', 'print_jobs.case_id', 'cases.purpose', 'cases.anatomy', 'cases.due_date', 'duration_s', 'parts', 'printer', 'material',
      'print_jobs.status', 'print_jobs.created_at', 'print_jobs.printer_id', 'print_jobs.started_at',
    ])
    .where('print_jobs.org_id', '=', orgId)
    .where('print_jobs.status', 'in', ['queued', 'printing'])
    .orderBy('print_jobs.created_at')
    .orderBy('print_jobs.id')
    .execute();
  const plan = planSchedule(schedPrinters(printers, catalogue), schedJobs(jobs, printers), now.toISOString());
  const view: ScheduleView = {
    ...plan,
    printers,
    jobs: jobs.map((j) => ({
      id: j.id,
      caseId: j.case_id,
      caseTitle: `${j.anatomy}: ${j.purpose}`,
      due: dueOf(j.due_date),
      duration_s: j.duration_s,
      printer: j.printer,
      material: j.material,
      status: j.status,
      printerId: j.printer_id,
      startedAt: j.started_at === null ? null : iso(j.started_at),
    })),
    plannedAt: now.toISOString(),
    catalogueVersion: version,
  };
  await db
    .insertInto('print_plans')
    .values({ org_id: orgId, plan: JSON.stringify(view), planned_at: now })
    .onConflict((oc) => oc.column('org_id').doUpdateSet({ plan: JSON.stringify(view), planned_at: now }))
    .execute();
  return view;
}

/** The stored plan, or a first one. */
export async function storedPlan(db: Kysely<Database>, orgId: string): Promise<ScheduleView> {
  const row = await db.selectFrom('print_plans').select('plan').where('org_id', '=', orgId).executeTakeFirst();
  return row ? (row.plan as ScheduleView) : replan(db, orgId);
}

/** Machines whose printer model is in the catalogue (a machine of a model removed from it prints nothing). */
function schedPrinters(printers: PrinterView[], catalogue: PrintCatalogue): SchedPrinter[] {
  const out: SchedPrinter[] = [];
  for (const p of printers) {
    const spec = catalogue.printers.find((x) => x.id === p.catalogueId);
    if (!spec) continue;
    out.push({ id: p.id, buildVolume_mm: [...spec.buildVolume_mm.value], technology: spec.technology, outages: p.outages.map((o) => ({ from: o.from, to: o.to })) });
  }
  return out;
}

type JobRow = {
  id: string;
  due_date: string | Date | null;
  duration_s: number;
  parts: unknown;
  printer: string;
  material: string;
  created_at: Date;
  status: string;
  printer_id: string | null;
  started_at: Date | string | null;
};

/**
 * Each queued job may go on any machine of its printer model; released now (it is queued once
 * its model is approved). A printing job is on its machine since it started.
 */
function schedJobs(jobs: JobRow[], printers: PrinterView[]): SchedJob[] {
  return jobs.map((j) => ({
    ...(j.status === 'printing' && j.printer_id && j.started_at ? { running: { printerId: j.printer_id, start: iso(j.started_at) } } : {}),
    id: j.id,
    parts: j.parts as SchedJob['parts'],
    duration_s: j.duration_s,
    due: dueOf(j.due_date),
    earliest: iso(j.created_at),
    printerIds: printers.filter((p) => p.catalogueId === j.printer).map((p) => p.id),
    material: j.material,
  }));
}

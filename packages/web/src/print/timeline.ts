/**
 * The schedule as the timeline draws it: a time window from now (or the first plate) to the
 * last plate or outage end, whole hours, and per printer its outages and plates as fractions
 * of that window, each plate labelled with its cases and flagged late when one of its jobs
 * ends after its due date. Pure: the page renders it as SVG and as a table.
 */
import type { LabPrinter, ScheduleJobJson, ScheduleJson } from './types.js';

const HOUR = 3_600_000;

export interface Bar {
  /** Left edge and width as fractions of the window (0..1). */
  x: number;
  w: number;
  start: string;
  end: string;
}

export interface OutageBar extends Bar {
  /** Down until further notice (drawn to the window's end). */
  open: boolean;
  note: string | null;
}

export interface PlateBar extends Bar {
  key: string;
  jobs: ScheduleJobJson[];
  /** The cases on the plate, in words ("Skull guide, Mandible"). */
  label: string;
  late: boolean;
}

export interface TimelineRow {
  printer: LabPrinter;
  outages: OutageBar[];
  plates: PlateBar[];
}

export interface Tick {
  x: number;
  at: number;
}

export interface Timeline {
  from: number;
  to: number;
  rows: TimelineRow[];
  ticks: Tick[];
  /** Jobs with no plate: waiting for a printer (the reason, when the plan gives one). */
  waiting: { job: ScheduleJobJson; reason: string | null }[];
  late: { job: ScheduleJobJson; due: string; end: string }[];
}

const TICK_STEPS_H = [1, 2, 3, 6, 12, 24, 48, 168];

function ms(iso: string): number {
  return new Date(iso).getTime();
}

export function buildTimeline(s: ScheduleJson, now: number, minSpan_h = 12): Timeline {
  const jobById = new Map(s.jobs.map((j) => [j.id, j]));
  const unknownJob = (id: string): ScheduleJobJson => ({ id, caseId: '', caseTitle: `job ${id.slice(0, 8)}`, due: null, duration_s: 0 });
  const lateIds = new Set(s.late.map((l) => l.jobId));

  const starts = [now, ...s.plates.map((p) => ms(p.start))];
  const ends = [...s.plates.map((p) => ms(p.end)), ...s.printers.flatMap((p) => p.outages.map((o) => (o.to ? ms(o.to) : NaN)))].filter(Number.isFinite);
  const from = Math.floor(Math.min(...starts) / HOUR) * HOUR;
  const to = Math.ceil(Math.max(from + minSpan_h * HOUR, ...ends) / HOUR) * HOUR;
  const span = to - from;
  const frac = (t: number) => Math.max(0, Math.min(1, (t - from) / span));
  const bar = (a: number, b: number) => ({ x: frac(a), w: Math.max(frac(b) - frac(a), 0) });

  const rows: TimelineRow[] = s.printers.map((printer) => ({
    printer,
    outages: printer.outages
      .filter((o) => (o.to ? ms(o.to) > from : true))
      .map((o) => ({ ...bar(ms(o.from), o.to ? ms(o.to) : to), start: o.from, end: o.to ?? '', open: o.to === null, note: o.note ?? null })),
    plates: s.plates
      .filter((p) => p.printerId === printer.id)
      .sort((a, b) => ms(a.start) - ms(b.start))
      .map((p, i) => {
        const jobs = p.jobIds.map((id) => jobById.get(id) ?? unknownJob(id));
        return {
          ...bar(ms(p.start), ms(p.end)),
          key: `${printer.id}-${i}-${p.start}`,
          start: p.start,
          end: p.end,
          jobs,
          label: jobs.map((j) => j.caseTitle).join(', '),
          late: p.jobIds.some((id) => lateIds.has(id)),
        };
      }),
  }));

  const stepH = TICK_STEPS_H.find((h) => span / (h * HOUR) <= 12) ?? 168;
  const ticks: Tick[] = [];
  for (let t = from; t <= to; t += stepH * HOUR) ticks.push({ x: frac(t), at: t });

  const onPlate = new Set(s.plates.flatMap((p) => p.jobIds));
  const reasons = new Map(s.unplaceable.map((u) => [u.jobId, u.reason]));
  const waiting = s.jobs.filter((j) => !onPlate.has(j.id)).map((job) => ({ job, reason: reasons.get(job.id) ?? null }));
  const late = s.late.map((l) => ({ job: jobById.get(l.jobId) ?? unknownJob(l.jobId), due: l.due, end: l.end }));
  return { from, to, rows, ticks, waiting, late };
}

/** The printer a job's plate is on, or null (waiting). */
export function printerOfJob(s: ScheduleJson, jobId: string): string | null {
  return s.plates.find((p) => p.jobIds.includes(jobId))?.printerId ?? null;
}

/**
 * The print schedule: which printer prints which plate when, so that due dates are met when
 * they can be, and saying so when they cannot.
 *
 * A deterministic heuristic (list scheduling by earliest due date), not an optimiser:
 *  - jobs are taken earliest due date first (no due date last; ties by release, then id);
 *  - each goes where it finishes earliest: a new plate in the first gap of a printer whose
 *    build volume holds every part and which is not in an outage then, or onto a plate
 *    already planned on such a printer when its parts fit there too (packFootprints decides),
 *    the material is the same, the plate has not started before the job is released, the
 *    longer plate runs into nothing and every job already on it stays on time;
 *  - plate duration: FDM draws every part with one nozzle, so a plate takes the sum of its
 *    jobs' durations; SLA, SLS and PolyJet expose, sinter or jet a whole layer at once, so a
 *    plate takes about as long as its longest job (time follows height, not part count);
 *  - a job whose parts need more than one plate gets its plates back to back on one printer,
 *    its duration shared among them in proportion to the bounding-box volume on each, and
 *    shares none of them.
 * On one printer with every job released and FDM plates this is Jackson's earliest-due-date
 * rule, which minimises the maximum lateness: if that plan is late, every plan is.
 * Elsewhere a late job is checked against a bound: scheduled first, alone, on its best
 * printer (only outages in the way). Later than its due date even then → `unavoidable`: no
 * reordering can save it. Otherwise the plan says it is late because of the heuristic.
 */
import { noPrinter, time, validate } from './schedule-input.js';
import type { Technology } from './catalogue.js';
import { boxHull, fitFootprint, type FootprintFit } from './footprint-fit.js';
import { packFootprints, type Footprint, type Placement } from './pack.js';

export interface SchedPrinter {
  id: string;
  buildVolume_mm: [number, number, number];
  technology: Technology;
  /** ISO times; to null = down until further notice. */
  outages: { from: string; to: string | null }[];
}

export interface SchedPart {
  id: string;
  bbox_mm: [number, number, number];
  /**
   * The footprint: convex hull of the part's vertices on the bed (x, y), mm, in the frame of
   * bbox_mm. Without it the bounding box's rectangle stands for the part.
   */
  hull_mm?: [number, number][];
}

export interface SchedJob {
  id: string;
  parts: SchedPart[];
  /** The whole job, from the quote. */
  duration_s: number;
  due: string | null;
  /** Not before this (ISO). */
  earliest: string;
  /** Printers allowed (default: any whose build volume fits). */
  printerIds?: string[];
  /** Jobs share a plate only when they name the same material (or both none). */
  material?: string;
  /**
   * Printing now: on this printer since `start` (ISO). It holds that printer until its quoted
   * end, or until now when it runs over (it ends when a technician says so, not on a clock).
   */
  running?: { printerId: string; start: string };
}

/** A part on a plate: where packFootprints put it, turned by turn_deg about z first (then `rotated`: a further quarter turn). */
export interface ScheduledPart extends Placement {
  turn_deg: number;
}

export interface ScheduledPlate {
  printerId: string;
  start: string;
  end: string;
  jobIds: string[];
  /** Part footprints on the bed; each id is `<jobId>/<partId>`. */
  parts: ScheduledPart[];
  /** The plate is printing now (a running job's). */
  running?: boolean;
}

export interface LateJob {
  jobId: string;
  due: string;
  end: string;
  /** True when the job is late even scheduled first, alone, on its best printer: no plan meets its due date. */
  unavoidable: boolean;
  /** That bound: the earliest end of the job alone on any printer allowed (only outages in the way). */
  earliestEnd: string;
  reason: string;
}

export interface SchedulePlan {
  plates: ScheduledPlate[];
  late: LateJob[];
  unplaceable: { jobId: string; reason: string }[];
  /** From `now` to the end of the last plate, seconds (0 when nothing is planned). */
  makespan_s: number;
}

/** Spacing between parts on a plate, mm (packFootprints' default). */
export const PLATE_GAP_MM = 5;

interface Interval {
  start: number;
  end: number;
}

interface PlanPlate {
  printer: number;
  start: number;
  end: number;
  jobs: Job[];
  parts: Placement[];
  /** Part of a job that needs several plates, or one printing now: shares with nobody. */
  exclusive: boolean;
  running?: boolean;
}

interface Job {
  input: SchedJob;
  index: number;
  release: number;
  due: number | null;
  duration: number;
  material: string;
  /** Per printer (by index): the parts' footprints turned to fit its bed, null when one cannot. */
  fits: Map<number, { footprints: Footprint[]; turns: Map<string, number> } | null>;
}

interface Printer {
  input: SchedPrinter;
  index: number;
  /** Build volume, mm³. */
  size: number;
  outages: Interval[];
  plates: PlanPlate[];
}

const BIG = Number.POSITIVE_INFINITY;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * True when a part stands in the build volume, turned about z if need be: its height under the
 * volume's, and its footprint (hull_mm, else the bounding box's rectangle) inside the bed at
 * some turn (fitFootprint: exact, not only a quarter turn).
 */
export function partFits(bbox: readonly [number, number, number], volume: readonly [number, number, number], hull?: readonly (readonly [number, number])[]): boolean {
  return partFit({ bbox_mm: bbox, hull_mm: hull }, volume) !== null;
}

function partFit(part: { bbox_mm: readonly number[]; hull_mm?: readonly (readonly [number, number])[] | undefined }, volume: readonly number[]): FootprintFit | null {
  if (part.bbox_mm[2]! > volume[2]! + 1e-6) return null;
  const hull = part.hull_mm && part.hull_mm.length > 0 ? part.hull_mm : boxHull(part.bbox_mm[0]!, part.bbox_mm[1]!);
  return fitFootprint(hull, { w: volume[0]!, d: volume[1]! });
}

/** The job's footprints on a printer's bed (each part turned to fit), or null when a part fits at no turn. */
function fitsOn(job: Job, p: Printer): { footprints: Footprint[]; turns: Map<string, number> } | null {
  if (job.fits.has(p.index)) return job.fits.get(p.index)!;
  const footprints: Footprint[] = [];
  const turns = new Map<string, number>();
  let out: { footprints: Footprint[]; turns: Map<string, number> } | null = { footprints, turns };
  for (const part of job.input.parts) {
    const f = partFit(part, p.input.buildVolume_mm);
    if (!f) {
      out = null;
      break;
    }
    const id = `${job.input.id}/${part.id}`;
    footprints.push({ id, w: f.w, d: f.d });
    turns.set(id, f.turn_deg);
  }
  job.fits.set(p.index, out);
  return out;
}

const footprintsOn = (job: Job, p: Printer): Footprint[] => fitsOn(job, p)?.footprints ?? [];

/** Layer-wise technologies take about the longest job's time for a shared plate; FDM the sum. */
function plateDuration(tech: Technology, durations: number[]): number {
  if (tech === 'FDM') return durations.reduce((a, b) => a + b, 0);
  return Math.max(0, ...durations);
}

/** Packs footprints on the printer's bed; null when they need more than one plate or one is larger than the bed. */
function packOne(items: Footprint[], p: Printer): Placement[] | null {
  const plates = packAll(items, p);
  return plates && plates.length === 1 ? plates[0]! : null;
}

function packAll(items: Footprint[], p: Printer): Placement[][] | null {
  const [w, d] = p.input.buildVolume_mm;
  try {
    return packFootprints(items, { w, d }, PLATE_GAP_MM).plates;
  } catch {
    // packFootprints refuses an item larger than the bed (with its gap): not this printer.
    return null;
  }
}

/** Earliest start ≥ `from` of `dur` ms on the printer between its plates and outages (Infinity: never). */
function firstGap(p: Printer, from: number, dur: number, skip?: PlanPlate): number {
  const busy: Interval[] = [...p.outages, ...p.plates.filter((x) => x !== skip)].sort((a, b) => a.start - b.start || a.end - b.end);
  let s = from;
  for (const b of busy) {
    if (b.end <= s) continue;
    if (b.start >= s + dur) break;
    s = Math.max(s, b.end);
    if (s === BIG) return BIG;
  }
  return s;
}

function overlaps(p: Printer, iv: Interval, skip: PlanPlate): boolean {
  for (const b of p.outages) if (b.start < iv.end && iv.start < b.end) return true;
  for (const b of p.plates) if (b !== skip && b.start < iv.end && iv.start < b.end) return true;
  return false;
}

/** Plans every job on the printers from `now` on (see the module comment for the rule). Same input → same plan. */
export function planSchedule(printers: SchedPrinter[], jobs: SchedJob[], now: string): SchedulePlan {
  validate(printers, jobs);
  const t0 = time(now, 'now');
  const ps: Printer[] = printers.map((input, index) => ({
    input,
    index,
    size: input.buildVolume_mm[0] * input.buildVolume_mm[1] * input.buildVolume_mm[2],
    outages: input.outages.map((o, k) => {
      const start = time(o.from, `printers[${index}].outages[${k}].from`);
      const end = o.to === null ? BIG : time(o.to, `printers[${index}].outages[${k}].to`);
      return { start, end: Math.max(start, end) };
    }),
    plates: [],
  }));
  const js: Job[] = jobs.map((input, index) => ({
    input,
    index,
    release: Math.max(t0, time(input.earliest, `jobs[${index}].earliest`)),
    due: input.due === null ? null : time(input.due, `jobs[${index}].due`),
    duration: Math.round(input.duration_s * 1000),
    material: input.material ?? '',
    fits: new Map(),
  }));
  // Earliest due date first; no due date last; then the earlier release; then the id (a total order: same plan every time).
  const order = [...js].sort(
    (a, b) => (a.due ?? BIG) - (b.due ?? BIG) || a.release - b.release || (a.input.id < b.input.id ? -1 : a.input.id > b.input.id ? 1 : 0),
  );
  const unplaceable: SchedulePlan['unplaceable'] = [];
  const endOf = new Map<Job, { end: number; printer: Printer }>();
  const boundOf = new Map<Job, { end: number; printer: Printer }>();
  placeRunning(js, ps, t0, endOf, boundOf, unplaceable);

  for (const job of order) {
    if (job.input.running) continue;
    const allowed = ps.filter((p) => !job.input.printerIds || job.input.printerIds.includes(p.input.id));
    const fitting = allowed.filter((p) => fitsOn(job, p) !== null && packAll(footprintsOn(job, p), p) !== null);
    if (fitting.length === 0) {
      unplaceable.push({ jobId: job.input.id, reason: allowed.length === 0 ? noPrinter(ps.length, job.input.printerIds) : `a part is larger than the build volume of every printer allowed (${allowed.map((p) => p.input.id).join(', ')})` });
      continue;
    }
    type Option = { end: number; start: number; printer: Printer; join?: PlanPlate; parts?: Placement[]; newDur?: number; layout?: Placement[][] };
    let best: Option | undefined;
    // Earliest end; then onto a plate already there (fewer plates); then the smaller build volume
    // (keeps the large printers free for the parts only they can take); then printer order, start.
    const better = (o: Option): boolean => {
      if (!best) return true;
      if (o.end !== best.end) return o.end < best.end;
      if (!!o.join !== !!best.join) return !!o.join;
      if (o.printer.size !== best.printer.size) return o.printer.size < best.printer.size;
      if (o.printer.index !== best.printer.index) return o.printer.index < best.printer.index;
      return o.start < best.start;
    };
    let bound: { end: number; printer: Printer } | undefined;
    for (const p of fitting) {
      const layout = packAll(footprintsOn(job, p), p)!;
      // A new plate (or a run of plates) in the first gap.
      const start = firstGap(p, job.release, job.duration);
      // The bound for the lateness check: alone on this printer, only its outages in the way.
      const alone = firstGap({ ...p, plates: [] }, job.release, job.duration);
      if (alone < BIG && (!bound || alone + job.duration < bound.end)) bound = { end: alone + job.duration, printer: p };
      if (start < BIG) {
        const o: Option = { end: start + job.duration, start, printer: p, layout };
        if (better(o)) best = o;
      }
      if (layout.length !== 1) continue;
      // Onto a plate already planned there.
      for (const plate of p.plates) {
        if (plate.exclusive || plate.start < job.release || plate.jobs[0]!.material !== job.material) continue;
        const parts = packOne([...plate.jobs.flatMap((j) => footprintsOn(j, p)), ...footprintsOn(job, p)], p);
        if (!parts) continue;
        const newDur = plateDuration(p.input.technology, [...plate.jobs.map((j) => j.duration), job.duration]);
        const end = plate.start + newDur;
        if (overlaps(p, { start: plate.start, end }, plate)) continue;
        if (plate.jobs.some((j) => j.due !== null && end > j.due && end > plate.end)) continue;
        const o: Option = { end, start: plate.start, printer: p, join: plate, parts, newDur };
        if (better(o)) best = o;
      }
    }
    if (bound) boundOf.set(job, bound);
    if (!best) {
      unplaceable.push({ jobId: job.input.id, reason: `every printer that fits it is down until further notice (${fitting.map((p) => p.input.id).join(', ')})` });
      continue;
    }
    const p = best.printer;
    if (best.join) {
      best.join.jobs.push(job);
      best.join.parts = best.parts!;
      best.join.end = best.join.start + best.newDur!;
      for (const j of best.join.jobs) endOf.set(j, { end: best.join.end, printer: p });
    } else {
      const layout = best.layout!;
      const vol = (id: string) => {
        const part = job.input.parts.find((x) => `${job.input.id}/${x.id}` === id)!;
        return part.bbox_mm[0] * part.bbox_mm[1] * part.bbox_mm[2];
      };
      const shares = layout.map((pl) => pl.reduce((s, x) => s + vol(x.id), 0));
      const total = shares.reduce((a, b) => a + b, 0);
      let s = best.start;
      for (const [k, pl] of layout.entries()) {
        // The last plate ends exactly at start + duration (no rounding drift).
        const e = k === layout.length - 1 ? best.start + job.duration : s + (total > 0 ? Math.round((job.duration * shares[k]!) / total) : Math.round(job.duration / layout.length));
        p.plates.push({ printer: p.index, start: s, end: e, jobs: [job], parts: pl, exclusive: layout.length > 1 });
        s = e;
      }
      endOf.set(job, { end: best.end, printer: p });
    }
  }

  const plates = ps.flatMap((p) => [...p.plates].sort((a, b) => a.start - b.start));
  const late: LateJob[] = [];
  for (const job of order) {
    const e = endOf.get(job);
    if (!e || job.due === null || e.end <= job.due) continue;
    const bound = boundOf.get(job)!;
    const unavoidable = bound.end > job.due;
    late.push({
      jobId: job.input.id,
      due: iso(job.due),
      end: iso(e.end),
      unavoidable,
      earliestEnd: iso(bound.end),
      reason: unavoidable
        ? `cannot be met: even first and alone on ${bound.printer.input.id} it would end at ${iso(bound.end)}`
        : `late in this plan: first on ${bound.printer.input.id} it would end at ${iso(bound.end)}, but jobs due earlier hold the printers (the plan is an earliest-due-date heuristic)`,
    });
  }
  const last = plates.reduce((m, x) => Math.max(m, x.end), t0);
  return {
    plates: plates.map((x) => ({
      printerId: ps[x.printer]!.input.id,
      start: iso(x.start),
      end: iso(x.end),
      jobIds: x.jobs.map((j) => j.input.id),
      parts: x.parts.map((pl) => ({ ...pl, turn_deg: x.jobs.map((j) => fitsOn(j, ps[x.printer]!)?.turns.get(pl.id)).find((v) => v !== undefined) ?? 0 })),
      ...(x.running ? { running: true } : {}),
    })),
    late,
    unplaceable,
    makespan_s: (last - t0) / 1000,
  };
}

/**
 * Jobs printing now hold their printer first: a plate from their start to their quoted end
 * (or now, when they run over), shared with nobody but the jobs started with them (same
 * machine, same start: one plate); their lateness is already fixed.
 */
function placeRunning(
  js: Job[],
  ps: Printer[],
  t0: number,
  endOf: Map<Job, { end: number; printer: Printer }>,
  boundOf: Map<Job, { end: number; printer: Printer }>,
  unplaceable: SchedulePlan['unplaceable'],
): void {
  const plates = new Map<string, { p: Printer; start: number; jobs: Job[] }>();
  for (const job of js) {
    const run = job.input.running;
    if (!run) continue;
    const p = ps.find((x) => x.input.id === run.printerId);
    if (!p) {
      unplaceable.push({ jobId: job.input.id, reason: `it is printing on ${run.printerId}, which is not among the printers planned` });
      continue;
    }
    const start = time(run.start, `jobs[${job.index}].running.start`);
    const key = `${p.index} ${start}`;
    plates.set(key, { p, start, jobs: [...(plates.get(key)?.jobs ?? []), job] });
  }
  for (const { p, start, jobs } of plates.values()) {
    const end = Math.max(start + Math.max(...jobs.map((j) => j.duration)), t0);
    const layout = packAll(jobs.flatMap((j) => footprintsOn(j, p)), p);
    p.plates.push({ printer: p.index, start, end, jobs, parts: layout?.[0] ?? [], exclusive: true, running: true });
    for (const job of jobs) for (const m of [endOf, boundOf]) m.set(job, { end, printer: p });
  }
}

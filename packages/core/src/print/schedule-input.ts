/** Checks and words for planSchedule's input (schedule.ts): kept apart so the planner reads as the rule. */
import { usageError } from '../errors.js';
import type { SchedJob, SchedPrinter } from './schedule.js';

export function time(value: string, what: string): number {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) throw usageError('BAD_SCHEDULE', `${what}: ${JSON.stringify(value)} is not an ISO date-time`);
  return t;
}

export function validate(printers: SchedPrinter[], jobs: SchedJob[]): void {
  const seen = new Set<string>();
  for (const [i, p] of printers.entries()) {
    if (!p.id || seen.has(p.id)) throw usageError('BAD_SCHEDULE', `printers[${i}].id: ${JSON.stringify(p.id)} is empty or not unique`);
    seen.add(p.id);
    if (p.buildVolume_mm.length !== 3 || p.buildVolume_mm.some((v) => !(v > 0 && Number.isFinite(v)))) {
      throw usageError('BAD_SCHEDULE', `printers[${i}].buildVolume_mm: every side must be a number > 0 mm`);
    }
  }
  const ids = new Set<string>();
  for (const [i, j] of jobs.entries()) {
    if (!j.id || ids.has(j.id)) throw usageError('BAD_SCHEDULE', `jobs[${i}].id: ${JSON.stringify(j.id)} is empty or not unique`);
    ids.add(j.id);
    if (!(j.duration_s > 0 && Number.isFinite(j.duration_s))) throw usageError('BAD_SCHEDULE', `jobs[${i}].duration_s: must be a number > 0, got ${j.duration_s}`);
    if (j.parts.length === 0) throw usageError('BAD_SCHEDULE', `jobs[${i}].parts: a job has at least one part`);
    for (const [k, part] of j.parts.entries()) {
      if (part.bbox_mm.length !== 3 || part.bbox_mm.some((v) => !(v >= 0 && Number.isFinite(v)))) {
        throw usageError('BAD_SCHEDULE', `jobs[${i}].parts[${k}].bbox_mm: every side must be a number ≥ 0 mm`);
      }
      if (part.hull_mm && part.hull_mm.some((q) => q.length !== 2 || !Number.isFinite(q[0]) || !Number.isFinite(q[1]))) {
        throw usageError('BAD_SCHEDULE', `jobs[${i}].parts[${k}].hull_mm: every point must be two finite numbers (x, y mm)`);
      }
    }
  }
}

/** Why a job has no printer at all: none registered, none allowed, or the ones it names are unknown. */
export function noPrinter(registered: number, ids: readonly string[] | undefined): string {
  if (registered === 0) return 'no printer is registered yet';
  if (!ids || ids.length === 0) return 'it allows no printer';
  return `none of its printers (${ids.join(', ')}) is known`;
}

/**
 * The pairwise terms of identification's solver (solve-icm.ts): one relation of the anatomical graph
 * (graph.ts) scored on the aggregates (centroid, extent) of the two structures it names, 1 per 10 mm
 * of violation.
 */
import type { Relation } from './graph.js';
import type { Sums } from './features.js';

/** A structure's summed regions with their centroid. */
export interface Aggregate extends Sums {
  cx: number;
  cy: number;
  cz: number;
}

export function aggregate(s: Sums): Aggregate {
  const n = Math.max(1, s.cells);
  return { cells: s.cells, sx: s.sx, sy: s.sy, sz: s.sz, min: s.min, max: s.max, cx: s.sx / n, cy: s.sy / n, cz: s.sz / n };
}

/** Log-probability cost of one relation on the two structures' aggregates (≤ 0). */
export function relationCost(rel: Relation, a: Aggregate, b: Aggregate, midX: number): number {
  const cm = (mm: number) => Math.max(0, mm) / 10;
  const tol = rel.tol_mm ?? 20;
  switch (rel.rel) {
    case 'inferior':
      return -cm(a.cz - b.cz);
    case 'superior':
      return -cm(b.cz - a.cz);
    case 'below':
      return -cm(a.max[2] - b.min[2] - tol);
    case 'level':
      return -(cm(b.min[2] - tol - a.min[2]) + cm(a.max[2] - b.max[2] - tol));
    case 'anterior':
      return -cm(a.cy - b.cy);
    case 'overlaps':
      return -cm(tol - (Math.min(a.max[2], b.max[2]) - Math.max(a.min[2], b.min[2])));
    case 'adjacent': {
      let gap = 0;
      for (let t = 0; t < 3; t++) gap = Math.max(gap, a.min[t]! - b.max[t]!, b.min[t]! - a.max[t]!);
      return -cm(gap - 10);
    }
    case 'left-of':
      return -3 * cm(b.cx - a.cx);
    case 'lateral-to':
      return -cm(Math.abs(b.cx - midX) - Math.abs(a.cx - midX));
    case 'apart':
    case 'touches':
      return 0; // region contacts: solve()
  }
}

/**
 * Where to cut. Per axis, the number of parts comes from split-plan.ts; each cut then lies in
 * its window (every part fits, with its pegs) and is chosen among evenly spaced candidates
 * (about every millimetre, at most `candidates`) by its cross-section: least thin material
 * first (the area a `thinWall_mm`-wide opening removes from the section: slivers of wall that
 * cannot be glued or hold a connector), then most room for connectors, then nearest the
 * window's middle (each in coarse steps, see below). Cuts run left to right, each window depending on the previous cut.
 */
import { round } from '../pipeline/record.js';
import type { ConnectorParams } from './connectors.js';
import { free, type Vec3 } from './manifold-mesh.js';
import type { Slicer } from './slicer.js';
import { cutWindow, partsAlong, type SplitLimits } from './split-plan.js';

export interface CutChoice {
  axis: 'x' | 'y' | 'z';
  position_mm: number;
  window_mm: [number, number];
  candidates: number;
  /** Section area at the cut, and the parts of it thinner than thinWall_mm. */
  sectionArea_mm2: number;
  thinArea_mm2: number;
  connectorArea_mm2: number;
}

export interface CutOptions {
  thinWall_mm: number;
  candidates: number;
}

const AXIS = ['x', 'y', 'z'] as const;

export function chooseCuts(slicer: Slicer, size: Vec3, limits: SplitLimits, conn: ConnectorParams | undefined, opts: CutOptions): CutChoice[][] {
  const out: CutChoice[][] = [];
  for (let a = 0; a < 3; a++) {
    const n = partsAlong(size[a]!, limits.build_mm[a]!, limits);
    const cuts: CutChoice[] = [];
    let prev = 0;
    for (let k = 1; k < n; k++) {
      const [lo, hi] = cutWindow(k, n, prev, size[a]!, limits.build_mm[a]!, limits);
      const count = Math.max(1, Math.min(opts.candidates, Math.floor(hi - lo) + 1));
      let best: CutChoice | undefined;
      let bestKey: number[] = [];
      for (let i = 0; i < count; i++) {
        const c = count === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (count - 1);
        const s = scoreSection(slicer, a, c, conn, opts.thinWall_mm);
        // Lexicographic, in coarse steps (25 mm² of thin wall, 200 mm² of connector room) so
        // small differences do not win over a cut near the window's middle, which keeps parts
        // balanced instead of cutting slivers off an end.
        const key = [Math.floor(s.thin / 25), -Math.floor(s.usable / 200), Math.round(Math.abs(c - (lo + hi) / 2))];
        if (!best || less(key, bestKey)) {
          bestKey = key;
          best = { axis: AXIS[a]!, position_mm: round(c, 3), window_mm: [round(lo, 3), round(hi, 3)], candidates: count, sectionArea_mm2: round(s.area, 1), thinArea_mm2: round(s.thin, 1), connectorArea_mm2: round(s.usable, 1) };
        }
      }
      cuts.push(best!);
      prev = best!.position_mm;
    }
    out.push(cuts);
  }
  return out;
}

function less(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function scoreSection(slicer: Slicer, a: number, c: number, conn: ConnectorParams | undefined, thinWall: number): { area: number; thin: number; usable: number } {
  const s = slicer.slice(a, c);
  const inner = s.offset(-thinWall / 2, 'Round', 2, 16);
  const opened = inner.offset(thinWall / 2, 'Round', 2, 16);
  const usableCs = conn ? s.offset(-(conn.holeDiameter_mm / 2 + conn.wall_mm), 'Round', 2, 16) : undefined;
  const area = s.area();
  const r = { area, thin: Math.max(0, area - opened.area()), usable: usableCs ? usableCs.area() : 0 };
  free(s, inner, opened, usableCs);
  return r;
}

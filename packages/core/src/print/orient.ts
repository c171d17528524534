/**
 * Orientation for the build volume. Candidates are the 24 proper rotations that map axes to
 * axes (a skull's anatomical axes are already the natural ones, and axis-aligned cuts stay
 * axis-aligned in the patient frame). For each: the height, the support area (the area,
 * projected on the bed, of faces overhanging more than `overhang_deg` from vertical, except
 * faces lying on the bed), whether it fits, and how many parts a split needs. The choice:
 * fewest parts, then the criterion (`height`: lowest; `support`: least support area), then the
 * other figure, then the candidate's index (deterministic).
 */
import type { Mesh } from '../geometry/types.js';
import { round } from '../pipeline/record.js';
import type { RigidTransform, Vec3 } from './manifold-mesh.js';
import { partsAlong, type SplitLimits } from './split-plan.js';

export type OrientCriterion = 'height' | 'support';

export interface OrientCandidate {
  index: number;
  rotation: number[];
  /** Which model axis points up, e.g. "+z" (patient LPS: +z is superior). */
  up: string;
  size_mm: Vec3;
  supportArea_mm2: number;
  fits: boolean;
  parts: number;
  partsPerAxis: Vec3;
}

export interface Orientation {
  /** LPS → print frame: rotation, then the model's lowest corner moved to the origin. */
  transform: RigidTransform;
  chosen: OrientCandidate;
  criterion: OrientCriterion;
  /** One line per up direction (the best of its candidates), for the record. */
  table: OrientCandidate[];
}

/** The 24 signed axis permutations with determinant +1 (row-major). */
export function axisRotations(): number[][] {
  const perms = [
    [0, 1, 2, 1],
    [0, 2, 1, -1],
    [1, 0, 2, -1],
    [1, 2, 0, 1],
    [2, 0, 1, 1],
    [2, 1, 0, -1],
  ];
  const out: number[][] = [];
  for (const [a, b, c, parity] of perms) {
    for (let s = 0; s < 8; s++) {
      const sx = s & 1 ? -1 : 1, sy = s & 2 ? -1 : 1, sz = s & 4 ? -1 : 1;
      if (sx * sy * sz * parity! !== 1) continue;
      const r = new Array<number>(9).fill(0);
      r[a!] = sx;
      r[3 + b!] = sy;
      r[6 + c!] = sz;
      out.push(r);
    }
  }
  return out;
}

const AXES = ['x', 'y', 'z'];

function upName(r: number[]): string {
  for (let k = 0; k < 3; k++) if (r[6 + k] !== 0) return `${r[6 + k]! > 0 ? '+' : '-'}${AXES[k]}`;
  return '?';
}

/** Support area (mm², projected on the bed) for each of the 6 up directions ±x, ±y, ±z. */
export function supportAreas(mesh: Mesh, overhang_deg: number, bedTolerance_mm = 0.5): Map<string, number> {
  const p = mesh.positions, ix = mesh.indices;
  const cosLimit = Math.cos((overhang_deg * Math.PI) / 180);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < ix.length; i++) {
    const v = ix[i]! * 3;
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.min(lo[k]!, p[v + k]!);
      hi[k] = Math.max(hi[k]!, p[v + k]!);
    }
  }
  const sums = new Float64Array(6); // +x,-x,+y,-y,+z,-z as the up direction
  for (let t = 0; t < ix.length; t += 3) {
    const a = ix[t]! * 3, b = ix[t + 1]! * 3, c = ix[t + 2]! * 3;
    const ux = p[b]! - p[a]!, uy = p[b + 1]! - p[a + 1]!, uz = p[b + 2]! - p[a + 2]!;
    const vx = p[c]! - p[a]!, vy = p[c + 1]! - p[a + 1]!, vz = p[c + 2]! - p[a + 2]!;
    const n = [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx]; // |n| = 2·area
    const len = Math.hypot(n[0]!, n[1]!, n[2]!);
    if (len === 0) continue;
    for (let k = 0; k < 3; k++) {
      const c0 = n[k]! / len;
      // Up = +axis k: the face points down when its normal's k component is below −cos.
      if (c0 < -cosLimit && Math.max(p[a + k]!, p[b + k]!, p[c + k]!) > lo[k]! + bedTolerance_mm) sums[2 * k] += (-n[k]! / 2);
      // Up = −axis k: the bed is at the highest k.
      if (c0 > cosLimit && Math.min(p[a + k]!, p[b + k]!, p[c + k]!) < hi[k]! - bedTolerance_mm) sums[2 * k + 1] += n[k]! / 2;
    }
  }
  const out = new Map<string, number>();
  for (let k = 0; k < 3; k++) {
    out.set(`+${AXES[k]}`, sums[2 * k]!);
    out.set(`-${AXES[k]}`, sums[2 * k + 1]!);
  }
  return out;
}

export function chooseOrientation(mesh: Mesh, bbox: { min: Vec3; max: Vec3 }, limits: SplitLimits, criterion: OrientCriterion, overhang_deg: number): Orientation {
  const support = supportAreas(mesh, overhang_deg);
  const size = [bbox.max[0] - bbox.min[0], bbox.max[1] - bbox.min[1], bbox.max[2] - bbox.min[2]];
  const cands: OrientCandidate[] = axisRotations().map((r, index) => {
    const s: Vec3 = [0, 0, 0];
    for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) if (r[3 * i + k] !== 0) s[i] = size[k]!;
    const per = s.map((e, i) => partsAlong(e, limits.build_mm[i]!, limits)) as Vec3;
    const up = upName(r);
    return {
      index,
      rotation: r,
      up,
      size_mm: s.map((x) => round(x, 3)) as Vec3,
      supportArea_mm2: round(support.get(up) ?? 0, 1),
      fits: per.every((n) => n === 1),
      parts: per[0] * per[1] * per[2],
      partsPerAxis: per,
    };
  });
  const primary = (c: OrientCandidate): number => (criterion === 'height' ? c.size_mm[2] : c.supportArea_mm2);
  const secondary = (c: OrientCandidate): number => (criterion === 'height' ? c.supportArea_mm2 : c.size_mm[2]);
  const sorted = [...cands].sort((a, b) => a.parts - b.parts || primary(a) - primary(b) || secondary(a) - secondary(b) || a.index - b.index);
  const chosen = sorted[0]!;
  const r = chosen.rotation;
  // The rotated box's lowest corner goes to the origin.
  const lo: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) {
      const rik = r[3 * i + k]!;
      if (rik !== 0) lo[i] = rik > 0 ? bbox.min[k] : -bbox.max[k];
    }
  }
  const table: OrientCandidate[] = [];
  for (const c of sorted) if (!table.some((t) => t.up === c.up)) table.push(c);
  return { transform: { rotation: r, translation: [-lo[0] || 0, -lo[1] || 0, -lo[2] || 0] }, chosen, criterion, table };
}

/**
 * Two models of one object from two scans of it (a rescan, another slice thickness, a tilted
 * gantry): how far surface A lies from surface B, signed. Real scans have no analytic truth,
 * but the same object scanned twice has one surface: a placement rule that finds the object's
 * edge puts both models there, where one that follows a level of the blurred image moves with
 * each scan's blur and threshold. The systematic part is the uniform offset fitted with a rigid
 * registration (positive: A outside B); the spread left after it holds the scans' noise.
 *
 * Only points inside both scans count (`inside`): where a scan's field of view cuts the
 * object its model is closed by a flat cap that the other scan does not have.
 */
import type { Mesh } from '../geometry/types.js';
import { physicalToIndex, type Grid, type Vec3 } from '../geometry/grid.js';
import { accuracySamples } from '../surface/accuracy.js';
import { buildTriangleGrid, NearestTriangle } from '../surface/distance.js';

export interface SurfaceOffset {
  /** Points of A measured (inside both scans, within `trim_mm` of B). */
  samples: number;
  /** Sample points inside both scans farther than trim_mm from B (parts one scan has and the other not). */
  beyondTrim: number;
  /**
   * The systematic difference: the uniform offset along the normals fitted with the rigid
   * registration (mm; positive: A outside B). Without registration, the median.
   */
  offset_mm: number;
  /** Median signed distance from A (registered) to B (mm; positive: A outside B). */
  median_mm: number;
  /** Mean signed distance of the points within trim_mm (mm). */
  mean_mm: number;
  /** Mean |distance| of the points within trim_mm (mm). */
  meanAbs_mm: number;
  /** 5th and 95th percentiles of the signed distance (mm). */
  p05_mm: number;
  p95_mm: number;
  trim_mm: number;
  /** A's rigid motion onto B (summed over the iterations; small motions), or null without registration. */
  registration: { translation_mm: Vec3; rotation_deg: number } | null;
}

export interface SurfaceOffsetOptions {
  /** Sample points drawn from A's vertices and triangle centroids (seeded; default 40 000). */
  samples?: number;
  seed?: number;
  /** Points farther than this from B are counted apart (default 2.5 mm). */
  trim_mm?: number;
  /** Register A onto B first (default true). */
  register?: boolean;
  /** Which points of A count (default all; judged before registration): e.g. insideScans. */
  inside?: (x: number, y: number, z: number) => boolean;
}

/**
 * Signed distances from sample points of A to B, after A's points are moved rigidly onto B
 * (the object rarely lies to the same tenth of a millimetre in two scans): point-to-plane
 * ICP that fits, with the rigid motion, one uniform offset along the normals — the part a
 * motion cannot explain, the systematic difference between the two models (`offset_mm`).
 * A translation moves the surface out on one side and in on the other; a uniform offset moves
 * it out everywhere, so the two are told apart on a closed surface.
 *
 * The sign is that of the point's side of the plane of B's nearest triangle, B closed and
 * outward oriented (convert's models are): near a sharp edge of B that side can be wrong,
 * which the median and the fit (points within trim_mm) barely see.
 */
export function surfaceOffset(a: Mesh, b: Mesh, opts: SurfaceOffsetOptions = {}): SurfaceOffset {
  const trim = opts.trim_mm ?? 2.5;
  const s = accuracySamples(a, { samples: opts.samples ?? 40_000, seed: opts.seed ?? 3532 });
  // The points inside both scans; they move with the registration, the test of `inside` not.
  const keep: number[] = [];
  for (let i = 0; i < s.n; i++) if (!opts.inside || opts.inside(s.pts[3 * i]!, s.pts[3 * i + 1]!, s.pts[3 * i + 2]!)) keep.push(i);
  const n = keep.length;
  const pts = new Float64Array(3 * n);
  keep.forEach((i, k) => pts.set(s.pts.subarray(3 * i, 3 * i + 3), 3 * k));
  const near = new NearestTriangle(buildTriangleGrid(b));
  const d = new Float64Array(n);
  const normal = new Float64Array(3 * n);
  const measure = () => {
    for (let k = 0; k < n; k++) d[k] = signedTo(near, b, pts, k, normal);
  };
  measure();
  const motion = { translation_mm: [0, 0, 0] as Vec3, rotation_deg: 0 };
  const turn: Vec3 = [0, 0, 0];
  let offset = NaN;
  for (let it = 0; it < (opts.register === false ? 0 : ICP_ITERATIONS); it++) {
    const fit = fitMotionAndOffset(pts, d, normal, trim);
    if (!fit) break;
    applyMotion(pts, fit.t, fit.w, fit.centre);
    for (let i = 0; i < 3; i++) {
      motion.translation_mm[i]! += fit.t[i]!;
      turn[i]! += fit.w[i]!;
    }
    // small rotations compose by adding their vectors
    motion.rotation_deg = (Math.hypot(turn[0], turn[1], turn[2]) * 180) / Math.PI;
    offset = fit.offset;
    measure();
  }
  const within: number[] = [];
  for (let k = 0; k < n; k++) if (Math.abs(d[k]!) <= trim) within.push(d[k]!);
  const sorted = Float64Array.from(within).sort();
  const m = sorted.length;
  const q = (f: number) => (m ? sorted[Math.min(m - 1, Math.floor(f * (m - 1) + 0.5))]! : NaN);
  let sum = 0, sumAbs = 0;
  for (const x of sorted) {
    sum += x;
    sumAbs += Math.abs(x);
  }
  return {
    samples: m,
    beyondTrim: n - m,
    offset_mm: Number.isFinite(offset) ? offset : q(0.5),
    median_mm: q(0.5),
    mean_mm: m ? sum / m : NaN,
    meanAbs_mm: m ? sumAbs / m : NaN,
    p05_mm: q(0.05),
    p95_mm: q(0.95),
    trim_mm: trim,
    registration: opts.register === false ? null : motion,
  };
}

const ICP_ITERATIONS = 6;

/** Signed distance of point k to B; B's nearest triangle's unit normal into normal[3k..]. */
function signedTo(near: NearestTriangle, b: Mesh, pts: Float64Array, k: number, normal: Float64Array): number {
  const x = pts[3 * k]!, y = pts[3 * k + 1]!, z = pts[3 * k + 2]!;
  const dist = near.distance(x, y, z);
  const t = near.triangle;
  if (t < 0) return Infinity;
  const P = b.positions, I = b.indices;
  const p0 = 3 * I[3 * t]!, p1 = 3 * I[3 * t + 1]!, p2 = 3 * I[3 * t + 2]!;
  const ux = P[p1]! - P[p0]!, uy = P[p1 + 1]! - P[p0 + 1]!, uz = P[p1 + 2]! - P[p0 + 2]!;
  const vx = P[p2]! - P[p0]!, vy = P[p2 + 1]! - P[p0 + 1]!, vz = P[p2 + 2]! - P[p0 + 2]!;
  let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
  const len = Math.hypot(nx, ny, nz) || 1;
  nx /= len;
  ny /= len;
  nz /= len;
  normal[3 * k] = nx;
  normal[3 * k + 1] = ny;
  normal[3 * k + 2] = nz;
  return (x - P[p0]!) * nx + (y - P[p0 + 1]!) * ny + (z - P[p0 + 2]!) * nz < 0 ? -dist : dist;
}

/**
 * Least squares over the points within `trim` of B: the small motion (translation t, rotation
 * w about `centre`) and the uniform offset δ with d + n·(t + w × (p − centre)) ≈ δ.
 */
function fitMotionAndOffset(pts: Float64Array, d: Float64Array, normal: Float64Array, trim: number): { t: Vec3; w: Vec3; offset: number; centre: Vec3 } | null {
  const n = d.length;
  const centre: Vec3 = [0, 0, 0];
  let m = 0;
  for (let k = 0; k < n; k++) {
    if (!(Math.abs(d[k]!) <= trim)) continue;
    for (let i = 0; i < 3; i++) centre[i]! += pts[3 * k + i]!;
    m++;
  }
  if (m < 7) return null;
  for (let i = 0; i < 3; i++) centre[i]! /= m;
  // unknowns x = [t, w, δ]; row r = [n, (p − c) × n, −1], target −d
  const A = new Float64Array(49);
  const rhs = new Float64Array(7);
  const r = new Float64Array(7);
  for (let k = 0; k < n; k++) {
    if (!(Math.abs(d[k]!) <= trim)) continue;
    const nx = normal[3 * k]!, ny = normal[3 * k + 1]!, nz = normal[3 * k + 2]!;
    const px = pts[3 * k]! - centre[0], py = pts[3 * k + 1]! - centre[1], pz = pts[3 * k + 2]! - centre[2];
    r[0] = nx;
    r[1] = ny;
    r[2] = nz;
    r[3] = py * nz - pz * ny;
    r[4] = pz * nx - px * nz;
    r[5] = px * ny - py * nx;
    r[6] = -1;
    for (let i = 0; i < 7; i++) {
      rhs[i]! += -d[k]! * r[i]!;
      for (let j = 0; j < 7; j++) A[7 * i + j]! += r[i]! * r[j]!;
    }
  }
  // A rotation the shape does not show (a sphere about its centre) stays 0: a ridge of
  // 1e-6 mm² a point on the rotation terms, whose own weights are ~ m·r² (r tens of mm).
  for (let i = 3; i < 6; i++) A[8 * i]! += 1e-6 * m;
  const x = solveDense(A, rhs, 7);
  if (!x) return null;
  return { t: [x[0]!, x[1]!, x[2]!], w: [x[3]!, x[4]!, x[5]!], offset: x[6]!, centre };
}

/** p ← p + t + w × (p − centre). */
function applyMotion(pts: Float64Array, t: Vec3, w: Vec3, c: Vec3): void {
  for (let k = 0; k < pts.length; k += 3) {
    const px = pts[k]! - c[0], py = pts[k + 1]! - c[1], pz = pts[k + 2]! - c[2];
    pts[k] = pts[k]! + t[0] + (w[1] * pz - w[2] * py);
    pts[k + 1] = pts[k + 1]! + t[1] + (w[2] * px - w[0] * pz);
    pts[k + 2] = pts[k + 2]! + t[2] + (w[0] * py - w[1] * px);
  }
}

/** Gaussian elimination with partial pivoting; null when singular. */
function solveDense(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[n * r + c]!) > Math.abs(M[n * piv + c]!)) piv = r;
    if (!(Math.abs(M[n * piv + c]!) > 1e-12)) return null;
    if (piv !== c) {
      for (let j = 0; j < n; j++) [M[n * c + j], M[n * piv + j]] = [M[n * piv + j]!, M[n * c + j]!];
      [x[c], x[piv]] = [x[piv]!, x[c]!];
    }
    for (let r = c + 1; r < n; r++) {
      const f = M[n * r + c]! / M[n * c + c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) M[n * r + j]! -= f * M[n * c + j]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let v = x[r]!;
    for (let j = r + 1; j < n; j++) v -= M[n * r + j]! * x[j]!;
    x[r] = v / M[n * r + r]!;
  }
  return x;
}

/**
 * Whether a point lies inside every given scan grid, `margin_mm` from its faces (voxel
 * centres span the grid: index 0 .. dims − 1 along each axis).
 */
export function insideScans(grids: readonly Grid[], margin_mm: number): (x: number, y: number, z: number) => boolean {
  const q: Vec3 = [0, 0, 0];
  return (x, y, z) =>
    grids.every((g) => {
      physicalToIndex(g, x, y, z, q);
      for (let i = 0; i < 3; i++) {
        const m = margin_mm / g.spacing_mm[i]!;
        if (!(q[i]! >= m && q[i]! <= g.dims[i]! - 1 - m)) return false;
      }
      return true;
    });
}

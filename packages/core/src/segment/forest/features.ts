/**
 * Per-voxel features of the forest, computed on a working grid of about 1.5 mm (integer
 * block means of the scan), with every scale in millimetres so a 3 mm abdomen and a
 * 0.5 mm head give comparable features: HU, Gaussian-smoothed HU at σ 1, 2, 4, 8 mm,
 * gradient magnitude, local min/max over ±3 and ±8 mm, the fraction of bone-like voxels
 * (> 200 HU) around the voxel (σ 3 and 8 mm), the position normalised to the body's
 * bounding box (LPS x and y: left–right and front–back), the depth below the body
 * surface, and a difference of Gaussians. Position along z is left out on purpose: the
 * scans' fields of view differ (an abdomen, a 4 cm slab), so a normalised z would name
 * bones by where the scan happens to stop.
 */
import type { Grid, Vec3 } from '../../geometry/grid.js';
import { indexToPhysical, voxelCount } from '../../geometry/grid.js';
import type { Volume } from '../../geometry/types.js';
import type { WorkerPool } from '../../parallel/pool.js';
import { sharedFloat32 } from '../../parallel/pool.js';
import { gaussianPass, gaussianWeights, type GaussianPassPayload } from '../filters/gaussian.js';
import { toShared } from '../filters/slabs.js';
import { forestSlabs, planesPerPiece } from './slabs.js';
import { EDT_NONE, squaredDistanceToFeatures } from '../morphology-edt.js';
import {
  downsampleSlab,
  FOREST_DOWNSAMPLE_TASK,
  FOREST_GAUSS_TASK,
  FOREST_GRADIENT_TASK,
  FOREST_MINMAX_TASK,
  gradientSlab,
  minMaxPass,
  type DownsamplePayload,
  type GradientPayload,
  type MinMaxPayload,
} from './kernels.js';

export const BASE_FEATURES = [
  'hu',
  'gauss1',
  'gauss2',
  'gauss4',
  'gauss8',
  'gradient1',
  'max3',
  'min3',
  'max8',
  'min8',
  'boneFraction3',
  'boneFraction8',
  'posX',
  'posY',
  'depth',
  'dog1_8',
] as const;

/** Working grid spacing aimed at (mm): fine enough for ribs, coarse enough for 10 s on 2 cores. */
export const WORKING_SPACING_MM = 1.5;
/** HU above which a voxel counts as bone-like for the neighbourhood fractions. */
export const BONE_LIKE_HU = 200;
/** HU above which a voxel counts as body (not air) for the bounding box and depth. */
export const BODY_HU = -400;
/** Depth below the surface is capped here (mm): deeper is all "inside". */
export const DEPTH_CAP_MM = 100;

export interface WorkingGrid {
  grid: Grid;
  factor: Vec3;
}

/** The working grid of a scan: per axis an integer factor so spacing ≈ WORKING_SPACING_MM. */
export function workingGrid(native: Grid, target_mm = WORKING_SPACING_MM): WorkingGrid {
  const factor = native.spacing_mm.map((s) => Math.max(1, Math.round(target_mm / s))) as Vec3;
  const dims = native.dims.map((d, a) => Math.ceil(d / factor[a]!)) as Vec3;
  const spacing_mm = native.spacing_mm.map((s, a) => s * factor[a]!) as Vec3;
  const origin_mm = indexToPhysical(native, (factor[0] - 1) / 2, (factor[1] - 1) / 2, (factor[2] - 1) / 2);
  return { grid: { dims, spacing_mm, origin_mm, direction: [...native.direction] as Grid['direction'] }, factor };
}

/** Features of one scan: planes of x (feature f of voxel v at x[f·n + v]) with room for `extraPlanes` more. */
export interface FeatureSet {
  wg: WorkingGrid;
  n: number;
  x: Float32Array;
  planes: number;
}

function alloc(n: number, pool: WorkerPool | undefined): Float32Array {
  return pool ? sharedFloat32(n) : new Float32Array(n);
}

/** Two working-grid buffers that blurs and box filters reuse instead of allocating per call. */
export interface Scratch {
  a: Float32Array;
  b: Float32Array;
}

export function scratchFor(n: number, pool: WorkerPool | undefined): Scratch {
  return { a: alloc(n, pool), b: alloc(n, pool) };
}

/**
 * Separable Gaussian (σ in mm, one or per axis) of `src` into `dst`, on the pool when given: the last pass
 * writes `dst` directly, the others go through `scratch` (fresh buffers when none is given).
 */
export async function blurMm(src: Float32Array, dst: Float32Array, grid: Grid, sigma: number | Vec3, pool: WorkerPool | undefined, scratch?: Scratch): Promise<void> {
  const dims = grid.dims;
  const sigmaOf = (a: 0 | 1 | 2) => (typeof sigma === 'number' ? sigma : sigma[a]);
  const axes = ([0, 1, 2] as const).filter((a) => sigmaOf(a) / grid.spacing_mm[a] >= 0.1 && dims[a] !== 1);
  if (axes.length === 0) {
    dst.set(src);
    return;
  }
  const s = scratch ?? scratchFor(voxelCount(grid), pool);
  let from = src;
  for (let i = 0; i < axes.length; i++) {
    const axis = axes[i]!;
    const weights = gaussianWeights(sigmaOf(axis) / grid.spacing_mm[axis]);
    const out = i === axes.length - 1 ? dst : i === 0 ? s.a : s.b;
    const a = from;
    await forestSlabs<GaussianPassPayload>(pool, FOREST_GAUSS_TASK, gaussianPass, dims[2], planesPerPiece(dims[0] * dims[1]), (kStart, kEnd) => ({ src: a, dst: out, dims, axis, weights, kStart, kEnd }));
    from = out;
  }
}

/** Box min or max over ±r_mm (three separable passes). */
export async function boxMinMax(src: Float32Array, dst: Float32Array, grid: Grid, r_mm: number, max: boolean, pool: WorkerPool | undefined, scratch?: Scratch): Promise<void> {
  const dims = grid.dims;
  const tmp = scratch?.a ?? alloc(voxelCount(grid), pool);
  const order: Array<[Float32Array, Float32Array]> = [
    [src, dst],
    [dst, tmp],
    [tmp, dst],
  ];
  for (const axis of [0, 1, 2] as const) {
    const [a, b] = order[axis]!;
    const radius = Math.max(0, Math.round(r_mm / grid.spacing_mm[axis]));
    await forestSlabs<MinMaxPayload>(pool, FOREST_MINMAX_TASK, minMaxPass, dims[2], planesPerPiece(dims[0] * dims[1]), (kStart, kEnd) => ({ src: a, dst: b, dims, axis, radius, max, kStart, kEnd }));
  }
}

/** Value at quantile q of a sorted sample. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;
}

/**
 * The base features of `volume` on its working grid. Planes after the base ones are left
 * for the chained stage's context features.
 */
export async function computeFeatures(volume: Volume, extraPlanes: number, pool: WorkerPool | undefined): Promise<FeatureSet> {
  const wg = workingGrid(volume.grid);
  const g = wg.grid;
  const dims = g.dims;
  const n = voxelCount(g);
  const planes = BASE_FEATURES.length + extraPlanes;
  const x = pool ? sharedFloat32(n * planes) : new Float32Array(n * planes);
  const P = (name: (typeof BASE_FEATURES)[number]): Float32Array => {
    const f = BASE_FEATURES.indexOf(name);
    return x.subarray(f * n, (f + 1) * n);
  };
  const src = pool ? toShared(volume.data) : volume.data;
  const hu = P('hu');
  await forestSlabs<DownsamplePayload>(pool, FOREST_DOWNSAMPLE_TASK, downsampleSlab, dims[2], planesPerPiece(dims[0] * dims[1]), (kStart, kEnd) => ({
    src,
    srcDims: volume.grid.dims,
    dst: hu,
    dims,
    factor: wg.factor,
    kStart,
    kEnd,
  }));
  const scratch = scratchFor(n, pool);
  for (const s of [1, 2, 4, 8] as const) await blurMm(hu, P(`gauss${s}`), g, s, pool, scratch);
  const g1 = P('gauss1');
  await forestSlabs<GradientPayload>(pool, FOREST_GRADIENT_TASK, gradientSlab, dims[2], planesPerPiece(dims[0] * dims[1]), (kStart, kEnd) => ({ src: g1, dst: P('gradient1'), dims, spacing: g.spacing_mm, kStart, kEnd }));
  await boxMinMax(hu, P('max3'), g, 3, true, pool, scratch);
  await boxMinMax(hu, P('min3'), g, 3, false, pool, scratch);
  await boxMinMax(hu, P('max8'), g, 8, true, pool, scratch);
  await boxMinMax(hu, P('min8'), g, 8, false, pool, scratch);
  const boneLike = alloc(n, pool);
  for (let v = 0; v < n; v++) boneLike[v] = hu[v]! > BONE_LIKE_HU ? 1 : 0;
  await blurMm(boneLike, P('boneFraction3'), g, 3, pool, scratch);
  await blurMm(boneLike, P('boneFraction8'), g, 8, pool, scratch);
  const g8 = P('gauss8');
  const dog = P('dog1_8');
  for (let v = 0; v < n; v++) dog[v] = g1[v]! - g8[v]!;

  // Body: smoothed HU above BODY_HU. Its extent in LPS x and y from the 1st to the 99th
  // percentile of body voxels (a thin table or a cable does not stretch it).
  const g2 = P('gauss2');
  const body = new Uint8Array(n);
  let count = 0;
  for (let v = 0; v < n; v++) if (g2[v]! > BODY_HU) { body[v] = 1; count++; }
  const stepSample = Math.max(1, Math.floor(count / 200_000));
  const xs = new Float64Array(Math.ceil(count / stepSample) + 1);
  const ys = new Float64Array(xs.length);
  const [nx, ny] = dims;
  const d = g.direction;
  const o = g.origin_mm;
  const sp = g.spacing_mm;
  let m = 0;
  for (let v = 0, seen = 0; v < n; v++) {
    if (!body[v]) continue;
    if (seen++ % stepSample !== 0) continue;
    const i = v % nx;
    const j = Math.floor(v / nx) % ny;
    const k = Math.floor(v / (nx * ny));
    xs[m] = o[0] + i * sp[0] * d[0] + j * sp[1] * d[3] + k * sp[2] * d[6];
    ys[m] = o[1] + i * sp[0] * d[1] + j * sp[1] * d[4] + k * sp[2] * d[7];
    m++;
  }
  const xsS = xs.subarray(0, m).sort();
  const ysS = ys.subarray(0, m).sort();
  const x0 = quantile(xsS, 0.01);
  const x1 = quantile(xsS, 0.99);
  const y0 = quantile(ysS, 0.01);
  const y1 = quantile(ysS, 0.99);
  const ix = 1 / Math.max(1, x1 - x0);
  const iy = 1 / Math.max(1, y1 - y0);
  const posX = P('posX');
  const posY = P('posY');
  for (let v = 0; v < n; v++) {
    const i = v % nx;
    const j = Math.floor(v / nx) % ny;
    const k = Math.floor(v / (nx * ny));
    posX[v] = (o[0] + i * sp[0] * d[0] + j * sp[1] * d[3] + k * sp[2] * d[6] - x0) * ix;
    posY[v] = (o[1] + i * sp[0] * d[1] + j * sp[1] * d[4] + k * sp[2] * d[7] - y0) * iy;
  }
  // Depth: distance (mm) from a body voxel to the nearest non-body voxel; 0 outside.
  const outside = new Uint8Array(n);
  for (let v = 0; v < n; v++) outside[v] = body[v] ? 0 : 1;
  const d2 = squaredDistanceToFeatures(outside, dims, sp, undefined, DEPTH_CAP_MM * DEPTH_CAP_MM);
  const depth = P('depth');
  for (let v = 0; v < n; v++) depth[v] = d2[v]! >= EDT_NONE ? DEPTH_CAP_MM : Math.min(DEPTH_CAP_MM, Math.sqrt(d2[v]!));
  return { wg, n, x, planes };
}

/**
 * Exact Euclidean distance transform on an anisotropic 3D grid.
 *
 * Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions" (2012):
 * the squared EDT is separable, so three 1D passes (along i, j, k) of the lower
 * envelope of parabolas give the exact squared distance from every voxel centre to
 * the nearest feature voxel centre. Positions along an axis are q·spacing, so
 * anisotropic voxels are exact, not approximated.
 *
 * The i and j passes of one k-slice and the k pass of one j-row touch disjoint
 * data, so slabs of k (then of j) run independently on the worker pool; every line
 * is computed the same way whatever the slab split, so results are identical for
 * any pool size.
 */
import type { Vec3 } from '../geometry/grid.js';
import { slabRanges, sharedFloat32, type WorkerPool } from '../parallel/pool.js';

/** Scratch buffers for one 1D transform of up to `n` samples. */
interface Scratch {
  f: Float64Array;
  d: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

function scratch(n: number): Scratch {
  return { f: new Float64Array(n), d: new Float64Array(n), v: new Int32Array(n), z: new Float64Array(n + 1) };
}

/**
 * 1D squared distance transform of f (Infinity = no feature) with sample spacing s:
 * d[q] = min_p ((q − p)·s)² + f[p]. Writes d; returns false when the line has no feature.
 */
function transform1d(n: number, s: number, sc: Scratch): boolean {
  const { f, d, v, z } = sc;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    const xq = q * s;
    const hq = fq + xq * xq;
    let sx = -Infinity;
    while (k >= 0) {
      const p = v[k]!;
      const xp = p * s;
      sx = (hq - (f[p]! + xp * xp)) / (2 * (xq - xp));
      if (sx <= z[k]!) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : sx;
    z[k + 1] = Infinity;
  }
  if (k < 0) return false;
  let j = 0;
  for (let q = 0; q < n; q++) {
    const x = q * s;
    while (z[j + 1]! < x) j++;
    const p = v[j]!;
    const dx = x - p * s;
    d[q] = dx * dx + f[p]!;
  }
  return true;
}

/**
 * i and j passes over slices k ∈ [k0, k1). `out` holds 0 at features and Infinity
 * elsewhere on entry (set by the caller) and the 2D squared distances on exit.
 */
export function edtSlices(out: Float32Array, dims: Vec3, spacing: Vec3, k0: number, k1: number): void {
  const [nx, ny] = dims;
  const sc = scratch(Math.max(nx, ny));
  const { f, d } = sc;
  for (let k = k0; k < k1; k++) {
    const base = k * nx * ny;
    for (let j = 0; j < ny; j++) {
      const row = base + j * nx;
      for (let i = 0; i < nx; i++) f[i] = out[row + i]!;
      if (transform1d(nx, spacing[0], sc)) for (let i = 0; i < nx; i++) out[row + i] = d[i]!;
    }
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) f[j] = out[base + i + j * nx]!;
      if (transform1d(ny, spacing[1], sc)) for (let j = 0; j < ny; j++) out[base + i + j * nx] = d[j]!;
    }
  }
}

/** k pass over rows j ∈ [j0, j1); with `root`, takes the square root (mm) at the end. */
export function edtColumns(out: Float32Array, dims: Vec3, spacing: Vec3, j0: number, j1: number, root: boolean): void {
  const [nx, ny, nz] = dims;
  const sc = scratch(nz);
  const { f, d } = sc;
  const plane = nx * ny;
  for (let j = j0; j < j1; j++) {
    for (let i = 0; i < nx; i++) {
      const col = i + j * nx;
      for (let k = 0; k < nz; k++) f[k] = out[col + k * plane]!;
      const any = transform1d(nz, spacing[2], sc);
      for (let k = 0; k < nz; k++) {
        const v = any ? d[k]! : Infinity;
        out[col + k * plane] = root ? Math.sqrt(v) : v;
      }
    }
  }
}

function initField(feature: Uint8Array, out: Float32Array): void {
  for (let p = 0; p < feature.length; p++) out[p] = feature[p] ? 0 : Infinity;
}

function checkDims(feature: Uint8Array, dims: Vec3): void {
  if (feature.length !== dims[0] * dims[1] * dims[2]) throw new RangeError(`edt: mask has ${feature.length} voxels, dims ${dims.join('×')} need ${dims[0] * dims[1] * dims[2]}`);
}

/**
 * Exact Euclidean distance (mm, voxel centre to voxel centre) from every voxel to the
 * nearest voxel where `feature` is non-zero; Infinity everywhere when there is none.
 * `squared` returns squared mm instead.
 */
export function edt3d(feature: Uint8Array, dims: Vec3, spacing_mm: Vec3, opts: { squared?: boolean } = {}): Float32Array {
  checkDims(feature, dims);
  const out = new Float32Array(feature.length);
  initField(feature, out);
  edtSlices(out, dims, spacing_mm, 0, dims[2]);
  edtColumns(out, dims, spacing_mm, 0, dims[1], !opts.squared);
  return out;
}

/** edt3d on the worker pool (slabs of k, then of j). Same values as edt3d for any pool size. */
export async function edt3dParallel(feature: Uint8Array, dims: Vec3, spacing_mm: Vec3, pool: WorkerPool, opts: { squared?: boolean } = {}): Promise<Float32Array> {
  checkDims(feature, dims);
  if (pool.size <= 1) return edt3d(feature, dims, spacing_mm, opts);
  const out = sharedFloat32(feature.length);
  initField(feature, out);
  const parts = pool.size * 2;
  await Promise.all(slabRanges(dims[2], parts).map(([a, b]) => pool.run('evaluate.edtSlices', { out, dims, spacing: spacing_mm, a, b })));
  await Promise.all(slabRanges(dims[1], parts).map(([a, b]) => pool.run('evaluate.edtColumns', { out, dims, spacing: spacing_mm, a, b, root: !opts.squared })));
  return out;
}

/**
 * Boundary voxels of a binary mask: foreground voxels with at least one background
 * 6-neighbour (a neighbour outside the grid counts as background).
 */
export function surfaceMask(mask: Uint8Array, dims: Vec3): Uint8Array {
  checkDims(mask, dims);
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const out = new Uint8Array(mask.length);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let p = k * plane + j * nx;
      for (let i = 0; i < nx; i++, p++) {
        if (!mask[p]) continue;
        if (
          i === 0 || i === nx - 1 || j === 0 || j === ny - 1 || k === 0 || k === nz - 1 ||
          !mask[p - 1] || !mask[p + 1] || !mask[p - nx] || !mask[p + nx] || !mask[p - plane] || !mask[p + plane]
        ) out[p] = 1;
      }
    }
  }
  return out;
}

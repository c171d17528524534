/**
 * Hole filling (SPEC §1 step 4 clean-up; ISO/IEC 3532-2 post-processing).
 *
 * 3D: a hole is background not connected to the grid border through background
 * (6-connected background, the dual of a 26-connected object), i.e. an enclosed
 * cavity: background components that touch no face of the grid are filled.
 * 2D: the same per slice along a chosen axis (4-connected background within the
 * slice): fills the marrow of a bone cut by the slice even where the cavity opens to
 * the outside through other slices (a vertebral body's cancellous core, a skull's
 * diploë seen through a foramen).
 *
 * Both label the background by runs along a row (components-runs.ts): no per-voxel
 * objects, deterministic.
 */
import type { Vec3 } from '../geometry/grid.js';
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { usageError } from '../errors.js';
import { foregroundMask } from './components.js';
import { extractRuns, extractZeroRuns, runRoots, SliceRuns, wordsOf, type Runs } from './components-runs.js';

/**
 * Fills enclosed 3D cavities of `mask` in place (non-zero = object) and returns the
 * number of voxels filled. Filled voxels are set to 1. Implemented as 6-connected
 * labelling of the background's runs along i (components-runs.ts) and filling every
 * background component that touches no face of the grid.
 */
export function fillHoles3DMask(mask: Uint8Array, dims: Vec3): number {
  const [nx, ny, nz] = dims;
  const runs = extractZeroRuns(mask, dims);
  const root = runRoots(runs, dims, 6);
  const outside = new Uint8Array(runs.count);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const r = j + k * ny;
      const face = k === 0 || k === nz - 1 || j === 0 || j === ny - 1;
      for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
        if (face || runs.start[t] === 0 || runs.end[t] === nx) outside[root[t]!] = 1;
      }
    }
  }
  let filled = 0;
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      if (outside[root[t]!]) continue;
      mask.fill(1, base + runs.start[t]!, base + runs.end[t]!);
      filled += runs.end[t]! - runs.start[t]!;
    }
  }
  return filled;
}

/**
 * The slices perpendicular to `axis`: in-plane axes u (the lower of the other two) and v, their
 * sizes and strides, and the stride and count of the slices themselves.
 */
export function sliceAxes(dims: Vec3, axis: 0 | 1 | 2): { nu: number; nv: number; su: number; sv: number; sw: number; nw: number } {
  const strides = [1, dims[0], dims[0] * dims[1]];
  const ua = axis === 0 ? 1 : 0;
  const va = axis === 2 ? 1 : 2;
  return { nu: dims[ua]!, nv: dims[va]!, su: strides[ua]!, sv: strides[va]!, sw: strides[axis]!, nw: dims[axis]! };
}

/**
 * Fills holes per 2D slice perpendicular to `axis` (0 = i, 1 = j, 2 = k: axial for an
 * axial series) in place; returns the number of voxels filled. Each slice's background
 * (4-connected) is labelled by runs, and runs of components touching no slice edge are
 * filled.
 */
export function fillHoles2DMask(mask: Uint8Array, dims: Vec3, axis: 0 | 1 | 2 = 2): number {
  const { nu, nv, su, sv, sw, nw } = sliceAxes(dims, axis);
  const plane = new Uint8Array(nu * nv);
  const planeDims: Vec3 = [nu, nv, 1];
  // Rows along i are read in place (a slice's own filling comes after its runs are read).
  const w32 = su === 1 ? wordsOf(mask) : undefined;
  const slice = new SliceRuns(nv);
  let filled = 0;
  // per-slice arrays, reused (grown when a slice has more runs)
  let rootBuf = new Int32Array(1024);
  let outside = new Uint8Array(1024);
  for (let w = 0; w < nw; w++) {
    const off = w * sw;
    let runs: Runs;
    if (w32) runs = slice.fill(mask, w32, off, sv, nu, nv);
    else {
      // The slice's background, as a contiguous u-fastest plane.
      for (let v = 0; v < nv; v++) for (let u = 0; u < nu; u++) plane[u + v * nu] = mask[off + u * su + v * sv] === 0 ? 1 : 0;
      runs = extractRuns(plane, planeDims);
    }
    if (rootBuf.length < runs.count) [rootBuf, outside] = [new Int32Array(2 * runs.count), new Uint8Array(2 * runs.count)];
    const root = runRoots(runs, planeDims, 6, rootBuf);
    outside.fill(0, 0, runs.count);
    for (let v = 0; v < nv; v++) {
      const edge = v === 0 || v === nv - 1;
      for (let t = runs.rowStart[v]!; t < runs.rowStart[v + 1]!; t++) {
        if (edge || runs.start[t] === 0 || runs.end[t] === nu) outside[root[t]!] = 1;
      }
    }
    for (let v = 0; v < nv; v++) {
      for (let t = runs.rowStart[v]!; t < runs.rowStart[v + 1]!; t++) {
        if (outside[root[t]!]) continue;
        const u0 = runs.start[t]!;
        const u1 = runs.end[t]!;
        for (let u = u0; u < u1; u++) mask[off + u * su + v * sv] = 1;
        filled += u1 - u0;
      }
    }
  }
  return filled;
}

export interface FillHolesParams {
  /** '3d' cavities, '2d' per slice, or 'both' (3D then 2D; default). */
  mode?: '3d' | '2d' | 'both';
  /** Slice axes for 2D filling (default [2]: per axial slice of an axial series). */
  axes?: Array<0 | 1 | 2>;
  /** Label value given to filled voxels (default 1). */
  label?: number;
}

/** Clean-up stage: fill holes; existing labels are kept, filled voxels get `label`. */
export function fillHoles(labels: LabelMap, _volume: Volume | undefined, params: FillHolesParams, _ctx: StageContext = {}): StageResult<LabelMap> {
  return timed(() => {
    const mode = params.mode ?? 'both';
    const axes = params.axes ?? [2];
    const label = params.label ?? 1;
    if (mode !== '3d' && mode !== '2d' && mode !== 'both') throw usageError('BAD_FILL_MODE', `fill-holes mode must be 3d, 2d or both (got ${String(mode)})`);
    for (const a of axes) if (a !== 0 && a !== 1 && a !== 2) throw usageError('BAD_AXIS', `fill-holes axis must be 0, 1 or 2 (got ${String(a)})`);
    const max = labels.data instanceof Uint8Array ? 255 : 65535;
    if (!(Number.isInteger(label) && label >= 1 && label <= max)) throw usageError('BAD_LABEL', `fill label must be an integer 1..${max} (got ${label})`);
    const g = labels.grid;
    const mask = foregroundMask(labels);
    let filled3d = 0;
    const filled2d: Record<string, number> = {};
    if (mode !== '2d') filled3d = fillHoles3DMask(mask, g.dims);
    if (mode !== '3d') for (const a of axes) filled2d[`axis${a}`] = fillHoles2DMask(mask, g.dims, a);
    const src = labels.data;
    const data = src.slice();
    for (let p = 0; p < src.length; p++) if (mask[p] !== 0 && src[p] === 0) data[p] = label;
    const total = filled3d + Object.values(filled2d).reduce((a, b) => a + b, 0);
    const vv = voxelVolume_mm3(g);
    return {
      output: { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) },
      record: {
        stage: 'segment',
        method: 'fill-holes',
        params: { mode, axes, label, backgroundConnectivity3d: 6, backgroundConnectivity2d: 4 },
        figures: {
          filled3d_voxels: filled3d,
          filled2d_voxels: filled2d,
          filled_voxels: total,
          filled_mm3: round(total * vv, 1),
        },
      },
    };
  });
}

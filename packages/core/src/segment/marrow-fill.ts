/**
 * Marrow fill: a bone threshold keeps the dense cortex and trabeculae but not the
 * marrow (fatty/red marrow, −100..+150 HU), so a femur comes out as a tube and a
 * vertebral body as a shell. Reference segmentations (TotalSegmentator, a surgeon's
 * model) label whole bones. Filling every per-slice hole fixes the bones but also
 * fills the brain where an axial slice cuts the skull near its top or base, and the
 * pelvis or a ribcage where the slice is closed by bone — a skull model must never
 * be filled with brain.
 *
 * What tells marrow from brain here is its 3-D shape, not one slice:
 *   1. per slice (perpendicular to each chosen axis) the background is labelled
 *      (4-connected); a component that touches no slice edge is a hole, small when
 *      its area is ≤ maxSliceHole_mm2, large otherwise;
 *   2. the hole voxels of all slices (small and large) are labelled in 3-D
 *      (6-connected); a 3-D component is filled only when none of its voxels lies in
 *      a large hole of any slice (the brain near the vertex is a small hole in the top
 *      slices but joins the large holes of the slices through the middle; so does the
 *      pelvic cavity), its volume is ≤ maxVolume_mm3 and its mean HU is in meanHu
 *      (marrow, not air, not contrast or dense tissue).
 * Everything works on runs along i (components-runs.ts; step 1 in marrow-slices.ts) and
 * touches each voxel a fixed number of times: linear time, deterministic.
 */
import type { Vec3 } from '../geometry/grid.js';
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { usageError } from '../errors.js';
import { extractRuns, runRoots, skipNonZeros, skipZeros, wordsOf } from './components-runs.js';
import { classifySliceHoles, LARGE, type MaskView } from './marrow-slices.js';

export { classifySliceHoles };

export interface MarrowFillParams {
  /** Largest per-slice hole (mm²) that can be marrow (default 2000 = 20 cm²: a femoral shaft is ~3–6 cm²). */
  maxSliceHole_mm2?: number;
  /** Largest 3-D cavity (mm³) that is filled (default 200 000 = 200 cm³; a femoral canal is ~20–60 cm³). */
  maxVolume_mm3?: number;
  /** Mean HU a cavity must have to be filled (default [−200, 300]). */
  meanHu?: [number, number];
  /** Slice axes whose holes are considered (default [2]: axial for an axial series). */
  axes?: Array<0 | 1 | 2>;
  /** A voxel is filled only when it lies in a small hole of at least this many of the axes (default 1). */
  minAxes?: number;
  /**
   * Label value given to every filled voxel. Default: the label of the bone around it (from
   * the cavity wall inwards, the majority of each voxel's labelled 6-neighbours), so a
   * bone-group label map (forest) keeps the vertebra or femur its marrow sits in.
   */
  label?: number;
}

export const MARROW_FILL_DEFAULTS = { maxSliceHole_mm2: 2000, maxVolume_mm3: 200_000, meanHu: [-200, 300] as [number, number], axes: [0, 1, 2] as Array<0 | 1 | 2>, minAxes: 2 };

export interface MarrowFillFigures {
  candidates: number;
  accepted: number;
  rejectedLarge: number;
  rejectedVolume: number;
  rejectedHu: number;
  filled_voxels: number;
}

/** One past the last index in [a, end) whose byte is non-zero, else a (`w32` = wordsOf(buf)). */
function lastNonZero(buf: Uint8Array, w32: Uint32Array, a: number, end: number): number {
  let i = end;
  for (; i > a && (i & 3) !== 0; i--) if (buf[i - 1] !== 0) return i;
  while (i - 4 >= a && w32[(i - 4) >>> 2] === 0) i -= 4;
  while (i > a && buf[i - 1] === 0) i--;
  return i;
}

/**
 * Bounding box [lo, hi) of the non-zero voxels, or undefined when there are none. A byte
 * mask is scanned four voxels to a word from both ends of each row: most rows are air.
 */
function maskBounds(mask: Uint8Array | Uint16Array, dims: Vec3): { lo: Vec3; hi: Vec3 } | undefined {
  const [nx, ny, nz] = dims;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [0, 0, 0];
  const bytes = mask instanceof Uint8Array ? mask : undefined;
  const w32 = bytes ? wordsOf(bytes) : undefined;
  for (let k = 0, q = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++, q += nx) {
      let i0 = 0;
      let i1 = nx;
      if (w32) {
        i0 = skipZeros(bytes!, w32, q, q + nx) - q;
        if (i0 === nx) continue;
        i1 = lastNonZero(bytes!, w32, q + i0, q + nx) - q;
      } else {
        while (i0 < nx && mask[q + i0] === 0) i0++;
        if (i0 === nx) continue;
        while (mask[q + i1 - 1] === 0) i1--;
      }
      if (i0 < lo[0]) lo[0] = i0;
      if (i1 > hi[0]) hi[0] = i1;
      if (j < lo[1]) lo[1] = j;
      if (j + 1 > hi[1]) hi[1] = j + 1;
      if (k < lo[2]) lo[2] = k;
      hi[2] = k + 1;
    }
  }
  return hi[2] === 0 ? undefined : { lo, hi };
}

/**
 * Fills marrow cavities of `mask` in place (see the file comment); `hu` is the CT on
 * the same grid. Returns the figures.
 */
export function fillMarrowMask(mask: Uint8Array, hu: ArrayLike<number>, dims: Vec3, spacing: Vec3, params: MarrowFillParams = {}): MarrowFillFigures {
  return marrowCavities(mask, hu, dims, spacing, params, () => (q) => (mask[q] = 1));
}

/**
 * The marrow voxels of the non-zero voxels of `src` (a mask or a label map: it is only
 * read), each passed to the function `fillFor` returns (grid index, in memory order);
 * `fillFor` is given the largest value in `src`, read on the way. A slice's holes lie inside
 * the bounding box of the mask, so the work is done on that box only; reading the labels
 * directly spares a full-grid mask (fresh memory is what costs most on a loaded host).
 */
function marrowCavities(
  src: Uint8Array | Uint16Array,
  hu: ArrayLike<number>,
  dims: Vec3,
  spacing: Vec3,
  params: MarrowFillParams,
  fillFor: (maxLabel: number) => (q: number) => void,
): MarrowFillFigures {
  const p = { ...MARROW_FILL_DEFAULTS, ...params };
  const f: MarrowFillFigures = { candidates: 0, accepted: 0, rejectedLarge: 0, rejectedVolume: 0, rejectedHu: 0, filled_voxels: 0 };
  const box = maskBounds(src, dims);
  if (!box) return f;
  const [NX, NY] = dims;
  // A box width of a multiple of 4 lets slices across i be read a word at a time
  // (marrow-slices.ts). The added columns are background that touches the box's edge in
  // every slice, so no hole changes.
  // Read in place (below), the box also starts on a word of the grid, for the same reason.
  const inPlace = src instanceof Uint8Array && src.byteOffset % 4 === 0 && NX % 4 === 0;
  if (inPlace) box.lo[0] -= box.lo[0] % 4;
  while ((box.hi[0] - box.lo[0]) % 4 !== 0 && box.hi[0] < NX) box.hi[0]++;
  while ((box.hi[0] - box.lo[0]) % 4 !== 0 && box.lo[0] > 0) box.lo[0]--;
  const [x0, y0, z0] = box.lo;
  const sub: Vec3 = [box.hi[0] - x0, box.hi[1] - y0, box.hi[2] - z0];
  const [nx, ny, nz] = sub;
  // Voxel (i, j, k) of the box is voxel full(r) + i of the grid, r = j + k·ny.
  const full = (r: number) => x0 + (y0 + (r % ny)) * NX + (z0 + Math.floor(r / ny)) * NX * NY;
  let maxLabel = 0;
  const bytes = src instanceof Uint8Array ? src : undefined;
  const w32 = bytes ? wordsOf(bytes) : undefined;
  // A word-aligned byte map is read in place by the slices (no copy of the box: fresh memory
  // is what costs most on a loaded host); anything else is copied into a 0/1 box mask.
  const view: MaskView | undefined = inPlace ? { buf: bytes!, off: full(0), sj: NX, sk: NX * NY } : undefined;
  const m = view ? bytes! : new Uint8Array(nx * ny * nz);
  for (let r = 0; r < ny * nz; r++) {
    const g = full(r);
    const o = r * nx - g;
    if (w32) {
      // word-skipping the air; the runs of bone are copied unless read in place
      for (let i = g; i < g + nx; ) {
        i = skipZeros(bytes!, w32, i, g + nx);
        const e = skipNonZeros(bytes!, w32, i, g + nx);
        if (!view && e > i) m.fill(1, o + i, o + e);
        for (; i < e; i++) if (src[i]! > maxLabel) maxLabel = src[i]!;
      }
    } else {
      for (let i = g; i < g + nx; i++) {
        const x = src[i]!;
        if (x === 0) continue;
        m[o + i] = 1;
        if (x > maxLabel) maxLabel = x;
      }
    }
  }
  const cls = new Uint8Array(nx * ny * nz);
  for (const a of p.axes) {
    const pixel = a === 0 ? spacing[1] * spacing[2] : a === 1 ? spacing[0] * spacing[2] : spacing[0] * spacing[1];
    classifySliceHoles(m, sub, a, p.maxSliceHole_mm2 / pixel, cls, view);
  }
  const runs = extractRuns(cls, sub);
  const root = runRoots(runs, sub, 6);
  const count = new Float64Array(runs.count);
  const sum = new Float64Array(runs.count);
  const large = new Uint8Array(runs.count);
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    const g = full(r);
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      const c = root[t]!;
      // A cavity with a voxel in a large hole is rejected whatever its size and HU: once
      // one is seen, the rest of it (the brain, mostly) is not summed.
      if (large[c]) continue;
      let s = 0;
      const e = runs.end[t]!;
      for (let i = runs.start[t]!; i < e; i++) {
        s += hu[g + i]!;
        if (cls[base + i]! >= LARGE) {
          large[c] = 1;
          break;
        }
      }
      sum[c]! += s;
      count[c]! += e - runs.start[t]!;
    }
  }
  const vv = spacing[0] * spacing[1] * spacing[2];
  const accept = new Uint8Array(runs.count);
  for (let t = 0; t < runs.count; t++) {
    if (root[t] !== t) continue;
    f.candidates++;
    const mean = sum[t]! / count[t]!;
    if (large[t]) f.rejectedLarge++;
    else if (count[t]! * vv > p.maxVolume_mm3) f.rejectedVolume++;
    else if (!(mean >= p.meanHu[0] && mean <= p.meanHu[1])) f.rejectedHu++;
    else {
      accept[t] = 1;
      f.accepted++;
    }
  }
  const minAxes = Math.max(1, p.minAxes);
  const fill = fillFor(maxLabel);
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    const g = full(r);
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      if (!accept[root[t]!]) continue;
      for (let i = runs.start[t]!; i < runs.end[t]!; i++) {
        if ((cls[base + i]! & (LARGE - 1)) < minAxes) continue;
        fill(g + i);
        f.filled_voxels++;
      }
    }
  }
  return f;
}

/**
 * Names filled voxels (0 in `data`, listed in `filled`) after the bone around them, in rounds
 * from the cavity wall inwards: a voxel takes the label most of its labelled 6-neighbours
 * carry (ties to the lower label), judged on the labels of the round before, so the result
 * does not depend on the order of the voxels. A cavity spanning two bones (a vertebral body
 * the forest names partly thoracic, partly lumbar) is split where its walls change name.
 */
function nameFromWalls(data: Uint8Array | Uint16Array, dims: Vec3, filled: number[]): void {
  const [nx, ny, nz] = dims;
  const sxy = nx * ny;
  let todo = filled;
  const votes = new Map<number, number>();
  while (todo.length > 0) {
    const named: number[] = [];
    const rest: number[] = [];
    for (const q of todo) {
      const i = q % nx;
      const j = Math.floor(q / nx) % ny;
      const k = Math.floor(q / sxy);
      votes.clear();
      const see = (r: number) => {
        const l = data[r]!;
        if (l) votes.set(l, (votes.get(l) ?? 0) + 1);
      };
      if (i > 0) see(q - 1);
      if (i < nx - 1) see(q + 1);
      if (j > 0) see(q - nx);
      if (j < ny - 1) see(q + nx);
      if (k > 0) see(q - sxy);
      if (k < nz - 1) see(q + sxy);
      let best = 0;
      let bestN = 0;
      for (const [l, n] of votes) if (n > bestN || (n === bestN && l < best)) [best, bestN] = [l, n];
      if (best) named.push(q, best);
      else rest.push(q);
    }
    // Nothing reached the rest (cannot happen for a cavity of the mask: its wall is bone).
    if (named.length === 0) {
      for (const q of rest) data[q] = 1;
      return;
    }
    for (let t = 0; t < named.length; t += 2) data[named[t]!] = named[t + 1]!;
    todo = rest;
  }
}

/**
 * Clean-up stage: fill marrow cavities; existing labels are kept, filled voxels get `label`,
 * or by default the label of the bone around their cavity. With `inPlace` the output is
 * written into `labels.data` (which the caller no longer needs).
 */
export function fillMarrow(labels: LabelMap, volume: Volume | undefined, params: MarrowFillParams, _ctx: StageContext = {}, inPlace = false): StageResult<LabelMap> {
  return timed(() => {
    if (!volume) throw usageError('MARROW_NEEDS_CT', 'marrow filling needs the CT volume (mean HU of each cavity)');
    const p = { ...MARROW_FILL_DEFAULTS, ...params };
    const label = params.label;
    for (const a of p.axes) if (a !== 0 && a !== 1 && a !== 2) throw usageError('BAD_AXIS', `marrow-fill axis must be 0, 1 or 2 (got ${String(a)})`);
    const max = labels.data instanceof Uint8Array ? 255 : 65535;
    if (label !== undefined && !(Number.isInteger(label) && label >= 1 && label <= max)) throw usageError('BAD_LABEL', `fill label must be an integer 1..${max} (got ${String(label)})`);
    if (!(p.maxSliceHole_mm2 > 0 && p.maxVolume_mm3 > 0)) throw usageError('BAD_OPTION', 'marrow-fill limits must be positive');
    const g = labels.grid;
    // Every filled voxel is a hole, so background in `labels`: it gets a label, the rest is kept.
    // `inPlace`: the caller gives the labels' buffer up (runCleanup, for a map a step before
    // made), so no copy of the whole grid; the cavities are all found before any is filled.
    const data = inPlace ? labels.data : labels.data.slice();
    const filled: number[] = [];
    // A binary mask (every label 1) needs no naming: every wall votes 1, so each filled
    // voxel gets 1, as nameFromWalls would give it.
    const fillFor = (maxLabel: number) => (label !== undefined || maxLabel <= 1 ? (q: number) => (data[q] = label ?? 1) : (q: number) => filled.push(q));
    const figures = marrowCavities(labels.data, volume.data, g.dims, g.spacing_mm, p, fillFor);
    nameFromWalls(data, g.dims, filled);
    return {
      output: { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) },
      record: {
        stage: 'segment',
        method: 'marrow-fill',
        params: { maxSliceHole_mm2: p.maxSliceHole_mm2, maxVolume_mm3: p.maxVolume_mm3, meanHu: p.meanHu, axes: p.axes, minAxes: p.minAxes, label: label ?? 'surrounding bone (majority of the labelled 6-neighbours, from the wall inwards)', sliceConnectivity: 4, cavityConnectivity: 6 },
        figures: { ...figures, filled_mm3: round(figures.filled_voxels * voxelVolume_mm3(g), 1) },
      },
    };
  });
}

/**
 * Crop to a box given in voxel indices (min inclusive, max exclusive) or in LPS mm
 * (any two opposite corners; every voxel whose centre lies inside is kept). On a grid whose
 * axes are not the patient's (a tilt-corrected series is resampled along the slice normal)
 * the mm box is a turned box of voxels: the crop is the index box holding all eight of its
 * corners, and a voxel of it whose centre lies outside the mm box is set to air (-1024 HU,
 * as outside the acquired field) or background. Two corners alone cropped a different
 * region (z 40-55 mm asked on the GE tilt series gave a model from z -23 to 110). The cropped
 * grid's origin is the physical position of the first kept voxel, so coordinates are
 * unchanged. `pasteLabels` puts a cropped label map back on the full grid, so labels
 * computed on a crop can be written aligned with the source series.
 */
import type { LabelMap, Volume } from '../../geometry/types.js';
import type { Grid, Vec3 } from '../../geometry/grid.js';
import { indexToPhysical, physicalToIndex } from '../../geometry/grid.js';
import type { StageResult } from '../../pipeline/record.js';
import { timed } from '../../pipeline/record.js';
import { usageError } from '../../errors.js';

/** What a crop puts outside the mm box on a turned grid: air, as outside the acquired field. */
const AIR_HU = -1024;

export type CropBox = { min_ijk: Vec3; max_ijk: Vec3 } | { corner1_mm: Vec3; corner2_mm: Vec3 };

/** Index bounds [lo, hi) of a box on a grid, clamped to the grid. */
export function cropBounds(grid: Grid, box: CropBox): { lo: Vec3; hi: Vec3 } {
  let lo: Vec3;
  let hi: Vec3;
  if ('min_ijk' in box) {
    lo = box.min_ijk.map((x, a) => Math.max(0, Math.min(grid.dims[a]!, Math.round(x)))) as Vec3;
    hi = box.max_ijk.map((x, a) => Math.max(0, Math.min(grid.dims[a]!, Math.round(x)))) as Vec3;
  } else {
    const corners = mmCorners(box).map((c) => physicalToIndex(grid, ...c));
    lo = [0, 1, 2].map((i) => Math.max(0, Math.ceil(Math.min(...corners.map((c) => c[i]!)) - 1e-6))) as Vec3;
    hi = [0, 1, 2].map((i) => Math.min(grid.dims[i]!, Math.floor(Math.max(...corners.map((c) => c[i]!)) + 1e-6) + 1)) as Vec3;
  }
  if (lo.some((x, a) => hi[a]! <= x)) {
    throw usageError('EMPTY_CROP', `crop box leaves no voxels (index range ${lo.join(',')} .. ${hi.join(',')} on a ${grid.dims.join('×')} grid)`);
  }
  return { lo, hi };
}

/** A note when an index box reached past the grid and was cut to it (it was cut without a word). */
function clampedNote(grid: Grid, box: CropBox, lo: Vec3, hi: Vec3): { notes?: string[] } {
  if (!('min_ijk' in box)) return {};
  const asked = [...box.min_ijk, ...box.max_ijk].map((x) => Math.round(x));
  const got = [...lo, ...hi];
  if (asked.every((x, i) => x === got[i])) return {};
  return { notes: [`the crop box ${asked.join(',')} reaches past the ${grid.dims.join('×')} grid: cut to ${got.join(',')}`] };
}

/** The eight corners of a box given by two opposite corners in mm. */
function mmCorners(box: { corner1_mm: Vec3; corner2_mm: Vec3 }): Vec3[] {
  const [a, b] = [box.corner1_mm, box.corner2_mm];
  const out: Vec3[] = [];
  for (let m = 0; m < 8; m++) out.push([m & 1 ? b[0] : a[0], m & 2 ? b[1] : a[1], m & 4 ? b[2] : a[2]]);
  return out;
}

/** Whether the grid's axes are the patient's (each direction a ± unit axis): then the index box is the mm box. */
function axisAligned(grid: Grid): boolean {
  return grid.direction.every((x) => Math.abs(x) < 1e-9 || Math.abs(Math.abs(x) - 1) < 1e-9);
}

/** Sets `fill` at the voxels of a cropped grid whose centre lies outside the mm box (turned grids only). */
function maskOutside<T extends Float32Array | Int16Array | Uint8Array | Uint16Array>(data: T, grid: Grid, box: CropBox, fill: number): T {
  if ('min_ijk' in box || axisAligned(grid)) return data;
  const lo = [0, 1, 2].map((i) => Math.min(box.corner1_mm[i]!, box.corner2_mm[i]!) - 1e-6);
  const hi = [0, 1, 2].map((i) => Math.max(box.corner1_mm[i]!, box.corner2_mm[i]!) + 1e-6);
  const [nx, ny, nz] = grid.dims;
  // One reused point per row, stepped along i: no object per voxel.
  const d = grid.direction;
  const step = [0, 1, 2].map((a) => grid.spacing_mm[0] * d[a]!);
  const at: Vec3 = [0, 0, 0];
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      indexToPhysical(grid, 0, j, k, at);
      let [x, y, z] = at;
      for (let i = 0; i < nx; i++, p++) {
        if (x < lo[0]! || x > hi[0]! || y < lo[1]! || y > hi[1]! || z < lo[2]! || z > hi[2]!) data[p] = fill as never;
        x += step[0]!;
        y += step[1]!;
        z += step[2]!;
      }
    }
  }
  return data;
}

function subGrid(grid: Grid, lo: Vec3, hi: Vec3): Grid {
  return {
    dims: [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]],
    spacing_mm: [...grid.spacing_mm] as Vec3,
    origin_mm: indexToPhysical(grid, lo[0], lo[1], lo[2]),
    direction: [...grid.direction] as Grid['direction'],
  };
}

function copyBox<T extends Float32Array | Int16Array | Uint8Array | Uint16Array>(src: T, dims: Vec3, lo: Vec3, hi: Vec3): T {
  const [nx, ny] = dims;
  const ox = hi[0] - lo[0];
  const oy = hi[1] - lo[1];
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(ox * oy * (hi[2] - lo[2]));
  let o = 0;
  for (let k = lo[2]; k < hi[2]; k++) {
    for (let j = lo[1]; j < hi[1]; j++) {
      const s = lo[0] + j * nx + k * nx * ny;
      out.set(src.subarray(s, s + ox) as never, o);
      o += ox;
    }
  }
  return out;
}

export function cropVolume(volume: Volume, box: CropBox): StageResult<Volume> {
  return timed(() => {
    const { lo, hi } = cropBounds(volume.grid, box);
    const grid = subGrid(volume.grid, lo, hi);
    return {
      output: { grid, data: maskOutside(copyBox(volume.data, volume.grid.dims, lo, hi), grid, box, AIR_HU) },
      record: {
        stage: 'preprocess',
        method: 'crop',
        params: { box },
        figures: { indexMin: lo, indexMaxExclusive: hi, dimsBefore: [...volume.grid.dims], dimsAfter: [...grid.dims] },
        ...(clampedNote(volume.grid, box, lo, hi)),
      },
    };
  });
}

export function cropLabels(labels: LabelMap, box: CropBox): LabelMap {
  const { lo, hi } = cropBounds(labels.grid, box);
  const grid = subGrid(labels.grid, lo, hi);
  return { grid, data: maskOutside(copyBox(labels.data, labels.grid.dims, lo, hi), grid, box, 0), ...(labels.labels ? { labels: labels.labels } : {}) };
}

/** Places `labels` (a crop at index offset `lo` of `full`) on the full grid; 0 elsewhere. */
export function pasteLabels(labels: LabelMap, full: Grid, lo: Vec3): LabelMap {
  return { grid: full, data: pasteBox(labels.data, labels.grid.dims, full.dims, lo), ...(labels.labels ? { labels: labels.labels } : {}) };
}

/** Places a cropped volume (e.g. a probability field) on the full grid, `fill` elsewhere. */
export function pasteVolume(volume: Volume, full: Grid, lo: Vec3, fill = 0): Volume {
  return { grid: full, data: pasteBox(volume.data, volume.grid.dims, full.dims, lo, fill) };
}

function pasteBox<T extends Float32Array | Int16Array | Uint8Array | Uint16Array>(src: T, dims: Vec3, fullDims: Vec3, lo: Vec3, fill = 0): T {
  const [nx, ny] = fullDims;
  const [cx, cy, cz] = dims;
  const Ctor = src.constructor as new (n: number) => T;
  const out = new Ctor(nx * ny * fullDims[2]);
  if (fill !== 0) out.fill(fill as never);
  for (let k = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      const s = (k * cy + j) * cx;
      out.set(src.subarray(s, s + cx) as never, lo[0] + (lo[1] + j) * nx + (lo[2] + k) * nx * ny);
    }
  }
  return out;
}

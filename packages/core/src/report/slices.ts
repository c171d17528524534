/**
 * Axial, coronal and sagittal report images: the HU volume in a window with the
 * segmentation contour drawn over it. The label map may be on another grid
 * (e.g. resampled isotropic): labels are looked up at the same physical point.
 * Pixels are square in millimetres (the slice is resampled for display), and the
 * orientation follows radiological convention: patient left on the image right,
 * anterior (axial) or superior (coronal, sagittal) at the top.
 */
import { indexToPhysical, physicalToIndex, type Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { RgbImage } from './png.js';

export type SlicePlane = 'axial' | 'coronal' | 'sagittal';

export interface SliceImageOptions {
  /** Display window in HU; default a bone window (level 400, width 2000). */
  windowLevel?: number;
  windowWidth?: number;
  /** Longest image side in pixels. */
  maxSize?: number;
  /** Slice index along the plane's normal axis; default: the slice with most label voxels. */
  index?: number;
}

/** Plane → (column axis, row axis, normal axis) of the volume grid, and whether rows run backwards. */
const AXES: Record<SlicePlane, { col: number; row: number; normal: number; flipRow: boolean }> = {
  axial: { col: 0, row: 1, normal: 2, flipRow: false },
  coronal: { col: 0, row: 2, normal: 1, flipRow: true },
  sagittal: { col: 1, row: 2, normal: 0, flipRow: true },
};

export function renderSlice(volume: Volume, labels: LabelMap | undefined, plane: SlicePlane, opts: SliceImageOptions = {}): RgbImage & { index: number } {
  const g = volume.grid;
  const { col, row, normal, flipRow } = AXES[plane];
  const index = opts.index ?? busiestSlice(volume, labels, normal);
  const extentCol = g.dims[col]! * g.spacing_mm[col]!;
  const extentRow = g.dims[row]! * g.spacing_mm[row]!;
  const maxSize = opts.maxSize ?? 384;
  const px_mm = Math.max(extentCol, extentRow) / maxSize;
  const width = Math.max(1, Math.round(extentCol / px_mm));
  const height = Math.max(1, Math.round(extentRow / px_mm));
  const level = opts.windowLevel ?? 400;
  const wwidth = opts.windowWidth ?? 2000;
  const grey = new Uint8Array(width * height);
  const inside = new Uint8Array(width * height);
  const [nx, ny] = g.dims;
  const idx: Vec3 = [0, 0, 0];
  const p: Vec3 = [0, 0, 0];
  const q: Vec3 = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    const r = ((flipRow ? height - 1 - y : y) + 0.5) * (px_mm / g.spacing_mm[row]!) - 0.5;
    for (let x = 0; x < width; x++) {
      const c = (x + 0.5) * (px_mm / g.spacing_mm[col]!) - 0.5;
      idx[col] = Math.min(g.dims[col]! - 1, Math.max(0, Math.round(c)));
      idx[row] = Math.min(g.dims[row]! - 1, Math.max(0, Math.round(r)));
      idx[normal] = index;
      const v = volume.data[idx[0] + idx[1] * nx + idx[2] * nx * ny]!;
      grey[y * width + x] = Math.max(0, Math.min(255, Math.round(((v - (level - wwidth / 2)) / wwidth) * 255)));
      if (labels) {
        indexToPhysical(g, idx[0], idx[1], idx[2], p);
        physicalToIndex(labels.grid, p[0], p[1], p[2], q);
        const li = Math.round(q[0]);
        const lj = Math.round(q[1]);
        const lk = Math.round(q[2]);
        const ld = labels.grid.dims;
        if (li >= 0 && lj >= 0 && lk >= 0 && li < ld[0] && lj < ld[1] && lk < ld[2]) {
          inside[y * width + x] = labels.data[li + lj * ld[0] + lk * ld[0] * ld[1]]! > 0 ? 1 : 0;
        }
      }
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * width + x;
      const gval = grey[o]!;
      let edge = false;
      if (inside[o]) {
        edge = x === 0 || y === 0 || x === width - 1 || y === height - 1 || !inside[o - 1] || !inside[o + 1] || !inside[o - width] || !inside[o + width];
      }
      if (edge) {
        rgb[o * 3] = 255;
        rgb[o * 3 + 1] = 40;
        rgb[o * 3 + 2] = 40;
      } else {
        rgb[o * 3] = rgb[o * 3 + 1] = rgb[o * 3 + 2] = gval;
      }
    }
  }
  return { width, height, rgb, index };
}

/** The slice along `axis` with the most labelled voxels (the middle slice when there are no labels). */
function busiestSlice(volume: Volume, labels: LabelMap | undefined, axis: number): number {
  const n = volume.grid.dims[axis]!;
  if (!labels) return Math.floor(n / 2);
  const ld = labels.grid.dims;
  const counts = new Float64Array(ld[axis]!);
  const data = labels.data;
  let o = 0;
  for (let k = 0; k < ld[2]; k++)
    for (let j = 0; j < ld[1]; j++)
      for (let i = 0; i < ld[0]; i++, o++) {
        if (data[o]) counts[axis === 0 ? i : axis === 1 ? j : k]! += 1;
      }
  let best = 0;
  for (let s = 1; s < counts.length; s++) if (counts[s]! > counts[best]!) best = s;
  if (counts[best] === 0) return Math.floor(n / 2);
  // map the label-grid slice to the volume grid through physical space
  const p: Vec3 = [0, 0, 0];
  const centre: Vec3 = [ld[0] / 2, ld[1] / 2, ld[2] / 2];
  centre[axis] = best;
  indexToPhysical(labels.grid, centre[0], centre[1], centre[2], p);
  const q = physicalToIndex(volume.grid, p[0], p[1], p[2]);
  return Math.min(n - 1, Math.max(0, Math.round(q[axis]!)));
}

/**
 * A series' thumbnail: the middle slice of the assembled volume (HU) in a CT window, drawn
 * on an OffscreenCanvas (the worker has no DOM) and encoded as PNG. Large slices are
 * sampled down to at most MAX_SIDE pixels a side (nearest voxel: a preview only).
 */
import type { Volume } from '@scan2print/core';

const MAX_SIDE = 192;

export const WINDOWS = {
  bone: { center: 500, width: 2000 },
  soft: { center: 40, width: 400 },
} as const;

export async function sliceThumbnail(vol: Volume, win: { center: number; width: number }): Promise<Blob> {
  const [nx, ny, nz] = vol.grid.dims;
  const k = Math.floor(nz / 2);
  const scale = Math.min(1, MAX_SIDE / Math.max(nx, ny));
  const w = Math.max(1, Math.round(nx * scale));
  const h = Math.max(1, Math.round(ny * scale));
  // Keep the aspect of the physical slice, not of the voxel grid.
  const [sx, sy] = vol.grid.spacing_mm;
  const hPhys = Math.max(1, Math.round(h * (sy / sx)));
  const img = new ImageData(w, hPhys);
  const lo = win.center - win.width / 2;
  const base = k * nx * ny;
  for (let y = 0; y < hPhys; y++) {
    const j = Math.min(ny - 1, Math.floor(((y + 0.5) / hPhys) * ny));
    for (let x = 0; x < w; x++) {
      const i = Math.min(nx - 1, Math.floor(((x + 0.5) / w) * nx));
      const hu = vol.data[base + j * nx + i]!;
      const g = Math.max(0, Math.min(255, Math.round(((hu - lo) / win.width) * 255)));
      const o = (y * w + x) * 4;
      img.data[o] = g;
      img.data[o + 1] = g;
      img.data[o + 2] = g;
      img.data[o + 3] = 255;
    }
  }
  const canvas = new OffscreenCanvas(w, hPhys);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas in this browser worker');
  ctx.putImageData(img, 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

/**
 * Intensity windowing and normalisation.
 * - `clamp`: values limited to [lo, hi] HU, still HU (thresholds keep their meaning);
 * - `normalise`: (clamp(v) − lo) / (hi − lo) ∈ [0, 1] — for learned methods; HU
 *   thresholds no longer apply afterwards, which the record says;
 * - `zscore`: (v − mean) / sd over the voxels inside [lo, hi] (the rest clamped first).
 */
import type { Volume } from '../../geometry/types.js';
import { cloneGrid } from '../../geometry/grid.js';
import type { StageResult } from '../../pipeline/record.js';
import { round, timed } from '../../pipeline/record.js';
import { usageError } from '../../errors.js';

export type WindowMode = 'clamp' | 'normalise' | 'zscore';

export function windowVolume(volume: Volume, lo_HU: number, hi_HU: number, mode: WindowMode = 'clamp'): StageResult<Volume> {
  return timed(() => {
    if (!(hi_HU > lo_HU)) throw usageError('BAD_WINDOW', `window needs lo < hi, got ${lo_HU},${hi_HU}`);
    const src = volume.data;
    const n = src.length;
    const out = new Float32Array(n);
    for (let v = 0; v < n; v++) {
      const x = src[v]!;
      out[v] = x < lo_HU ? lo_HU : x > hi_HU ? hi_HU : x;
    }
    const figures: Record<string, unknown> = {};
    if (mode === 'normalise') {
      const inv = 1 / (hi_HU - lo_HU);
      for (let v = 0; v < n; v++) out[v] = (out[v]! - lo_HU) * inv;
    } else if (mode === 'zscore') {
      let s = 0;
      let s2 = 0;
      for (let v = 0; v < n; v++) {
        s += out[v]!;
        s2 += out[v]! * out[v]!;
      }
      const mean = s / Math.max(1, n);
      const sd = Math.sqrt(Math.max(0, s2 / Math.max(1, n) - mean * mean)) || 1;
      for (let v = 0; v < n; v++) out[v] = (out[v]! - mean) / sd;
      figures.mean_HU = round(mean, 3);
      figures.sd_HU = round(sd, 3);
    }
    return {
      output: { grid: cloneGrid(volume.grid), data: out },
      record: {
        stage: 'preprocess',
        method: 'window',
        params: { lo_HU, hi_HU, mode },
        figures,
        ...(mode !== 'clamp' ? { notes: ['values are no longer Hounsfield units after normalisation: HU thresholds do not apply'] } : {}),
      },
    };
  });
}

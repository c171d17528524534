/**
 * Findings from the voxel values of the imported volume: is it CT, is it in HU,
 * is there metal, does a dense structure leave the field of view.
 */
import type { Finding } from '../pipeline/record.js';
import type { Volume } from '../geometry/types.js';
import {
  AIR_WINDOW_HU,
  FAT_WINDOW_HU,
  HIST_BIN_HU,
  HIST_MAX_HU,
  HIST_MIN_HU,
  METAL_HU,
  METAL_MIN_VOLUME_MM3,
  NOT_CT_MISSING_CLASSES,
  NOT_HU_AIR_HU,
  NOT_HU_MAX_AIR_FRACTION,
  PEAK_HALF_WIDTH_HU,
  PEAK_MIN_FRACTION,
  PEAK_PROMINENCE,
  PEAK_VALLEY_HU,
  SOFT_TISSUE_WINDOW_HU,
  TRUNCATION_BONE_HU,
  TRUNCATION_MIN_AREA_MM2,
} from './thresholds.js';
import { int16ValueCounts } from './value-counts.js';
import { floatHistogramStats, keptFloatHistogram, type HistogramStats } from './float-histogram.js';

export type { HistogramStats } from './float-histogram.js';

export function histogramStats(vol: Volume): HistogramStats {
  return vol.data instanceof Int16Array ? histogramInt16(vol.data) : histogramFloat(vol.data);
}

/** Int16 volumes: one count per possible value (one increment per voxel), then binned. */
function histogramInt16(data: Int16Array): HistogramStats {
  const counts = int16ValueCounts(data);
  const n = data.length;
  const nb = Math.ceil((HIST_MAX_HU - HIST_MIN_HU) / HIST_BIN_HU);
  const bins = new Float64Array(nb);
  let min = Infinity, max = -Infinity, inRange = 0, belowAir = 0, metal = 0, metalMax = -Infinity;
  for (let q = 0; q < 65536; q++) {
    const c = counts[q]!;
    if (c === 0) continue;
    const v = q - 32768;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v < NOT_HU_AIR_HU) belowAir += c;
    if (v >= METAL_HU) { metal += c; metalMax = v; }
    const b = Math.floor((v - HIST_MIN_HU) / HIST_BIN_HU);
    if (b >= 0 && b < nb) { bins[b]! += c; inRange += c; }
  }
  return { min, max, bins, inRange, total: n, belowAir, metal, metalMax };
}

/** Float volumes: the histogram made at import on the pool (float-histogram.ts) where there is one, else a pass here. */
function histogramFloat(data: Float32Array): HistogramStats {
  const s = keptFloatHistogram(data);
  return s ? { ...s, bins: Float64Array.from(s.bins) } : floatHistogramStats(data);
}

export interface TissuePeak {
  present: boolean;
  peak_HU?: number;
  fraction: number;
}

/** Looks for a local maximum of the smoothed histogram inside [lo, hi] HU. */
export function findPeak(h: HistogramStats, window: [number, number]): TissuePeak {
  const nb = h.bins.length;
  const sm = new Float64Array(nb);
  const R = 2; // 5-bin (50 HU) box smoothing: noise-level wiggles are not peaks
  for (let b = 0; b < nb; b++) {
    let s = 0, c = 0;
    for (let q = Math.max(0, b - R); q <= Math.min(nb - 1, b + R); q++) { s += h.bins[q]!; c++; }
    sm[b] = s / c;
  }
  const lo = Math.max(1, Math.floor((window[0] - HIST_MIN_HU) / HIST_BIN_HU));
  const hi = Math.min(nb - 2, Math.floor((window[1] - HIST_MIN_HU) / HIST_BIN_HU));
  let best = -1;
  for (let b = lo; b <= hi; b++) {
    // local maximum over ±3 bins (30 HU)
    let isMax = sm[b]! > 0;
    for (let q = Math.max(0, b - 3); q <= Math.min(nb - 1, b + 3) && isMax; q++) if (sm[q]! > sm[b]!) isMax = false;
    if (isMax && prominent(sm, b) && (best < 0 || sm[b]! > sm[best]!)) best = b;
  }
  if (best < 0 || h.inRange === 0) return { present: false, fraction: 0 };
  const w = Math.round(PEAK_HALF_WIDTH_HU / HIST_BIN_HU);
  let mass = 0;
  for (let q = Math.max(0, best - w); q <= Math.min(nb - 1, best + w); q++) mass += h.bins[q]!;
  const fraction = mass / h.inRange;
  return { present: fraction >= PEAK_MIN_FRACTION, peak_HU: HIST_MIN_HU + (best + 0.5) * HIST_BIN_HU, fraction };
}

/** Whether bin b rises PEAK_PROMINENCE above the lowest value within PEAK_VALLEY_HU on both sides. */
function prominent(sm: Float64Array, b: number): boolean {
  const w = Math.round(PEAK_VALLEY_HU / HIST_BIN_HU);
  let left = Infinity, right = Infinity;
  for (let q = Math.max(0, b - w); q < b; q++) left = Math.min(left, sm[q]!);
  for (let q = b + 1; q <= Math.min(sm.length - 1, b + w); q++) right = Math.min(right, sm[q]!);
  return sm[b]! >= PEAK_PROMINENCE * Math.max(left, right);
}

const AXIS_NAMES: Array<[string, string]> = [['right', 'left'], ['anterior', 'posterior'], ['inferior', 'superior']];

/** Patient side (LPS) a grid face looks towards: the dominant component of ±axis. */
function sideName(axis: number[], sign: number): string {
  let a = 0;
  for (let c = 1; c < 3; c++) if (Math.abs(axis[c]!) > Math.abs(axis[a]!)) a = c;
  return AXIS_NAMES[a]![sign * axis[a]! > 0 ? 1 : 0]!;
}

/** mm² of each of the six faces covered by voxels ≥ TRUNCATION_BONE_HU. Order: i0, i1, j0, j1, k0, k1. */
export function denseBorderArea(vol: Volume): number[] {
  const [nx, ny, nz] = vol.grid.dims;
  const [sx, sy, sz] = vol.grid.spacing_mm;
  const d = vol.data;
  const c = [0, 0, 0, 0, 0, 0];
  const T = TRUNCATION_BONE_HU;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const row = k * nx * ny + j * nx;
      if (d[row]! >= T) c[0]++;
      if (d[row + nx - 1]! >= T) c[1]++;
    }
    for (let i = 0; i < nx; i++) {
      if (d[k * nx * ny + i]! >= T) c[2]++;
      if (d[k * nx * ny + (ny - 1) * nx + i]! >= T) c[3]++;
    }
  }
  const last = (nz - 1) * nx * ny;
  for (let p = 0; p < nx * ny; p++) {
    if (d[p]! >= T) c[4]++;
    if (d[last + p]! >= T) c[5]++;
  }
  return [c[0]! * sy * sz, c[1]! * sy * sz, c[2]! * sx * sz, c[3]! * sx * sz, c[4]! * sx * sy, c[5]! * sx * sy];
}

export interface ContentAssessment {
  findings: Finding[];
  huRange: [number, number];
  peaks: { air: TissuePeak; fat: TissuePeak; softTissue: TissuePeak };
  airFraction: number;
  metal_mm3: number;
  denseBorder_mm2: number[];
}

export function contentFindings(vol: Volume, modality?: string): ContentAssessment {
  const h = histogramStats(vol);
  const findings: Finding[] = [];
  const airFraction = h.total ? h.belowAir / h.total : 0;
  const peaks = { air: findPeak(h, AIR_WINDOW_HU), fat: findPeak(h, FAT_WINDOW_HU), softTissue: findPeak(h, SOFT_TISSUE_WINDOW_HU) };
  const notHu = airFraction < NOT_HU_MAX_AIR_FRACTION;
  if (notHu) {
    findings.push({
      code: 'NOT_HU',
      severity: 'error',
      message: `values ${h.min}..${h.max} with ${(airFraction * 100).toFixed(2)} % below ${NOT_HU_AIR_HU} (air should be near −1000 HU): the values look unrescaled (RescaleSlope/Intercept missing?), HU thresholds would be wrong`,
    });
  }
  const mod = (modality ?? '').toUpperCase();
  if (mod && mod !== 'CT') {
    findings.push({ code: 'NOT_CT', severity: 'error', message: `modality is ${mod}, not CT: Hounsfield thresholds do not apply` });
  } else if (!notHu) {
    const missing = (['air', 'fat', 'softTissue'] as const).filter((k) => !peaks[k].present);
    if (missing.length >= NOT_CT_MISSING_CLASSES || (!peaks.air.present && !peaks.softTissue.present)) {
      findings.push({
        code: 'NOT_CT',
        severity: 'error',
        message: `the histogram lacks the ${missing.join(', ')} peak(s) of CT (air ≈ −1000, fat ≈ −100, soft tissue ≈ +40 HU): this does not look like a CT in HU`,
      });
    }
  }
  const g = vol.grid;
  const voxel = g.spacing_mm[0] * g.spacing_mm[1] * g.spacing_mm[2];
  const metal_mm3 = h.metal * voxel;
  if (!notHu && metal_mm3 >= METAL_MIN_VOLUME_MM3) {
    findings.push({
      code: 'METAL',
      severity: 'warn',
      message: `${metal_mm3.toFixed(0)} mm³ above ${METAL_HU} HU (max ${h.metalMax.toFixed(0)}): metal, with streak artefacts likely around it; check the model there`,
    });
  }
  const border = denseBorderArea(vol);
  if (!notHu) {
    const dir = g.direction;
    const axes = [dir.slice(0, 3), dir.slice(3, 6), dir.slice(6, 9)];
    const sides = [0, 1, 2, 3].filter((f) => border[f]! >= TRUNCATION_MIN_AREA_MM2).map((f) => `${sideName(axes[f >> 1]!, f & 1 ? 1 : -1)} (${border[f]!.toFixed(0)} mm²)`);
    if (sides.length) {
      findings.push({
        code: 'TRUNCATED_FOV',
        severity: 'warn',
        message: `dense structure (≥ ${TRUNCATION_BONE_HU} HU) touches the in-plane edge of the field of view on the ${sides.join(', ')} side: the anatomy there is cut off`,
      });
    }
    const ends = [4, 5].filter((f) => border[f]! >= TRUNCATION_MIN_AREA_MM2).map((f) => `${sideName(axes[2]!, f === 5 ? 1 : -1)} (${border[f]!.toFixed(0)} mm²)`);
    if (ends.length) {
      findings.push({
        code: 'TRUNCATED_FOV',
        severity: 'info',
        message: `dense bone (≥ ${TRUNCATION_BONE_HU} HU) reaches the ${ends.join(', ')} end of the scanned range: the model will be open (closed flat) there`,
      });
    }
  }
  return { findings, huRange: [h.min, h.max], peaks, airFraction, metal_mm3, denseBorder_mm2: border };
}

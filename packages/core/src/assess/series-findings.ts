/**
 * Findings from headers and slice geometry of the chosen series (no pixel values
 * needed): what the import corrected and what limits the model's accuracy.
 */
import type { Finding } from '../pipeline/record.js';
import type { StackGeometry } from '../dicom/geometry.js';
import type { SeriesSummary } from '../dicom/series.js';
import type { DicomInstance } from '../dicom/types.js';
import { isLossy, transferSyntaxInfo } from '../dicom/transfer-syntax.js';
import type { Volume } from '../geometry/types.js';
import { sliceOutliers, type OutlierPlane, type SliceOutliers } from './slice-outliers.js';
import {
  LOW_RESOLUTION_PIXEL_MM,
  LOW_RESOLUTION_STEP_MM,
  MIN_SLICES_ERROR,
  MIN_SLICES_WARN,
  THICK_SLICE_STEP_MM,
  THICK_SLICE_TOLERANCE_MM,
  THIN_BONE_IN_THICK_SLICES,
  THIN_BONE_SLICE_STEP_MM,
} from './thresholds.js';

export interface SeriesFindingsInput {
  geometry: StackGeometry;
  chosen: SeriesSummary;
  /** Headers of the chosen series, by the index used in `geometry.slices[].instance`. */
  instances: DicomInstance[];
  /** Uniform output step after resampling (mm). */
  outputStep_mm: number;
  /** The assembled volume: its slices are checked for outliers (SLICE_OUTLIER). */
  volume?: Volume;
  /** Those outliers already found (sliceOutliersAsync over acquiredPlanes, on a pool): not counted again. */
  outliers?: SliceOutliers;
}

const f2 = (x: number) => x.toFixed(2);

/** LOSSY_COMPRESSION lists at most this many files (a whole series can be lossy). */
const LOSSY_FILES_LISTED = 20;

/** The kept slices whose pixels went through lossy compression, and how (transfer syntax or the LossyImageCompression flag). */
function lossySlices(instances: DicomInstance[], g: StackGeometry): { files: string[]; kinds: string[] } {
  const files: string[] = [];
  const kinds = new Set<string>();
  const seen = new Set<number>();
  for (const s of g.slices) {
    if (seen.has(s.instance)) continue;
    seen.add(s.instance);
    const inst = instances[s.instance]!;
    if (!isLossy(inst)) continue;
    files.push(inst.file);
    const ts = transferSyntaxInfo(inst.transferSyntaxUid);
    kinds.add(ts.lossy ? `${ts.name} (${ts.uid})` : 'LossyImageCompression (0028,2110) = 01');
  }
  return { files, kinds: [...kinds].sort() };
}

/**
 * Planes of the assembled volume to test for outliers, with their source files: every
 * slice when the stack was not resampled (one plane per slice), else the plane nearest
 * each acquired slice, against the planes nearest the acquired slices beside it.
 */
export function acquiredPlanes(g: StackGeometry, nz: number, step_mm: number, file: (i: number) => string): OutlierPlane[] {
  const s = g.slices;
  const m = s.length;
  if (m < 3) return [];
  const kOf = (i: number) => (nz === m ? i : Math.min(nz - 1, Math.max(0, Math.round((s[i]!.d_mm - s[0]!.d_mm) / step_mm))));
  return s.map((x, i) => ({ k: kOf(i), ka: kOf(i > 0 ? i - 1 : i + 1), kb: kOf(i < m - 1 ? i + 1 : i - 1), file: file(x.instance) }));
}

export function seriesFindings(inp: SeriesFindingsInput): Finding[] {
  const { geometry: g, chosen } = inp;
  const out: Finding[] = [];
  const file = (i: number) => inp.instances[i]!.file;
  if (chosen.split) {
    out.push({
      code: 'MIXED_SERIES',
      severity: 'warn',
      message: `series ${chosen.split.seriesUid} mixes ${chosen.split.reason}; split into ${chosen.split.parts} parts, using ${chosen.uid} (${chosen.frames} planes)`,
    });
  }
  if (g.sheared) {
    out.push({
      code: 'TILT_CORRECTED',
      severity: 'info',
      message: `gantry tilt ${f2(g.tiltDegrees)}° (from slice positions vs the slice normal; stack sheared up to ${f2(g.maxInPlaneOffset_mm)} mm): resampled onto an orthogonal grid`,
    });
  }
  const st = g.stepStats;
  if (!g.uniform && !(g.gaps.length && g.regularExceptGaps)) {
    out.push({
      code: 'UNEVEN_SPACING',
      severity: 'warn',
      message: `slice steps vary from ${f2(st.min)} to ${f2(st.max)} mm (median ${f2(st.median)}); resampled to a uniform ${inp.outputStep_mm.toFixed(3)} mm step — detail between widely spaced slices is interpolated`,
    });
  }
  if (g.gaps.length && g.regularExceptGaps) {
    const missing = g.gaps.reduce((a, x) => a + Math.max(1, Math.round(x.step_mm / st.median) - 1), 0);
    out.push({
      code: 'MISSING_SLICES',
      severity: 'warn',
      message: `${g.gaps.length} gap(s) in a ${f2(st.median)} mm series (about ${missing} slice(s) missing): ${g.gaps.map((x) => `${f2(x.step_mm)} mm after ${file(g.slices[x.after]!.instance)}`).join('; ')}; interpolated across`,
      files: g.gaps.map((x) => file(g.slices[x.after]!.instance)),
    });
  }
  if (g.duplicates.length) {
    out.push({
      code: 'DUPLICATE_SLICES',
      severity: 'warn',
      message: `${g.duplicates.length} slice(s) at the same position as another were dropped (kept a lossless copy where there was one, else the first by position and file order)`,
      files: g.duplicates.map((d) => file(d.instance)),
    });
  }
  const lossy = lossySlices(inp.instances, g);
  if (lossy.files.length) {
    const shown = lossy.files.slice(0, LOSSY_FILES_LISTED);
    out.push({
      code: 'LOSSY_COMPRESSION',
      severity: 'warn',
      message: `${lossy.files.length} of ${g.slices.length} slice(s) were lossy-compressed (${lossy.kinds.join('; ')}): their values are the codec's approximation of the scanner's HU, so edges and thin bone can move and the threshold with them; for planning, use the scanner's original (lossless) series${lossy.files.length > shown.length ? `; the first ${shown.length} files listed` : ''}`,
      files: shown,
    });
  }
  const n = g.slices.length;
  if (n < MIN_SLICES_ERROR) {
    out.push({ code: 'FEW_SLICES', severity: 'error', message: `only ${n} slice(s): a 3D model needs at least ${MIN_SLICES_ERROR}` });
  } else if (n < MIN_SLICES_WARN) {
    out.push({ code: 'FEW_SLICES', severity: 'warn', message: `only ${n} slices (${f2((n - 1) * inp.outputStep_mm)} mm along the slice axis): the model covers a short range` });
  }
  if (n > 1 && st.median > THICK_SLICE_STEP_MM + THICK_SLICE_TOLERANCE_MM) {
    out.push({
      code: 'THICK_SLICES',
      severity: 'warn',
      message:
        `slice step ${f2(st.median)} mm (median) is above ${THICK_SLICE_STEP_MM} mm (ISO/IEC 3532-1 6.2): surface accuracy along the slice axis is limited` +
        (st.median >= THIN_BONE_SLICE_STEP_MM ? THIN_BONE_IN_THICK_SLICES : ''),
    });
  }
  if (inp.outliers) out.push(...inp.outliers.findings);
  else if (inp.volume) out.push(...sliceOutliers(inp.volume, acquiredPlanes(g, inp.volume.grid.dims[2], inp.outputStep_mm, file)).findings);
  const px = Math.max(g.spacingU_mm, g.spacingV_mm);
  if (px > LOW_RESOLUTION_PIXEL_MM || (n > 1 && st.median > LOW_RESOLUTION_STEP_MM)) {
    out.push({
      code: 'LOW_RESOLUTION',
      severity: 'warn',
      message: `coarse sampling: pixel ${f2(g.spacingU_mm)} × ${f2(g.spacingV_mm)} mm, slice step ${f2(st.median)} mm (limits ${LOW_RESOLUTION_PIXEL_MM} mm in-plane, ${LOW_RESOLUTION_STEP_MM} mm between slices)`,
    });
  }
  return out;
}

/**
 * Metal flag (SPEC §1 step 3 "metal (HU far above bone)"; step 4 clean-up).
 *
 * Voxels at or above `threshold_HU` (default 3000 HU) are counted as metal: dense
 * cortical bone and teeth enamel stay below ≈ 2850 HU (InVesalius enamel preset tops
 * out at 2850), while implants, dental fillings and screws reach the scanner's ceiling
 * (3071 on 12-bit scanners, higher with extended-range reconstructions). A finding
 * METAL is raised when the metal volume reaches `minVolume_mm3` (default 5 mm³, so a
 * handful of noisy voxels is reported in the figures but not flagged). Labels pass
 * through unchanged unless `remove` is set, which clears metal voxels from the labels.
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { inputError, usageError } from '../errors.js';
import { labelRuns, type Runs } from './components-runs.js';
import { runComponentStats } from './stats.js';
import { int16Summary, maxOfCounts, SUMMARY_BLOCK } from '../assess/value-counts.js';

export interface MetalParams {
  threshold_HU?: number;
  minVolume_mm3?: number;
  /** Clear metal voxels from the labels (default false: flag only). */
  remove?: boolean;
}

export const METAL_THRESHOLD_HU = 3000;

export function flagMetal(labels: LabelMap, volume: Volume | undefined, params: MetalParams = {}, _ctx: StageContext = {}): StageResult<LabelMap> {
  return timed(() => {
    if (!volume) throw usageError('METAL_NEEDS_VOLUME', 'the metal flag needs the HU volume');
    if (volume.data.length !== labels.data.length) {
      throw inputError('GRID_MISMATCH', `label map (${labels.grid.dims.join('×')}) and volume (${volume.grid.dims.join('×')}) are on different grids`);
    }
    const threshold_HU = params.threshold_HU ?? METAL_THRESHOLD_HU;
    const minVolume_mm3 = params.minVolume_mm3 ?? 5;
    const remove = params.remove ?? false;
    const hu = volume.data;
    const n = hu.length;
    const lab = labels.data;
    // One read of the volume gives the maximum and the metal, as runs (no mask, no label volume).
    const g = labels.grid;
    const nx = g.dims[0];
    const { maxHU, runs } = hu instanceof Int16Array ? metalRunsInt16(hu, g.dims, threshold_HU) : maxAndRuns(hu, g.dims, threshold_HU);
    let count = 0;
    let inLabels = 0;
    for (let r = 0; r < runs.rowStart.length - 1; r++) {
      for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
        const a = r * nx + runs.start[t]!;
        const b = r * nx + runs.end[t]!;
        count += b - a;
        for (let p = a; p < b; p++) if (lab[p] !== 0) inLabels++;
      }
    }
    const vv = voxelVolume_mm3(g);
    let data = labels.data;
    if (remove && count > 0) {
      data = data.slice();
      for (let r = 0; r < runs.rowStart.length - 1; r++) {
        for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) data.fill(0, r * nx + runs.start[t]!, r * nx + runs.end[t]!);
      }
    }
    const findings: Finding[] = [];
    let components: ReturnType<typeof runComponentStats> = [];
    if (count > 0) {
      const cc = labelRuns(runs, g.dims, 26);
      const all = Int32Array.from({ length: cc.count + 1 }, (_, c) => c);
      components = runComponentStats(cc, all, cc.count, g, volume)
        .sort((a, b) => b.volume_mm3 - a.volume_mm3 || a.id - b.id)
        .slice(0, 10);
    }
    if (count * vv >= minVolume_mm3) {
      findings.push({
        code: 'METAL',
        severity: 'warn',
        message: `${count} voxels (${round(count * vv, 1)} mm³) at or above ${threshold_HU} HU: metal (implant, filling, screw); expect streak artefacts near it${remove ? '; removed from the labels' : ''}`,
      });
    }
    return {
      output: remove ? { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) } : labels,
      record: {
        stage: 'segment',
        method: 'metal-flag',
        params: { threshold_HU, minVolume_mm3, remove },
        figures: {
          metalVoxels: count,
          metal_mm3: round(count * vv, 2),
          metalVoxelsInLabels: inLabels,
          maxHU: count > 0 || n > 0 ? maxHU : null,
          components,
        },
        ...(findings.length ? { findings } : {}),
      },
    };
  });
}

/**
 * The largest value of `hu` (NaN ignored) and its maximal runs along i of voxels ≥ level
 * (what extractRuns(hu, dims, level) gives), in one read of the volume: metal is rare, so
 * a row is searched for runs only when its maximum reaches the level.
 */
function maxAndRuns(hu: ArrayLike<number>, dims: [number, number, number], level: number): { maxHU: number; runs: Runs } {
  const [nx, ny, nz] = dims;
  const nRows = ny * nz;
  const rowStart = new Int32Array(nRows + 1);
  const start: number[] = [];
  const end: number[] = [];
  let maxHU = -Infinity;
  for (let r = 0, base = 0; r < nRows; r++, base += nx) {
    rowStart[r] = start.length;
    // the row's maximum first (a branch-free pass); runs only in the rare row that reaches level
    let rowMax = -Infinity;
    for (let i = base; i < base + nx; i++) {
      const x = hu[i]!;
      rowMax = x > rowMax ? x : rowMax;
    }
    if (rowMax > maxHU) maxHU = rowMax;
    if (rowMax >= level) pushRowRuns(hu, base, nx, level, start, end);
  }
  rowStart[nRows] = start.length;
  return { maxHU, runs: { start: Int32Array.from(start), end: Int32Array.from(end), rowStart, count: start.length } };
}

/**
 * maxAndRuns for integer HU, reading only where metal can be: the maximum is in the volume's
 * value counts and each block of voxels has its maximum (value-counts.ts, made once and
 * shared with the assessment and the automatic threshold), so only the rows crossing a
 * block that reaches the level are read (the same rows, the same runs).
 */
function metalRunsInt16(hu: Int16Array, dims: [number, number, number], level: number): { maxHU: number; runs: Runs } {
  const { counts, blockMax } = int16Summary(hu);
  const maxHU = maxOfCounts(counts);
  const [nx, ny, nz] = dims;
  const nRows = ny * nz;
  const rowStart = new Int32Array(nRows + 1);
  const start: number[] = [];
  const end: number[] = [];
  for (let r = 0, base = 0; r < nRows; r++, base += nx) {
    rowStart[r] = start.length;
    if (!(maxHU >= level)) continue;
    let reach = false;
    for (let b = Math.floor(base / SUMMARY_BLOCK); b * SUMMARY_BLOCK < base + nx; b++) if (blockMax[b]! >= level) reach = true;
    if (reach) pushRowRuns(hu, base, nx, level, start, end);
  }
  rowStart[nRows] = start.length;
  return { maxHU, runs: { start: Int32Array.from(start), end: Int32Array.from(end), rowStart, count: start.length } };
}

/** The maximal runs [start, end) along i of voxels ≥ level in the row of `nx` voxels at `base`. */
function pushRowRuns(hu: ArrayLike<number>, base: number, nx: number, level: number, start: number[], end: number[]): void {
  let open = -1;
  for (let i = 0; i < nx; i++) {
    if (hu[base + i]! >= level) {
      if (open < 0) open = i;
    } else if (open >= 0) {
      start.push(open);
      end.push(i);
      open = -1;
    }
  }
  if (open >= 0) {
    start.push(open);
    end.push(nx);
  }
}

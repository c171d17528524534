/**
 * Connected components of a label map's foreground (6-, 18- or 26-connected) and the
 * clean-up stage built on them: keep the largest N, keep the components touching seeds,
 * drop islands under a volume in mm³ (SPEC §1 step 4, "clean-up").
 *
 * Labelling is union-find over runs along i (components-runs.ts). Roots are always the
 * smaller run id and runs are numbered in memory order, so the final numbering (1, 2, …)
 * is the order of each component's first voxel in memory — deterministic and
 * independent of sizes.
 */
import type { Vec3 } from '../geometry/grid.js';
import { physicalToIndex, voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { usageError } from '../errors.js';
import { runComponentStats, type ComponentStats } from './stats.js';
import { extractRuns, labelRuns, type RunComponents } from './components-runs.js';

export type Connectivity = 6 | 18 | 26;

export interface ComponentLabels {
  /** Component id per voxel (0 = background), numbered by first voxel in memory order. */
  labels: Int32Array;
  count: number;
  /** Voxel count per component id (index 0 unused). */
  sizes: Float64Array;
}

/** A seed given in patient LPS millimetres or as a voxel index (i, j, k). */
export type Seed = { mm: Vec3 } | { voxel: Vec3 };

/** 1 where the label map is non-zero (or equals `label` when given), else 0. */
export function foregroundMask(labels: LabelMap, label?: number): Uint8Array {
  const src = labels.data;
  const n = src.length;
  const out = new Uint8Array(n);
  if (label === undefined) for (let p = 0; p < n; p++) out[p] = src[p] !== 0 ? 1 : 0;
  else for (let p = 0; p < n; p++) out[p] = src[p] === label ? 1 : 0;
  return out;
}

/** Labels the connected components of `mask` (non-zero = foreground). */
export function labelComponents(mask: ArrayLike<number>, dims: Vec3, connectivity: Connectivity = 26): ComponentLabels {
  const cc = componentRuns(mask, dims, connectivity);
  const [nx, ny, nz] = dims;
  const { runs, comp } = cc;
  const lab = new Int32Array(nx * ny * nz);
  for (let r = 0; r < ny * nz; r++) {
    const base = r * nx;
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) lab.fill(comp[t]!, base + runs.start[t]!, base + runs.end[t]!);
  }
  return { labels: lab, count: cc.count, sizes: cc.sizes };
}

/** The same components as runs (no label volume): what the clean-up stages work on. */
export function componentRuns(mask: ArrayLike<number>, dims: Vec3, connectivity: Connectivity = 26): RunComponents {
  if (connectivity !== 6 && connectivity !== 18 && connectivity !== 26) {
    throw usageError('BAD_CONNECTIVITY', `connectivity must be 6, 18 or 26 (got ${String(connectivity)})`);
  }
  return labelRuns(extractRuns(mask, dims), dims, connectivity);
}

/**
 * The components that are left when the components with drop[id] ≠ 0 are cleared from the
 * mask: what componentRuns gives on the cleared mask (the same runs in the same order, ids
 * renumbered in the same first-voxel order, the same sizes), without labelling it again. A
 * step that removes whole components hands this to the next one (runCleanup).
 */
export function withoutComponents(cc: RunComponents, drop: ArrayLike<number>): RunComponents {
  const { runs, comp, count, sizes } = cc;
  const id = new Int32Array(count + 1);
  let k = 0;
  for (let c = 1; c <= count; c++) if (!drop[c]) id[c] = ++k;
  const keptSizes = new Float64Array(k + 1);
  for (let c = 1; c <= count; c++) if (id[c]) keptSizes[id[c]!] = sizes[c]!;
  const rows = runs.rowStart.length - 1;
  let n = 0;
  for (let t = 0; t < runs.count; t++) if (id[comp[t]!]) n++;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const rowStart = new Int32Array(rows + 1);
  const keptComp = new Int32Array(n);
  let q = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = q;
    for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
      const c = id[comp[t]!]!;
      if (!c) continue;
      start[q] = runs.start[t]!;
      end[q] = runs.end[t]!;
      keptComp[q++] = c;
    }
  }
  rowStart[rows] = q;
  return { runs: { start, end, rowStart, count: q }, comp: keptComp, count: k, sizes: keptSizes };
}

/** Voxel index (flat) of a seed; a usage error when it lies outside the grid. */
export function seedIndex(labels: { grid: LabelMap['grid'] }, seed: Seed): number {
  const g = labels.grid;
  const ijk = 'voxel' in seed ? seed.voxel : physicalToIndex(g, seed.mm[0], seed.mm[1], seed.mm[2]);
  const i = Math.round(ijk[0]);
  const j = Math.round(ijk[1]);
  const k = Math.round(ijk[2]);
  if (!(i >= 0 && j >= 0 && k >= 0 && i < g.dims[0] && j < g.dims[1] && k < g.dims[2])) {
    const what = 'voxel' in seed ? `voxel (${seed.voxel.join(', ')})` : `point (${seed.mm.join(', ')}) mm LPS`;
    throw usageError('SEED_OUTSIDE', `seed ${what} lies outside the ${g.dims.join('×')} grid`);
  }
  return i + j * g.dims[0] + k * g.dims[0] * g.dims[1];
}

export interface KeepComponentsParams {
  /** Default 26. */
  connectivity?: Connectivity;
  /** 'all' (default), 'largest' (= 1) or the number of largest components to keep. */
  keep?: 'all' | 'largest' | number;
  /** Keep only components containing one of these seeds (combined with keep/minIsland by AND). */
  seeds?: Seed[];
  /** Drop components whose volume is below this many mm³ (default 0: none dropped). */
  minIsland_mm3?: number;
  /** Statistics of at most this many largest kept components go in the record (default 50). */
  statsLimit?: number;
}

/**
 * Clean-up stage: connected components, then keep by rank / seed / size. With `inPlace` the
 * output is written into `labels.data` (which the caller no longer needs: runCleanup, for a
 * map a step before made): the dropped components are cleared, no new grid is filled.
 */
export function keepComponents(
  labels: LabelMap,
  volume: Volume | undefined,
  params: KeepComponentsParams,
  _ctx: StageContext = {},
  inPlace = false,
): StageResult<LabelMap> {
  return timed(() => {
    const connectivity = params.connectivity ?? 26;
    const keepRaw = params.keep ?? 'all';
    const keepN = keepRaw === 'all' ? Infinity : keepRaw === 'largest' ? 1 : keepRaw;
    if (!(keepN >= 1)) throw usageError('BAD_KEEP', `keep must be 'all', 'largest' or a positive count (got ${String(keepRaw)})`);
    const minIsland = params.minIsland_mm3 ?? 0;
    if (!(minIsland >= 0)) throw usageError('BAD_MIN_ISLAND', `min island volume must be ≥ 0 mm³ (got ${minIsland})`);
    const g = labels.grid;
    const vv = voxelVolume_mm3(g);
    const cc = componentRuns(labels.data, g.dims, connectivity);
    const keep = new Uint8Array(cc.count + 1);
    // Rank by size, ties by id, so the choice is deterministic.
    const order = Array.from({ length: cc.count }, (_, t) => t + 1).sort((a, b) => cc.sizes[b]! - cc.sizes[a]! || a - b);
    const findings: Finding[] = [];
    let seedComps: Set<number> | undefined;
    if (params.seeds && params.seeds.length > 0) {
      seedComps = new Set();
      for (const s of params.seeds) {
        const l = componentAt(cc, g.dims, seedIndex(labels, s));
        if (l === 0) {
          findings.push({ code: 'SEED_IN_BACKGROUND', severity: 'warn', message: `seed ${JSON.stringify(s)} is not on the segmentation: it selects nothing` });
        } else seedComps.add(l);
      }
    }
    let rank = 0;
    for (const c of order) {
      if (cc.sizes[c]! * vv < minIsland) continue;
      if (seedComps && !seedComps.has(c)) continue;
      if (rank >= keepN) break;
      keep[c] = 1;
      rank++;
    }
    const src = labels.data;
    const data = inPlace ? src : new (src.constructor as Uint8ArrayConstructor | Uint16ArrayConstructor)(src.length);
    let removed = 0;
    const { runs, comp } = cc;
    const nx = g.dims[0];
    for (let r = 0; r < runs.rowStart.length - 1; r++) {
      for (let t = runs.rowStart[r]!; t < runs.rowStart[r + 1]!; t++) {
        const a = r * nx + runs.start[t]!;
        const b = r * nx + runs.end[t]!;
        if (!keep[comp[t]!]) {
          removed += b - a;
          if (inPlace) data.fill(0, a, b);
        } else if (!inPlace) data.set(src.subarray(a, b), a);
      }
    }
    const output: LabelMap = { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) };
    const stats = statsForKept(cc, keep, g, volume, params.statsLimit ?? 50);
    return {
      output,
      record: {
        stage: 'segment',
        method: 'components',
        params: { connectivity, keep: keepRaw, seeds: params.seeds ?? [], minIsland_mm3: minIsland },
        figures: {
          componentsFound: cc.count,
          componentsKept: rank,
          voxelsRemoved: removed,
          volumeRemoved_mm3: round(removed * vv, 1),
          components: stats,
        },
        ...(findings.length ? { findings } : {}),
      },
    };
  });
}

function statsForKept(cc: RunComponents, keep: Uint8Array, g: LabelMap['grid'], volume: Volume | undefined, limit: number): ComponentStats[] {
  // Kept components renumbered 1..K (by first voxel): the ids their statistics carry.
  const remap = new Int32Array(cc.count + 1);
  let k = 0;
  for (let c = 1; c <= cc.count; c++) if (keep[c]) remap[c] = ++k;
  return runComponentStats(cc, remap, k, g, volume).sort((a, b) => b.volume_mm3 - a.volume_mm3 || a.id - b.id).slice(0, limit);
}

/** Component id (0 = background) of the voxel at flat index p. */
function componentAt(cc: RunComponents, dims: Vec3, p: number): number {
  const nx = dims[0];
  const r = Math.floor(p / nx);
  const i = p - r * nx;
  for (let t = cc.runs.rowStart[r]!; t < cc.runs.rowStart[r + 1]!; t++) if (cc.runs.start[t]! <= i && i < cc.runs.end[t]!) return cc.comp[t]!;
  return 0;
}

export interface MeasureComponentsParams {
  connectivity?: Connectivity;
  /** Statistics of at most this many largest components (default 50). */
  statsLimit?: number;
}

/** Stage: labels pass through; the record lists each component's statistics. */
export function measureComponents(labels: LabelMap, volume: Volume | undefined, params: MeasureComponentsParams = {}, _ctx: StageContext = {}): StageResult<LabelMap> {
  return timed(() => {
    const connectivity = params.connectivity ?? 26;
    const cc = componentRuns(labels.data, labels.grid.dims, connectivity);
    const keep = new Uint8Array(cc.count + 1).fill(1);
    const count = cc.count;
    const components = statsForKept(cc, keep, labels.grid, volume, params.statsLimit ?? 50);
    return {
      output: labels,
      record: {
        stage: 'segment',
        method: 'component-stats',
        params: { connectivity, statsLimit: params.statsLimit ?? 50, surfaceArea: 'voxel face area × 2/3' },
        figures: { componentsFound: count, components },
      },
    };
  });
}

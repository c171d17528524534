/**
 * Region growing from a seed the user clicks (SPEC §1 step 4): the 6-connected set of
 * voxels reachable from the seed through voxels whose HU lies in [lo, hi].
 *
 * Leak guards (both recorded):
 *  - volume guard: growth stops as soon as the region exceeds `maxVolume_mm3`
 *    (default 3 000 000 mm³ = 3 L, more than any single bone); the region is then NOT
 *    applied (labels pass through) and a REGION_LEAK finding says how far it got, since
 *    a truncated breadth-first region is an arbitrary shape;
 *  - bridge guard (`bridgeRadius_mm`, default 0 = off): opening by reconstruction — the
 *    grown region is eroded by the radius, only the eroded piece holding the seed (or the
 *    nearest piece to it) is kept and dilated back by radius + one voxel inside the
 *    region. Leaks through necks thinner than about 2 × radius are cut off; the voxels
 *    cut are counted in the record.
 * Breadth-first on a typed-array FIFO, so the result is deterministic.
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { Finding, StageContext, StageResult } from '../pipeline/record.js';
import { round, timed } from '../pipeline/record.js';
import { inputError, usageError } from '../errors.js';
import { labelComponents, seedIndex, type Seed } from './components.js';
import { morphologyMask } from './morphology.js';

export interface RegionGrowResult {
  /** 1 inside the region. */
  mask: Uint8Array;
  voxels: number;
  /** True when growth stopped at `maxVoxels`. */
  stopped: boolean;
}

/**
 * 6-connected growth from flat index `seed` through voxels with lo ≤ HU ≤ hi, stopping
 * when more than `maxVoxels` are reached. Optional `within` restricts growth to its
 * non-zero voxels.
 */
export function growRegionMask(volume: Volume, seed: number, lo: number, hi: number, maxVoxels = Infinity, within?: ArrayLike<number>): RegionGrowResult {
  const [nx, ny, nz] = volume.grid.dims;
  const plane = nx * ny;
  const hu = volume.data;
  const n = hu.length;
  const mask = new Uint8Array(n);
  const inRange = (p: number): boolean => {
    const h = hu[p]!;
    return h >= lo && h <= hi && (within === undefined || within[p] !== 0);
  };
  if (!inRange(seed)) return { mask, voxels: 0, stopped: false };
  let queue = new Int32Array(Math.min(n, 1 << 16));
  let head = 0;
  let tail = 0;
  let stopped = false;
  const visit = (p: number): void => {
    if (mask[p] !== 0 || !inRange(p)) return;
    mask[p] = 1;
    if (tail === queue.length) {
      const g = new Int32Array(Math.min(n, queue.length * 2));
      g.set(queue);
      queue = g;
    }
    queue[tail++] = p;
  };
  visit(seed);
  while (head < tail) {
    if (tail > maxVoxels) {
      stopped = true;
      break;
    }
    const p = queue[head++]!;
    const i = p % nx;
    const r = (p - i) / nx;
    const j = r % ny;
    const k = (r - j) / ny;
    if (i > 0) visit(p - 1);
    if (i < nx - 1) visit(p + 1);
    if (j > 0) visit(p - nx);
    if (j < ny - 1) visit(p + nx);
    if (k > 0) visit(p - plane);
    if (k < nz - 1) visit(p + plane);
  }
  return { mask, voxels: tail, stopped };
}

export interface RegionGrowParams {
  seed: Seed;
  /** [lo, hi] HU, inclusive. */
  range_HU: [number, number];
  maxVolume_mm3?: number;
  bridgeRadius_mm?: number;
  /** Grow only inside the input labels' foreground (default false). */
  withinLabels?: boolean;
  /** Label value for the region (default 1). */
  label?: number;
}

/** Stage: grows a region and adds it to the labels (other labels are kept). */
export function regionGrow(labels: LabelMap, volume: Volume | undefined, params: RegionGrowParams, _ctx: StageContext = {}): StageResult<LabelMap> {
  return timed(() => {
    if (!volume) throw usageError('GROW_NEEDS_VOLUME', 'region growing needs the HU volume');
    const g = labels.grid;
    if (volume.data.length !== labels.data.length) {
      throw inputError('GRID_MISMATCH', `label map (${g.dims.join('×')}) and volume (${volume.grid.dims.join('×')}) are on different grids`);
    }
    const [lo, hi] = params.range_HU;
    if (!(lo <= hi)) throw usageError('BAD_RANGE', `region growing range must be LO,HI with LO ≤ HI (got ${lo},${hi})`);
    const maxVolume_mm3 = params.maxVolume_mm3 ?? 3_000_000;
    const bridgeRadius_mm = params.bridgeRadius_mm ?? 0;
    const label = params.label ?? 1;
    const vv = voxelVolume_mm3(g);
    const seed = seedIndex(labels, params.seed);
    const grown = growRegionMask(volume, seed, lo, hi, Math.floor(maxVolume_mm3 / vv), params.withinLabels ? labels.data : undefined);
    const findings: Finding[] = [];
    const figures: Record<string, unknown> = { seedIndex: seed, seedHU: volume.data[seed] };
    let region = grown.mask;
    let voxels = grown.voxels;
    let apply = true;
    if (grown.voxels === 0) {
      findings.push({ code: 'SEED_OUT_OF_RANGE', severity: 'warn', message: `the seed voxel holds ${volume.data[seed]} HU, outside [${lo}, ${hi}]: nothing grown` });
      apply = false;
    } else if (grown.stopped) {
      findings.push({
        code: 'REGION_LEAK',
        severity: 'warn',
        message: `region growing passed ${maxVolume_mm3} mm³ and was stopped (leak into neighbouring tissue?): narrow the HU range or set a bridge radius; the region was not applied`,
      });
      apply = false;
    } else if (bridgeRadius_mm > 0) {
      const cut = cutBridges(region, g, seed, bridgeRadius_mm);
      figures.bridgeCutVoxels = voxels - cut.voxels;
      if (cut.note) findings.push({ code: 'BRIDGE_GUARD_SKIPPED', severity: 'info', message: cut.note });
      region = cut.mask;
      voxels = cut.voxels;
    }
    figures.regionVoxels = apply ? voxels : 0;
    figures.region_mm3 = apply ? round(voxels * vv, 1) : 0;
    figures.reachedVoxels = grown.voxels;
    let data = labels.data;
    if (apply) {
      data = data.slice();
      for (let p = 0; p < data.length; p++) if (region[p] !== 0) data[p] = label;
    }
    return {
      output: apply ? { grid: g, data, ...(labels.labels ? { labels: labels.labels } : {}) } : labels,
      record: {
        stage: 'segment',
        method: 'region-grow',
        params: { seed: params.seed, range_HU: [lo, hi], connectivity: 6, maxVolume_mm3, bridgeRadius_mm, withinLabels: params.withinLabels ?? false, label },
        figures,
        ...(findings.length ? { findings } : {}),
      },
    };
  });
}

/** Opening by reconstruction around the seed (see module comment). */
function cutBridges(region: Uint8Array, g: LabelMap['grid'], seed: number, radius_mm: number): { mask: Uint8Array; voxels: number; note?: string } {
  const eroded = morphologyMask(region, g.dims, g.spacing_mm, 'erode', radius_mm);
  const cc = labelComponents(eroded, g.dims, 6);
  let keep = cc.labels[seed]!;
  if (keep === 0) {
    // The seed sits in a part thinner than the guard: take the eroded piece nearest to it.
    const [nx, ny] = g.dims;
    const si = seed % nx, sj = ((seed - si) / nx) % ny, sk = Math.floor(seed / (nx * ny));
    let best = Infinity;
    for (let p = 0; p < cc.labels.length; p++) {
      const c = cc.labels[p]!;
      if (c === 0) continue;
      const i = p % nx, j = ((p - i) / nx) % ny, k = Math.floor(p / (nx * ny));
      const d = ((i - si) * g.spacing_mm[0]) ** 2 + ((j - sj) * g.spacing_mm[1]) ** 2 + ((k - sk) * g.spacing_mm[2]) ** 2;
      if (d < best) {
        best = d;
        keep = c;
      }
    }
    if (keep === 0) {
      let voxels = 0;
      for (let p = 0; p < region.length; p++) voxels += region[p]!;
      return { mask: region, voxels, note: `the whole region is thinner than the ${radius_mm} mm bridge guard: kept as grown` };
    }
  }
  for (let p = 0; p < eroded.length; p++) eroded[p] = cc.labels[p] === keep ? 1 : 0;
  const back = morphologyMask(eroded, g.dims, g.spacing_mm, 'dilate', radius_mm + Math.max(...g.spacing_mm));
  let voxels = 0;
  for (let p = 0; p < back.length; p++) {
    back[p] = back[p]! & region[p]!;
    voxels += back[p]!;
  }
  return { mask: back, voxels };
}

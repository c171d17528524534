/**
 * Inference: features on the working grid → stage 1 → its probabilities smoothed around
 * each voxel as context features → stage 2 → P(bone), group and confidence on the scan's
 * own grid. Every pass runs in slabs on the host's pool when there is one.
 */
import { cloneGrid, voxelCount } from '../../geometry/grid.js';
import type { Volume } from '../../geometry/types.js';
import type { WorkerPool } from '../../parallel/pool.js';
import { sharedFloat32, sharedUint8 } from '../../parallel/pool.js';
import { forestSlabs, planesPerPiece } from './slabs.js';
import { blurCoarse, coarseBlurFor } from './coarse.js';
import type { SegmentationOutput } from '../method.js';
import { BASE_FEATURES, blurMm, boxMinMax, computeFeatures, scratchFor, type FeatureSet } from './features.js';
import { evalSlab, FOREST_EVAL_TASK, FOREST_UPSAMPLE_TASK, upsampleSlab, type EvalPayload, type StageArrays, type UpsamplePayload } from './kernels.js';
import type { ForestModel } from './model.js';

/** The forest's output: group ids in `labels` (label k = groups[k − 1]), P(bone) in `probability`. */
export type ForestOutput = SegmentationOutput & {
  groups: string[];
  /**
   * P(`group`) × 255 per voxel: how sure the forest is of the group it names there (not of
   * bone vs background), so a name it is unsure of (low, or split between neighbours) can be
   * told from one it is sure of wherever the bone came from (threshold-forest).
   */
  confidence: Uint8Array;
  /** The most probable bone group of every voxel, also where P(bone) < 0.5 (for reducers that name another method's bone). */
  group: Uint8Array;
};

/** Context features of the chained stage, after the base features. */
export function contextFeatureNames(groups: string[]): string[] {
  return ['pBone_gauss2', 'pBone_gauss6', 'pBone_max6', ...groups.map((g) => `p_${g}_gauss5`)];
}

function alloc(n: number, pool: WorkerPool | undefined): Float32Array {
  return pool ? sharedFloat32(n) : new Float32Array(n);
}

function shared<T extends Uint32Array | Uint16Array | Float32Array>(a: T): T {
  if (typeof SharedArrayBuffer === 'undefined' || a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (b: ArrayBufferLike) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/** Shares the stage's arrays once so every slab's message carries references, not copies. */
export function shareStage(s: StageArrays, pool: WorkerPool | undefined): StageArrays {
  if (!pool) return s;
  return { classes: s.classes, roots: shared(s.roots), feature: shared(s.feature), threshold: shared(s.threshold), next: shared(s.next), leafP: shared(s.leafP) };
}

/** Class probabilities of one stage for every working voxel (plane c = class c). */
export async function stageProbabilities(stage: StageArrays, fs: FeatureSet, pool: WorkerPool | undefined): Promise<Float32Array> {
  const out = alloc(stage.classes * fs.n, pool);
  const st = shareStage(stage, pool);
  await forestSlabs<EvalPayload>(pool, FOREST_EVAL_TASK, evalSlab, fs.n, 100_000, (start, end) => ({ stage: st, x: fs.x, n: fs.n, out, start, end }));
  return out;
}

/** Writes the context features (from stage-1 probabilities) into the planes after the base features. */
export async function addContext(fs: FeatureSet, probs: Float32Array, classes: number, pool: WorkerPool | undefined): Promise<void> {
  const n = fs.n;
  const grid = fs.wg.grid;
  const F0 = BASE_FEATURES.length;
  const plane = (f: number) => fs.x.subarray(f * n, (f + 1) * n);
  const pBone = alloc(n, pool);
  for (let v = 0; v < n; v++) pBone[v] = 1 - probs[v]!;
  const scratch = scratchFor(n, pool);
  await blurMm(pBone, plane(F0), grid, 2, pool, scratch);
  await blurMm(pBone, plane(F0 + 1), grid, 6, pool, scratch);
  // Local max of P(bone) over ±6 mm: "is there bone close by", which the blur dilutes.
  await boxMinMax(pBone, plane(F0 + 2), grid, 6, true, pool, scratch);
  // The per-group σ 5 mm blurs, the largest share of inference, on a grid about twice as coarse.
  const cb = coarseBlurFor(grid, 5, pool);
  for (let c = 1; c < classes; c++) await blurCoarse(probs.subarray(c * n, (c + 1) * n), plane(F0 + 2 + c), grid, 5, cb, pool);
}

/** Both stages on a feature set: stage-2 class probabilities (plane c = class c). */
export async function predictWorking(model: ForestModel, fs: FeatureSet, pool: WorkerPool | undefined): Promise<Float32Array> {
  const p1 = await stageProbabilities(model.stages[0], fs, pool);
  await addContext(fs, p1, model.stages[0].classes, pool);
  return stageProbabilities(model.stages[1], fs, pool);
}

/** The whole classifier on a scan: the output on the scan's grid and a few figures for the record. */
export async function runForest(volume: Volume, model: ForestModel, pool: WorkerPool | undefined): Promise<{ output: ForestOutput; figures: Record<string, number | number[]> }> {
  const K = model.stages[0].classes;
  const fs = await computeFeatures(volume, 3 + (K - 1), pool);
  const probs = await predictWorking(model, fs, pool);
  const n = fs.n;
  const pw = alloc(n, pool);
  const groupW = pool ? sharedUint8(n) : new Uint8Array(n);
  const confW = pool ? sharedUint8(n) : new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const bg = probs[v]!;
    let best = 1;
    let bestP = -1;
    for (let c = 1; c < K; c++) {
      const p = probs[c * n + v]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    pw[v] = 1 - bg;
    groupW[v] = best;
    confW[v] = Math.round(bestP * 255);
  }
  const N = voxelCount(volume.grid);
  const prob = alloc(N, pool);
  const labels = pool ? sharedUint8(N) : new Uint8Array(N);
  const confidence = pool ? sharedUint8(N) : new Uint8Array(N);
  const group = pool ? sharedUint8(N) : new Uint8Array(N);
  const dims = volume.grid.dims;
  await forestSlabs<UpsamplePayload>(pool, FOREST_UPSAMPLE_TASK, upsampleSlab, dims[2], planesPerPiece(dims[0] * dims[1]), (kStart, kEnd) => ({
    pw,
    groupW,
    confW,
    wDims: fs.wg.grid.dims,
    factor: fs.wg.factor,
    dims,
    prob,
    labels,
    confidence,
    group,
    kStart,
    kEnd,
  }));
  const names: Record<number, string> = {};
  model.meta.groups.forEach((g, i) => (names[i + 1] = g));
  const output: ForestOutput = {
    labels: { grid: cloneGrid(volume.grid), data: labels, labels: names },
    probability: { grid: cloneGrid(volume.grid), data: prob },
    groups: [...model.meta.groups],
    confidence,
    group,
  };
  return { output, figures: { working_dims: [...fs.wg.grid.dims], working_spacing_mm: fs.wg.grid.spacing_mm.map((s) => Math.round(s * 1000) / 1000), working_voxels: n } };
}

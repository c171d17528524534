/**
 * Training a chained forest from labelled scans (pure: the host reads the files).
 *
 * Per scan: features on the working grid; the reference labels taken to that grid
 * (nearest neighbour in patient mm) and mapped to groups; a stratified sample of voxels
 * (each group; background near bone or bone-like; other body; air), weighted back to the
 * stratum sizes so the leaves estimate real posteriors. Two disjoint samples are drawn:
 * stage 1 trains on the first; stage 1 then predicts every voxel, its probabilities
 * become context features, and stage 2 trains on the second sample (voxels stage 1 never
 * saw, so stage 2 does not learn to trust an over-fitted stage 1). Same cases, options
 * and seed → same bytes.
 */
import type { LabelMap, Volume } from '../../geometry/types.js';
import type { WorkerPool } from '../../parallel/pool.js';
import { inputError, usageError } from '../../errors.js';
import { mulberry32 } from '../../synthetic/random.js';
import { yieldToHost } from '../../parallel/yield.js';
import { resampleLabelsNearest } from '../../evaluate/labels.js';
import { squaredDistanceToFeatures, EDT_NONE } from '../morphology-edt.js';
import { BASE_FEATURES, BONE_LIKE_HU, WORKING_SPACING_MM, computeFeatures, workingGrid, type FeatureSet } from './features.js';
import { addContext, contextFeatureNames, stageProbabilities } from './predict.js';
import { packStage, quantileCuts, binOf, trainTree, type BinnedSamples, type BuiltTree } from './tree.js';
import type { ForestModel } from './model.js';
import type { StageArrays } from './kernels.js';

export interface TrainingCase {
  /** The scan's name (a path) for records and messages. */
  name: string;
  /** The label file's name, for messages about the labels. */
  labelsName?: string;
  volume: Volume;
  labels: LabelMap;
}

export interface TrainOptions {
  seed: number;
  /** Trees per stage. */
  trees: number;
  depth: number;
  /** Sampled voxels per group per scan (each of the two samples). */
  samplesPerGroup: number;
  /** Sampled background voxels per scan near bone / elsewhere in the body / in air. */
  backgroundNear: number;
  backgroundBody: number;
  backgroundAir: number;
  /** Histogram bins per feature (≤ 256). */
  bins: number;
  minLeaf: number;
  /** Fraction of the sample each tree sees. */
  subsample: number;
  /** Features computed but never split on (names from BASE_FEATURES or the context features). */
  exclude: string[];
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  seed: 1,
  trees: 16,
  depth: 12,
  samplesPerGroup: 3000,
  backgroundNear: 12000,
  backgroundBody: 6000,
  backgroundAir: 1500,
  bins: 64,
  minLeaf: 4,
  subsample: 0.7,
  exclude: [],
};

/** "Near bone" for the background stratum: within this distance of a reference bone voxel (mm). */
const NEAR_BONE_MM = 6;

interface CaseData {
  fs: FeatureSet;
  cls: Uint8Array;
}

interface Sample {
  caseIdx: number[];
  voxel: number[];
  cls: number[];
  weight: number[];
}

function emptySample(): Sample {
  return { caseIdx: [], voxel: [], cls: [], weight: [] };
}

/** Picks up to 2·quota members of `members` (seeded shuffle) and deals them to two samples. */
function draw(members: Uint32Array, quota: number, rand: () => number, ci: number, cls: Uint8Array, a: Sample, b: Sample): void {
  const count = members.length;
  if (count === 0) return;
  const take = Math.min(count, 2 * quota);
  for (let t = 0; t < take; t++) {
    const r = t + Math.floor(rand() * (count - t));
    const tmp = members[t]!;
    members[t] = members[r]!;
    members[r] = tmp;
  }
  const nA = Math.ceil(take / 2);
  const nB = take - nA;
  for (let t = 0; t < take; t++) {
    const s = t % 2 === 0 ? a : b;
    const w = count / (t % 2 === 0 ? nA : Math.max(1, nB));
    s.caseIdx.push(ci);
    s.voxel.push(members[t]!);
    s.cls.push(cls[members[t]!]!);
    s.weight.push(w);
  }
}

function binSamples(sample: Sample, cases: CaseData[], F: number, classes: number, bins: number): BinnedSamples {
  const m = sample.voxel.length;
  const cuts: Float32Array[] = [];
  const binned = new Uint8Array(F * m);
  const values = new Float32Array(m);
  for (let f = 0; f < F; f++) {
    for (let s = 0; s < m; s++) {
      const c = cases[sample.caseIdx[s]!]!;
      values[s] = c.fs.x[f * c.fs.n + sample.voxel[s]!]!;
    }
    const cf = quantileCuts(values, bins);
    cuts.push(cf);
    for (let s = 0; s < m; s++) binned[f * m + s] = binOf(cf, values[s]!);
  }
  return { m, F, classes, bins: binned, cuts, cls: Uint8Array.from(sample.cls), weight: Float32Array.from(sample.weight) };
}

async function trainStage(set: BinnedSamples, opts: TrainOptions, rand: () => number, names: string[]): Promise<StageArrays> {
  // An excluded feature gets no cuts, so no split ever uses it.
  for (let f = 0; f < set.F; f++) if (opts.exclude.includes(names[f]!)) set.cuts[f] = new Float32Array(0);
  const trees: BuiltTree[] = [];
  const mtry = Math.max(2, Math.round(Math.sqrt(set.F) * 1.5));
  const k = Math.max(1, Math.floor(set.m * opts.subsample));
  const all = Uint32Array.from({ length: set.m }, (_, i) => i);
  for (let t = 0; t < opts.trees; t++) {
    for (let i = 0; i < k; i++) {
      const r = i + Math.floor(rand() * (set.m - i));
      const tmp = all[i]!;
      all[i] = all[r]!;
      all[r] = tmp;
    }
    const subset = all.slice(0, k).sort();
    trees.push(trainTree(set, subset, rand, { depth: opts.depth, mtry, minLeaf: opts.minLeaf }));
    await yieldToHost(); // one tree is well under a second; let the host breathe between trees
  }
  return packStage(trees, set.classes);
}

/**
 * Trains the chained forest. `lookup` maps reference label ids to group index + 1
 * (resolveGroups); `trainedOn` is what the model's record names as its training data.
 */
export async function trainForest(
  cases: TrainingCase[],
  groupDef: { groups: string[]; lookup: Uint8Array },
  options: Partial<TrainOptions>,
  meta: { trainedOn: string[]; createdWith: string },
  pool?: WorkerPool,
): Promise<{ model: ForestModel; figures: Record<string, unknown> }> {
  const opts = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  if (cases.length === 0) throw usageError('NO_TRAINING_DATA', 'training needs at least one scan with its labels');
  if (!Number.isInteger(opts.trees) || opts.trees < 1 || opts.trees > 1000) throw usageError('BAD_OPTION', `trees ${opts.trees}: expected 1..1000`);
  if (!Number.isInteger(opts.depth) || opts.depth < 1 || opts.depth > 30) throw usageError('BAD_OPTION', `depth ${opts.depth}: expected 1..30`);
  if (!Number.isInteger(opts.bins) || opts.bins < 2 || opts.bins > 256) throw usageError('BAD_OPTION', `bins ${opts.bins}: expected 2..256`);
  const known = [...BASE_FEATURES, 'pBone_gauss2', 'pBone_gauss6', 'pBone_max6'];
  for (const e of opts.exclude) if (!known.includes(e) && !/^p_.+_gauss5$/.test(e)) throw usageError('BAD_OPTION', `exclude: unknown feature "${e}" (known: ${known.join(', ')}, p_<group>_gauss5)`);
  const t0 = performance.now();

  // Reference labels → group index per working voxel (computed first: the classes are
  // the groups present in some scan).
  const present = new Set<number>();
  const mapped: Array<{ g: Uint8Array }> = [];
  for (const c of cases) {
    const wg = workingGrid(c.volume.grid);
    const onW = resampleLabelsNearest(c.labels, wg.grid);
    const g = new Uint8Array(onW.data.length);
    let any = 0;
    for (let v = 0; v < g.length; v++) {
      const gi = groupDef.lookup[onW.data[v]!]!;
      g[v] = gi;
      if (gi) {
        present.add(gi);
        any++;
      }
    }
    if (any === 0) throw inputError('NO_LABELLED_BONE', 'none of the labels of the group definition occurs in this label map (on the scan\'s grid)', c.labelsName ?? c.name);
    mapped.push({ g });
  }
  const groupIdx = [...present].sort((a, b) => a - b);
  const groups = groupIdx.map((gi) => groupDef.groups[gi - 1]!);
  const absentGroups = groupDef.groups.filter((_, i) => !present.has(i + 1));
  const classOf = new Uint8Array(256);
  groupIdx.forEach((gi, k) => (classOf[gi] = k + 1));
  const K = groups.length + 1;
  const context = contextFeatureNames(groups);

  const rand = mulberry32(opts.seed);
  const A = emptySample();
  const B = emptySample();
  const data: CaseData[] = [];
  const strata: Record<string, number[]> = {};
  for (let ci = 0; ci < cases.length; ci++) {
    const c = cases[ci]!;
    const fs = await computeFeatures(c.volume, context.length, pool);
    const n = fs.n;
    const cls = new Uint8Array(n);
    const g = mapped[ci]!.g;
    for (let v = 0; v < n; v++) cls[v] = classOf[g[v]!]!;
    data.push({ fs, cls });
    const bone = new Uint8Array(n);
    for (let v = 0; v < n; v++) bone[v] = cls[v] ? 1 : 0;
    const d2 = squaredDistanceToFeatures(bone, fs.wg.grid.dims, fs.wg.grid.spacing_mm, undefined, NEAR_BONE_MM * NEAR_BONE_MM);
    const hu = fs.x.subarray(0, n);
    const depth = fs.x.subarray(BASE_FEATURES.indexOf('depth') * n, (BASE_FEATURES.indexOf('depth') + 1) * n);
    // stratum: 0..K-1 = class c (bone), K = near/bone-like background, K+1 = body, K+2 = air
    const stratum = new Uint8Array(n);
    const sizes = new Uint32Array(K + 3);
    for (let v = 0; v < n; v++) {
      const s = cls[v] ? cls[v]! : d2[v]! < EDT_NONE || hu[v]! > BONE_LIKE_HU ? K : depth[v]! > 0 ? K + 1 : K + 2;
      stratum[v] = s;
      sizes[s]!++;
    }
    const members = Array.from(sizes, (s) => new Uint32Array(s));
    const fill = new Uint32Array(K + 3);
    for (let v = 0; v < n; v++) members[stratum[v]!]![fill[stratum[v]!]!++] = v;
    for (let s = 1; s < K + 3; s++) {
      const quota = s < K ? opts.samplesPerGroup : s === K ? opts.backgroundNear : s === K + 1 ? opts.backgroundBody : opts.backgroundAir;
      draw(members[s]!, quota, rand, ci, cls, A, B);
    }
    // Keyed by the file's base name, not the path given: the same data read from another folder
    // (../shared/… or /work/shared/…) must train the same bytes.
    strata[strataKey(c.name, strata)] = Array.from(sizes);
  }

  const F0 = BASE_FEATURES.length;
  const setA = binSamples(A, data, F0, K, opts.bins);
  const stage1 = await trainStage(setA, opts, rand, [...BASE_FEATURES]);
  const t1 = performance.now();
  for (const d of data) {
    const p1 = await stageProbabilities(stage1, d.fs, pool);
    await addContext(d.fs, p1, K, pool);
  }
  const setB = binSamples(B, data, F0 + context.length, K, opts.bins);
  const stage2 = await trainStage(setB, opts, rand, [...BASE_FEATURES, ...context]);
  const t2 = performance.now();

  const model: ForestModel = {
    meta: {
      format: 1,
      groups,
      absentGroups,
      trainedOn: meta.trainedOn,
      seed: opts.seed,
      features: [...BASE_FEATURES],
      contextFeatures: context,
      trees: opts.trees,
      depth: opts.depth,
      createdWith: meta.createdWith,
      workingSpacing_mm: WORKING_SPACING_MM,
      training: {
        options: opts,
        samplesStage1: setA.m,
        samplesStage2: setB.m,
        strataVoxels: strata,
        strataOrder: ['not bone (unused)', ...groups, 'background near bone', 'background body', 'air'],
      },
    },
    stages: [stage1, stage2],
  };
  return {
    model,
    figures: {
      samplesStage1: setA.m,
      samplesStage2: setB.m,
      nodesStage1: stage1.feature.length,
      nodesStage2: stage2.feature.length,
      stage1_ms: Math.round(t1 - t0),
      stage2_ms: Math.round(t2 - t1),
    },
  };
}

/** `c.name`'s base name; a second case of the same base name gets its position appended. */
function strataKey(name: string, taken: Record<string, number[]>): string {
  const base = name.split(/[\\/]/).pop() || name;
  let key = base;
  for (let i = 2; key in taken; i++) key = `${base} (${i})`;
  return key;
}

/**
 * Training of one classification tree with histogram splits: every feature is cut into
 * at most `bins` quantile bins once, samples carry their bin numbers (Uint8), and a node
 * tries `mtry` random features, each by one pass that fills a bins × classes histogram of
 * sample weights, then the best weighted-Gini cut. Depth-limited, no pruning. Written
 * here rather than taken from a library because it must run in the browser and in
 * workers over typed arrays, deterministically from a seed, and store compactly.
 */
import { LEAF, type StageArrays } from './kernels.js';

export interface BinnedSamples {
  /** Sample count. */
  m: number;
  /** Features per sample. */
  F: number;
  classes: number;
  /** Bin of feature f of sample s at bins[f·m + s]. */
  bins: Uint8Array;
  /** Cut values per feature: bin b holds values in [cuts[b−1], cuts[b]). */
  cuts: Float32Array[];
  cls: Uint8Array;
  weight: Float32Array;
}

export interface TreeOptions {
  depth: number;
  mtry: number;
  minLeaf: number;
}

export interface BuiltTree {
  feature: number[];
  threshold: number[];
  next: number[];
  leaves: Float64Array[];
}

/** Quantile cut points of a feature's sample values (≤ bins − 1 distinct cuts). */
export function quantileCuts(values: Float32Array, bins: number): Float32Array {
  const s = Float32Array.from(values).sort();
  const cuts: number[] = [];
  for (let b = 1; b < bins; b++) {
    const c = s[Math.floor((b * s.length) / bins)];
    if (c === undefined) continue;
    if (cuts.length === 0 || c > cuts[cuts.length - 1]!) cuts.push(c);
  }
  return Float32Array.from(cuts);
}

/** Bin of `v` under `cuts`: the number of cuts ≤ v (so v < cuts[b] ⇔ bin ≤ b). */
export function binOf(cuts: Float32Array, v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function trainTree(set: BinnedSamples, subset: Uint32Array, rand: () => number, opts: TreeOptions): BuiltTree {
  const { m, F, classes: K, bins, cuts, cls, weight } = set;
  const B = 256;
  const tree: BuiltTree = { feature: [0], threshold: [0], next: [0], leaves: [] };
  const hist = new Float64Array(B * K);
  const counts = new Uint32Array(B);
  const order = Array.from({ length: F }, (_, i) => i);
  const stack: Array<{ node: number; idx: Uint32Array; depth: number }> = [{ node: 0, idx: subset, depth: 0 }];
  const totals = new Float64Array(K);
  const left = new Float64Array(K);
  const makeLeaf = (node: number, dist: Float64Array) => {
    tree.feature[node] = LEAF;
    tree.threshold[node] = 0;
    tree.next[node] = tree.leaves.length;
    tree.leaves.push(dist);
  };
  while (stack.length) {
    const { node, idx, depth } = stack.pop()!;
    totals.fill(0);
    for (const s of idx) totals[cls[s]!]! += weight[s]!;
    let W = 0;
    let sq = 0;
    let nonzero = 0;
    for (let c = 0; c < K; c++) {
      W += totals[c]!;
      sq += totals[c]! * totals[c]!;
      if (totals[c]! > 0) nonzero++;
    }
    const dist = Float64Array.from(totals, (t) => (W > 0 ? t / W : 0));
    if (depth >= opts.depth || idx.length < 2 * opts.minLeaf || nonzero <= 1) {
      makeLeaf(node, dist);
      continue;
    }
    const parent = W - sq / W;
    let bestGain = 1e-12 * W;
    let bestF = -1;
    let bestB = -1;
    // Partial Fisher–Yates: the first mtry entries of `order` are this node's features.
    for (let t = 0; t < opts.mtry && t < F; t++) {
      const r = t + Math.floor(rand() * (F - t));
      const tmp = order[t]!;
      order[t] = order[r]!;
      order[r] = tmp;
    }
    for (let t = 0; t < opts.mtry && t < F; t++) {
      const f = order[t]!;
      const nb = cuts[f]!.length + 1;
      if (nb < 2) continue;
      hist.fill(0, 0, nb * K);
      counts.fill(0, 0, nb);
      const base = f * m;
      for (const s of idx) {
        const b = bins[base + s]!;
        hist[b * K + cls[s]!]! += weight[s]!;
        counts[b]!++;
      }
      left.fill(0);
      let WL = 0;
      let nL = 0;
      for (let b = 0; b < nb - 1; b++) {
        nL += counts[b]!;
        for (let c = 0; c < K; c++) {
          const h = hist[b * K + c]!;
          left[c]! += h;
          WL += h;
        }
        if (nL < opts.minLeaf) continue;
        if (idx.length - nL < opts.minLeaf) break;
        const WR = W - WL;
        if (WL <= 0 || WR <= 0) continue;
        let sL = 0;
        let sR = 0;
        for (let c = 0; c < K; c++) {
          const l = left[c]!;
          const r = totals[c]! - l;
          sL += l * l;
          sR += r * r;
        }
        const gain = parent - (WL - sL / WL) - (WR - sR / WR);
        if (gain > bestGain) {
          bestGain = gain;
          bestF = f;
          bestB = b;
        }
      }
    }
    if (bestF < 0) {
      makeLeaf(node, dist);
      continue;
    }
    const base = bestF * m;
    let nLeft = 0;
    for (const s of idx) if (bins[base + s]! <= bestB) nLeft++;
    const li = new Uint32Array(nLeft);
    const ri = new Uint32Array(idx.length - nLeft);
    let a = 0;
    let b = 0;
    for (const s of idx) {
      if (bins[base + s]! <= bestB) li[a++] = s;
      else ri[b++] = s;
    }
    const l = tree.feature.length;
    tree.feature.push(0, 0);
    tree.threshold.push(0, 0);
    tree.next.push(0, 0);
    tree.feature[node] = bestF;
    tree.threshold[node] = cuts[bestF]![bestB]!;
    tree.next[node] = l;
    stack.push({ node: l + 1, idx: ri, depth: depth + 1 }, { node: l, idx: li, depth: depth + 1 });
  }
  return tree;
}

/** Trees → one stage's flat arrays (leaf distributions quantised to Uint16). */
export function packStage(trees: BuiltTree[], classes: number): StageArrays {
  const nodes = trees.reduce((a, t) => a + t.feature.length, 0);
  const leaves = trees.reduce((a, t) => a + t.leaves.length, 0);
  const roots = new Uint32Array(trees.length);
  const feature = new Uint16Array(nodes);
  const threshold = new Float32Array(nodes);
  const next = new Uint32Array(nodes);
  const leafP = new Uint16Array(leaves * classes);
  let no = 0;
  let lo = 0;
  trees.forEach((t, ti) => {
    roots[ti] = no;
    for (let i = 0; i < t.feature.length; i++) {
      const f = t.feature[i]!;
      feature[no + i] = f;
      threshold[no + i] = t.threshold[i]!;
      next[no + i] = f === LEAF ? t.next[i]! + lo : t.next[i]! + no;
    }
    t.leaves.forEach((d, li) => {
      for (let c = 0; c < classes; c++) leafP[(lo + li) * classes + c] = Math.round(d[c]! * 65535);
    });
    no += t.feature.length;
    lo += t.leaves.length;
  });
  return { classes, roots, feature, threshold, next, leafP };
}

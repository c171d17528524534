/**
 * Structure identification: bone regions (anatomy/regions.ts) → structures of the anatomical
 * graph, by maximising the log-probability of the whole assignment:
 *
 *   Σ_regions  log p(features | structure)  [+ forest votes]   +   Σ_relations  log p(relation holds)
 *
 * Unary terms: each expected feature range is flat inside and falls off as a Gaussian outside
 * (σ per feature below); a sided structure on the wrong side of the mid-sagittal plane gets
 * SIDE_PENALTY (left and right are never swapped); a region mostly outside the body (a table,
 * a holder) fits no structure. Several regions may take the same structure (pieces of a rib
 * cage, vertebrae, a skull split at its base); a region may take none (NULL_SCORE: "fits
 * nothing", e.g. an implant denser than any bone). Pairwise terms use each structure's
 * aggregate (centroid, extent) and cost 1 per 10 mm of violation.
 *
 * Solver: iterated conditional modes (Besag, J R Stat Soc B 1986;48:259–302) from the unary
 * argmax, regions visited largest first, until no single change improves the total. Not the
 * Hungarian method: the assignment is many-to-one with relation terms, which a linear
 * assignment cannot express. Confidence of a region: its structure's share of the local
 * conditional distribution (softmax over every label, NULL included, of the total score).
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageRecord } from '../pipeline/record.js';
import { round } from '../pipeline/record.js';
import { ANATOMY_GRAPH } from './graph-data.js';
import { BODY_REGIONS, checkGraph, type AnatomyGraph, type Range, type Relation, type StructureDef } from './graph.js';
import { boneRegions, forEachFineVoxel, type Contact, type RegionParams, type Regions } from './regions.js';
import { BONE_GROUPS } from '../segment/forest/groups.js';
import { addSums, emptySums, regionFeatures, type RegionFeatures, type Sums } from './features.js';

export interface IdentifiedStructure {
  name: string;
  group: string;
  side: 'left' | 'right' | null;
  /** Value of this structure in the identification's label map. */
  label: number;
  voxels: number;
  volume_mm3: number;
  bbox_mm: [number, number, number, number, number, number];
  confidence: number;
  evidence: string[];
}

export interface Identification {
  region: string[];
  structures: IdentifiedStructure[];
  missing: { name: string; reason: string }[];
  unassigned: { label: number; volume_mm3: number; reason: string }[];
}

/**
 * The forest's output as identification reads it (segment/forest's ForestOutput has these
 * fields): group id per voxel (label k = groups[k − 1]) and argmax P × 255 per voxel.
 */
export interface ForestEvidence {
  labels: LabelMap;
  groups: string[];
  confidence?: Uint8Array;
}

export interface IdentifyOptions {
  forest?: ForestEvidence;
  graph?: AnatomyGraph;
  regions?: RegionParams;
}

/** Score of "fits no structure". */
const NULL_SCORE = -6;
/** A sided structure on the other side of the midline. */
const SIDE_PENALTY = -25;
/** |lateral| under this is on the midline: no side can be told. */
const MIDLINE = 0.03;
/** Regions under this volume are not identified (too little to tell what they are). */
const MIN_REGION_MM3 = 300;
/** Unidentified regions under this volume that touch identified bone join it (surface fragments). */
const FRAGMENT_MM3 = 5000;
/** Weight of the forest's log vote share. */
const FOREST_WEIGHT = 2;
/** Score for touching a region of the same structure (times the share of the contact). */
const CONTACT_BONUS = 1;
/** Score for touching a region of a structure the graph keeps apart. */
const APART_PENALTY = -3;
/** Score for touching a region of a structure the graph says it touches. */
const TOUCH_BONUS = 1.5;
/** σ of the fall-off outside each range (volume: in natural log units). */
const SIGMA: Record<string, number> = { bodyWidth_mm: 25, lateral: 0.08, anterior: 0.15, widthFraction: 0.08, volume_cm3: 0.3, meanHU: 120, air: 0.04, midlineBone: 0.2, limb: 0.2, compact: 0.08, ribLevel: 0.25, boneSpan: 0.1 };

function outside(x: number, r: Range, sigma: number): number {
  const d = x < r[0] ? r[0] - x : x > r[1] ? x - r[1] : 0;
  return -0.5 * (d / sigma) ** 2;
}

interface UnaryTerm {
  total: number;
  /** The feature costing most, for messages. */
  worst: { feature: string; cost: number; value: number; range: Range } | null;
}

export function unary(f: RegionFeatures, s: StructureDef): UnaryTerm {
  let total = 0;
  let worst: UnaryTerm['worst'] = null;
  const add = (feature: string, cost: number, value: number, range: Range) => {
    total += cost;
    if (cost < -0.5 && (!worst || cost < worst.cost)) worst = { feature, cost, value, range };
  };
  const e = s.features;
  add('bodyWidth_mm', outside(f.bodyWidth_mm, e.bodyWidth_mm, SIGMA.bodyWidth_mm!), f.bodyWidth_mm, e.bodyWidth_mm);
  add('lateral', outside(f.lateral, e.lateral, SIGMA.lateral!), f.lateral, e.lateral);
  add('anterior', outside(f.anterior, e.anterior, SIGMA.anterior!), f.anterior, e.anterior);
  // Pieces are narrower than the whole: only the upper width bound binds.
  add('widthFraction', outside(f.widthFraction, [0, e.widthFraction[1]], SIGMA.widthFraction!), f.widthFraction, e.widthFraction);
  // A region may be a piece of the structure: only the upper volume bound binds.
  const v = Math.log(Math.max(1e-3, f.volume_mm3 / 1000));
  const vmax = e.pieceMax_cm3 ?? e.volume_cm3[1];
  add('volume_cm3', outside(v, [-Infinity, Math.log(vmax)], SIGMA.volume_cm3!), f.volume_mm3 / 1000, [0, vmax]);
  add('air', outside(f.air, e.air, SIGMA.air!), f.air, e.air);
  if (e.areaMax_cm2 !== undefined) add('area_cm2', outside(Math.log(Math.max(1e-3, f.area_cm2)), [-Infinity, Math.log(e.areaMax_cm2)], SIGMA.volume_cm3!), f.area_cm2, [0, e.areaMax_cm2]);
  if (s.logPrior) total += s.logPrior;
  if (e.boneSpan) add('boneSpan', outside(f.boneSpan, e.boneSpan, SIGMA.boneSpan!), f.boneSpan, e.boneSpan);
  if (e.ribLevel) add('ribLevel', outside(f.ribLevel, e.ribLevel, SIGMA.ribLevel!), f.ribLevel, e.ribLevel);
  if (e.compact) add('compact', outside(f.compact, e.compact, SIGMA.compact!), f.compact, e.compact);
  const limb = e.limb ?? [0, 0.5];
  add('limb', outside(f.limb, limb, SIGMA.limb!), f.limb, limb);
  const mid = e.midlineBone ?? [0.5, 1];
  add('midlineBone', outside(f.midlineBone, mid, SIGMA.midlineBone!), f.midlineBone, mid);
  add('meanHU', outside(f.meanHU, e.meanHU, SIGMA.meanHU!), f.meanHU, e.meanHU);
  if (s.side && f.lateral > MIDLINE && (f.lateralSigned > 0) !== (s.side === 'left')) add('side', SIDE_PENALTY, f.lateralSigned, s.side === 'left' ? [0, 1] : [-1, 0]);
  if (f.inside < 0.25) add('insideBody', -30, f.inside, [0.25, 1]);
  return { total, worst };
}

interface Aggregate extends Sums {
  cx: number;
  cy: number;
  cz: number;
}

function aggregate(s: Sums): Aggregate {
  const n = Math.max(1, s.cells);
  return { ...s, cx: s.sx / n, cy: s.sy / n, cz: s.sz / n };
}

/** Log-probability cost of one relation on the two structures' aggregates (≤ 0). */
function relationCost(rel: Relation, a: Aggregate, b: Aggregate): number {
  const cm = (mm: number) => Math.max(0, mm) / 10;
  const tol = rel.tol_mm ?? 20;
  switch (rel.rel) {
    case 'inferior':
      return -cm(a.cz - b.cz);
    case 'superior':
      return -cm(b.cz - a.cz);
    case 'below':
      return -cm(a.max[2] - b.min[2] - tol);
    case 'level':
      return -(cm(b.min[2] - tol - a.min[2]) + cm(a.max[2] - b.max[2] - tol));
    case 'anterior':
      return -cm(a.cy - b.cy);
    case 'adjacent': {
      let gap = 0;
      for (let t = 0; t < 3; t++) gap = Math.max(gap, a.min[t]! - b.max[t]!, b.min[t]! - a.max[t]!);
      return -cm(gap - 10);
    }
    case 'left-of':
      return -3 * cm(b.cx - a.cx);
    case 'apart':
    case 'touches':
      return 0; // region contacts: solve()
  }
}

/** Structure for each region (−1 = none) by ICM; returns the labelling and per-region confidence. */
function solve(features: RegionFeatures[], sums: Sums[], graph: AnatomyGraph, unaryOf: (r: number, s: number) => number, active: number[], contacts: Contact[]) {
  const S = graph.structures.length;
  const index = new Map(graph.structures.map((s, i) => [s.name, i]));
  // Touching regions: the same structure is likely (CONTACT_BONUS × share of the contact), an 'apart' pair is not.
  const neighbours: Array<Array<{ n: number; w: number }>> = Array.from({ length: features.length }, () => []);
  const totals = new Float64Array(features.length);
  for (const c of contacts) {
    totals[c.a]! += c.faces;
    totals[c.b]! += c.faces;
  }
  for (const c of contacts) {
    neighbours[c.a]!.push({ n: c.b, w: c.faces / totals[c.a]! });
    neighbours[c.b]!.push({ n: c.a, w: c.faces / totals[c.b]! });
  }
  // Per ordered structure pair: 1 apart, 2 touches.
  const contactRel = new Uint8Array(S * S);
  for (const r of graph.relations) {
    if (r.rel !== 'apart' && r.rel !== 'touches') continue;
    const a = index.get(r.a)!;
    const b = index.get(r.b)!;
    contactRel[a * S + b] = contactRel[b * S + a] = r.rel === 'apart' ? 1 : 2;
  }
  const contactScore = (r: number, s: number): number => {
    if (s < 0) return 0;
    let t = 0;
    for (const { n, w } of neighbours[r]!) {
      const l = label[n]!;
      if (l < 0) continue;
      if (l === s) t += CONTACT_BONUS * w;
      else if (contactRel[s * S + l] === 1) t += APART_PENALTY * Math.min(1, 4 * w);
      else if (contactRel[s * S + l] === 2) t += TOUCH_BONUS * Math.min(1, 4 * w);
    }
    return t;
  };
  const rels = graph.relations.map((r) => ({ r, a: index.get(r.a)!, b: index.get(r.b)! }));
  // Relations touching each structure, so a change re-scores only those.
  const relsOf: number[][] = Array.from({ length: S }, () => []);
  rels.forEach((x, i) => {
    relsOf[x.a]!.push(i);
    if (x.b !== x.a) relsOf[x.b]!.push(i);
  });
  const label = new Int32Array(features.length).fill(-1);
  for (const r of active) {
    let best = -1;
    let bestScore = NULL_SCORE;
    for (let s = 0; s < S; s++) {
      const u = unaryOf(r, s);
      if (u > bestScore) {
        bestScore = u;
        best = s;
      }
    }
    label[r] = best;
  }
  const members: number[][] = Array.from({ length: S }, () => []);
  for (const r of active) if (label[r]! >= 0) members[label[r]!]!.push(r);
  const aggOf = (list: number[]): Aggregate | undefined => {
    if (!list.length) return undefined;
    const t = emptySums();
    for (const r of list) addSums(t, sums[r]!);
    return aggregate(t);
  };
  const agg: Array<Aggregate | undefined> = members.map(aggOf);
  /** Cost of the relations touching structures in `touched`, with `view` giving aggregates. */
  const relCost = (touched: number[], view: (s: number) => Aggregate | undefined): number => {
    const done = new Set<number>();
    let t = 0;
    for (const s of touched) {
      if (s < 0) continue;
      for (const i of relsOf[s]!) {
        if (done.has(i)) continue;
        done.add(i);
        const { r, a, b } = rels[i]!;
        const A = view(a);
        const B = view(b);
        if (A && B) t += relationCost(r, A, B);
      }
    }
    return t;
  };
  /** Total score (unary of r + relations touching its old and new structure) for every label of r. */
  const localScores = (r: number): Float64Array => {
    const out = new Float64Array(S + 1);
    const old = label[r]!;
    const without = old >= 0 ? aggOf(members[old]!.filter((x) => x !== r)) : undefined;
    for (let s = -1; s < S; s++) {
      let withR: Aggregate | undefined;
      if (s >= 0) {
        if (s === old) withR = agg[s];
        else {
          const t = emptySums();
          const cur = agg[s];
          if (cur) addSums(t, cur);
          addSums(t, sums[r]!);
          withR = aggregate(t);
        }
      }
      const view = (x: number): Aggregate | undefined => (x === s ? withR : x === old ? without : agg[x]);
      out[s + 1] = (s < 0 ? NULL_SCORE : unaryOf(r, s)) + relCost([old, s], view) + contactScore(r, s);
    }
    return out;
  };
  for (let sweep = 0; sweep < 30; sweep++) {
    let changed = false;
    for (const r of active) {
      const sc = localScores(r);
      const old = label[r]!;
      let best = old;
      for (let s = -1; s < S; s++) if (sc[s + 1]! > sc[best + 1]! + 1e-9) best = s;
      if (best === old) continue;
      if (old >= 0) {
        members[old] = members[old]!.filter((x) => x !== r);
        agg[old] = aggOf(members[old]!);
      }
      if (best >= 0) {
        members[best]!.push(r);
        agg[best] = aggOf(members[best]!);
      }
      label[r] = best;
      changed = true;
    }
    if (!changed) break;
  }
  const confidence = new Float64Array(features.length);
  for (const r of active) {
    const sc = localScores(r);
    const top = Math.max(...sc);
    let z = 0;
    for (const v of sc) z += Math.exp(v - top);
    confidence[r] = Math.exp(sc[label[r]! + 1]! - top) / z;
  }
  return { label, confidence };
}

/**
 * Forest group → structure index (−1: none): the same name, else the structure sharing most
 * TotalSegmentator label names with the group's definition (segment/forest BONE_GROUPS:
 * vertebrae_lumbar → lumbar_spine).
 */
export function structureOfGroup(group: string, graph: AnatomyGraph): number {
  const n = group.toLowerCase();
  const same = graph.structures.findIndex((s) => s.name === n || s.group === n);
  if (same >= 0) return same;
  const members = BONE_GROUPS[n];
  if (!members) return -1;
  let best = -1;
  let bestN = 0;
  graph.structures.forEach((s, i) => {
    const k = s.totalSegmentator.filter((t) => members.includes(t)).length;
    if (k > bestN) {
      bestN = k;
      best = i;
    }
  });
  return best;
}

/** Forest evidence carried by a label map whose values are forest groups (segment/forest labels name them). */
function evidenceInLabels(labels: LabelMap, graph: AnatomyGraph): ForestEvidence | undefined {
  const names = labels.labels;
  if (!names) return undefined;
  const ids = Object.keys(names).map(Number).filter((k) => k > 0);
  if (ids.length < 2) return undefined;
  const max = Math.max(...ids);
  const groups = Array.from({ length: max }, (_, k) => names[k + 1] ?? '');
  if (groups.filter((g) => structureOfGroup(g, graph) >= 0).length < 2) return undefined;
  return { labels, groups };
}

/** Forest vote share per region and structure: fraction of the region's bone voxels (confidence-weighted) voting each structure. */
function forestVotes(labels: LabelMap, regions: Regions, forest: ForestEvidence, graph: AnatomyGraph): Float64Array[] {
  const S = graph.structures.length;
  const groupToStructure = forest.groups.map((g) => structureOfGroup(g, graph));
  const votes = Array.from({ length: regions.count + 1 }, () => new Float64Array(S + 1));
  const fl = forest.labels.data;
  const conf = forest.confidence;
  const src = labels.data;
  if (fl.length !== src.length) return votes;
  forEachFineVoxel(labels.grid, regions.coarse, (p, q) => {
    if (src[p] === 0) return;
    const id = regions.ids[q]!;
    if (id === 0) return;
    const gk = fl[p]!;
    const s = gk > 0 ? (groupToStructure[gk - 1] ?? -1) : -1;
    const w = conf ? conf[p]! / 255 : 1;
    votes[id]![s + 1]! += w;
  });
  return votes;
}

/** Structure per coarse cell: identified regions keep theirs; cells of small regions take their nearest identified neighbour's. */
function propagate(regions: Regions, structureOfRegion: Int32Array, features: RegionFeatures[], label: Int32Array): Int32Array {
  const { ids } = regions;
  const [nx, ny, nz] = regions.coarse.dims;
  const plane = nx * ny;
  const out = new Int32Array(ids.length);
  const queue = new Int32Array(ids.length);
  let tail = 0;
  for (let q = 0; q < ids.length; q++) {
    const id = ids[q]!;
    if (id && structureOfRegion[id]) {
      out[q] = structureOfRegion[id]!;
      queue[tail++] = q;
    }
  }
  // Too small to identify, or an unidentified fragment (under FRAGMENT_MM3, not denser than bone) touching identified bone.
  const small = (id: number) => {
    if (id === 0) return false;
    const f = features[id]!;
    return f.volume_mm3 < MIN_REGION_MM3 || (label[id]! < 0 && f.volume_mm3 < FRAGMENT_MM3 && f.meanHU <= 1600);
  };
  for (let head = 0; head < tail; head++) {
    const q = queue[head]!;
    const i = q % nx;
    const j = Math.floor(q / nx) % ny;
    const k = Math.floor(q / plane);
    for (let dk = -1; dk <= 1; dk++) {
      const kk = k + dk;
      if (kk < 0 || kk >= nz) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if (jj < 0 || jj >= ny) continue;
        for (let di = -1; di <= 1; di++) {
          const ii = i + di;
          if (ii < 0 || ii >= nx) continue;
          const r = ii + jj * nx + kk * plane;
          if (out[r] === 0 && small(ids[r]!)) {
            out[r] = out[q]!;
            queue[tail++] = r;
          }
        }
      }
    }
  }
  return out;
}

/** Forest confidence (× 255) above which a voxel's own forest group overrides its region's structure. */
const FOREST_VOXEL_CONFIDENCE = 153;

/**
 * Inside a region that joins two structures (a femoral head in its socket), the forest's
 * per-voxel group separates them: a voxel takes the structure its forest group names when
 * that structure was identified, the forest is confident (≥ 0.6) and, for a sided structure,
 * the voxel lies on that side of the mid-sagittal plane (left and right are never swapped).
 */
function refineWithForest(out: Uint8Array | Uint16Array, regions: Regions, forest: ForestEvidence, graph: AnatomyGraph, structures: IdentifiedStructure[]): number {
  const byName = new Map(structures.map((s) => [s.name, s]));
  const labelOfGroup = forest.groups.map((g) => {
    const i = structureOfGroup(g, graph);
    return i >= 0 ? (byName.get(graph.structures[i]!.name) ?? null) : null;
  });
  const fl = forest.labels.data;
  if (fl.length !== out.length) return 0;
  const conf = forest.confidence;
  const mid = regions.body.midX;
  const { centre } = regions.coarse;
  let n = 0;
  forEachFineVoxel(forest.labels.grid, regions.coarse, (p, q) => {
    const cur = out[p]!;
    if (cur === 0) return;
    const gk = fl[p]!;
    if (gk === 0) return;
    const s = labelOfGroup[gk - 1];
    if (!s || s.label === cur) return;
    if (conf && conf[p]! < FOREST_VOXEL_CONFIDENCE) return;
    if (s.side && (centre[3 * q]! - mid > 0) !== (s.side === 'left')) return;
    out[p] = s.label;
    n++;
  });
  return n;
}

export interface IdentifyResult {
  output: Identification;
  record: StageRecord;
  /** Structure label per voxel on the labels' grid (value = IdentifiedStructure.label). */
  labels: LabelMap;
}

/** Identifies the bone structures of a bone label map (any non-zero voxel is bone). */
export function identifyStructures(labels: LabelMap, volume: Volume, opts: IdentifyOptions = {}): IdentifyResult {
  const t0 = performance.now();
  const graph = checkGraph(opts.graph ?? ANATOMY_GRAPH);
  const regions = boneRegions(labels, volume, opts.regions ?? {});
  const vv = voxelVolume_mm3(labels.grid);
  const { features, sums } = regionFeatures(regions, vv);
  const S = graph.structures.length;
  const active: number[] = [];
  for (let r = 1; r <= regions.count; r++) if (features[r]!.volume_mm3 >= MIN_REGION_MM3) active.push(r);
  active.sort((a, b) => features[b]!.volume_mm3 - features[a]!.volume_mm3 || a - b);
  const forest = opts.forest ?? evidenceInLabels(labels, graph);
  const votes = forest ? forestVotes(labels, regions, forest, graph) : undefined;
  const table = new Map<number, UnaryTerm[]>();
  for (const r of active) table.set(r, graph.structures.map((s) => unary(features[r]!, s)));
  const unaryOf = (r: number, s: number): number => {
    let u = table.get(r)![s]!.total;
    if (votes) {
      const v = votes[r]!;
      let tot = 0;
      for (const x of v) tot += x;
      // Laplace-smoothed share of the region's voxels the forest gives this structure.
      u += FOREST_WEIGHT * Math.log((v[s + 1]! + 1) / (tot + S + 1));
    }
    return u;
  };
  const { label, confidence } = solve(features, sums, graph, unaryOf, active, regions.contacts);

  // Structures found, in graph order; label values 1..K.
  const found = graph.structures.map((_, s) => active.filter((r) => label[r] === s)).map((rs, s) => ({ s, rs })).filter((x) => x.rs.length > 0);
  const structureOfRegion = new Int32Array(regions.count + 1);
  const structures: IdentifiedStructure[] = found.map(({ s, rs }, k) => {
    const def = graph.structures[s]!;
    let vox = 0;
    let cw = 0;
    const agg = emptySums();
    for (const r of rs) {
      structureOfRegion[r] = k + 1;
      vox += features[r]!.voxels;
      cw += confidence[r]! * features[r]!.voxels;
      addSums(agg, sums[r]!);
    }
    const lo = rs.map((r) => features[r]!.min);
    const hi = rs.map((r) => features[r]!.max);
    const bbox = [0, 1, 2].map((t) => Math.min(...lo.map((v) => v[t]!))).concat([0, 1, 2].map((t) => Math.max(...hi.map((v) => v[t]!)))) as IdentifiedStructure['bbox_mm'];
    const big = rs.reduce((a, b) => (features[b]!.voxels > features[a]!.voxels ? b : a));
    const fb = features[big]!;
    const evidence = [
      `${rs.length} region(s); largest ${round(fb.volume_mm3 / 1000, 1)} cm³ at lateral ${round(fb.lateralSigned, 2)} (+ = left), anterior ${round(fb.anterior, 2)}, body width ${round(fb.bodyWidth_mm, 0)} mm, mean ${round(fb.meanHU, 0)} HU`,
    ];
    if (votes) {
      const v = votes[big]!;
      let tot = 0;
      for (const x of v) tot += x;
      evidence.push(`forest: ${round((100 * v[s + 1]!) / Math.max(1e-9, tot), 1)} % of the largest region's voxels voted ${def.name}`);
    }
    return {
      name: def.name,
      group: def.group,
      side: def.side,
      label: k + 1,
      voxels: vox,
      volume_mm3: round(vox * vv, 1),
      bbox_mm: bbox.map((x) => round(x, 1)) as IdentifiedStructure['bbox_mm'],
      confidence: round(vox ? cw / vox : 0, 3),
      evidence,
    };
  });

  // Body regions present: those whose structures hold ≥ 2 % of the identified bone and ≥ 5 cm³ (a stray piece names no region).
  const totalVox = structures.reduce((a, s) => a + s.voxels, 0);
  const regionVox = new Map<string, number>();
  for (const st of structures) {
    const def = graph.structures.find((d) => d.name === st.name)!;
    regionVox.set(def.region, (regionVox.get(def.region) ?? 0) + st.voxels);
  }
  const region = BODY_REGIONS.filter((r) => {
    const v = regionVox.get(r) ?? 0;
    return v >= 0.02 * totalVox && v * vv >= 5000;
  });
  const foundNames = new Set(structures.map((s) => s.name));
  const missing = graph.regions
    .filter((r) => region.includes(r.name as (typeof BODY_REGIONS)[number]))
    .flatMap((r) => r.structures.filter((n) => !foundNames.has(n)).map((n) => ({ name: n, reason: `expected in the ${r.name}, which the scan shows, but no bone region fits it (absent, outside the scanned levels, or joined to a neighbour)` })));
  const unassigned: Identification['unassigned'] = [];
  for (let r = 1; r <= regions.count; r++) {
    const f = features[r]!;
    if (f.voxels === 0) continue;
    if (f.volume_mm3 < MIN_REGION_MM3) continue;
    if (label[r]! >= 0) continue;
    if (f.volume_mm3 < FRAGMENT_MM3 && f.meanHU <= 1600 && regions.contacts.some((c) => (c.a === r && label[c.b]! >= 0) || (c.b === r && label[c.a]! >= 0))) continue;
    const terms = table.get(r)!;
    let bi = 0;
    for (let s = 1; s < S; s++) if (terms[s]!.total > terms[bi]!.total) bi = s;
    const w = terms[bi]!.worst;
    const why = f.inside < 0.5 ? 'mostly outside the body (a table, holder or external object)' : f.meanHU > 1600 ? `mean ${round(f.meanHU, 0)} HU, denser than bone (an implant?)` : 'fits no structure of the graph';
    unassigned.push({
      label: r,
      volume_mm3: round(f.volume_mm3, 1),
      reason: `${why}; closest: ${graph.structures[bi]!.name}${w ? ` (${w.feature} ${round(w.value, 2)} outside ${w.range.map((x) => round(x, 2)).join('..')})` : ''}`,
    });
  }
  const small = features.filter((f) => f.id > 0 && f.voxels > 0 && f.volume_mm3 < MIN_REGION_MM3);

  // Regions too small to identify take the structure of the bone they touch (breadth-first from identified cells).
  const cellStructure = propagate(regions, structureOfRegion, features, label);
  const K = structures.length;
  const out = K < 256 ? new Uint8Array(labels.data.length) : new Uint16Array(labels.data.length);
  const src = labels.data;
  forEachFineVoxel(labels.grid, regions.coarse, (p, q) => {
    if (src[p] !== 0) out[p] = cellStructure[q]!;
  });
  const refined = forest ? refineWithForest(out, regions, forest, graph, structures) : 0;
  if (refined) {
    const count = new Float64Array(structures.length + 1);
    for (let p = 0; p < out.length; p++) count[out[p]!]!++;
    for (const st of structures) {
      st.voxels = count[st.label]!;
      st.volume_mm3 = round(st.voxels * vv, 1);
    }
  }
  const names: Record<number, string> = {};
  for (const s of structures) names[s.label] = s.name;

  const output: Identification = { region: [...region], structures, missing, unassigned };
  const record: StageRecord = {
    stage: 'segment',
    method: 'anatomy-identification',
    params: {
      graph: graph.version,
      cell_mm: opts.regions?.cell_mm ?? 2,
      midlineBand: opts.regions?.midlineBand ?? 0.2,
      regions: 'chains of axial blobs per column (anatomy/regions.ts)',
      minRegion_mm3: MIN_REGION_MM3,
      solver: 'iterated conditional modes from the unary argmax (many-to-one, relation terms)',
      forest: forest ? { groups: forest.groups, from: opts.forest ? 'forest output' : 'group names of the label map' } : null,
    },
    figures: {
      regions: regions.count,
      regionsIdentified: active.length,
      regionsTooSmall: small.length,
      voxelsRenamedByForest: refined,
      tooSmall_mm3: round(small.reduce((a, f) => a + f.volume_mm3, 0), 1),
      midline_x_mm: round(regions.body.midX, 1),
      bodyWidth_mm: round(regions.body.medianWidth, 1),
      region: output.region,
      structures: structures.map((s) => ({ name: s.name, label: s.label, side: s.side, volume_mm3: s.volume_mm3, bbox_mm: s.bbox_mm, confidence: s.confidence, evidence: s.evidence })),
      missing,
      unassigned,
    },
    notes: ['feature ranges are for adults; a child’s scan may be misnamed', 'left/right follow DICOM LPS (+x is the patient’s left)'],
    wall_ms: round(performance.now() - t0, 1),
  };
  return { output, record, labels: { grid: labels.grid, data: out, labels: names } };
}

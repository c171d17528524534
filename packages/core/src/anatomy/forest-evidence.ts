/**
 * The forest's evidence in identification: its votes per region (a unary term), the group
 * names it carries in a label map, and the per-voxel split of regions that join two
 * structures.
 */
import type { LabelMap } from '../geometry/types.js';
import type { AnatomyGraph } from './graph.js';
import { forEachNonZeroVoxel } from './coarse-grid.js';
import type { Regions } from './regions.js';
import { BONE_GROUPS } from '../segment/forest/groups.js';
import type { ForestEvidence, IdentifiedStructure } from './identify-types.js';
import { round } from '../pipeline/record.js';

/** Weight of the forest's log vote share. */
export const FOREST_WEIGHT = 2;

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

/**
 * Evidence read off a label map's names: how sure the forest was of each voxel's name is not
 * there (threshold-forest names every bone voxel, sure or not), so it votes for regions but
 * renames no voxel. Evidence a caller hands over without probabilities (a reference, an
 * oracle) is taken as certain.
 */
const readOffNames = new WeakSet<ForestEvidence>();

/** Forest evidence carried by a label map whose values are forest groups (segment/forest labels name them). */
export function evidenceInLabels(labels: LabelMap, graph: AnatomyGraph): ForestEvidence | undefined {
  const names = labels.labels;
  if (!names) return undefined;
  const ids = Object.keys(names).map(Number).filter((k) => k > 0);
  if (ids.length < 2) return undefined;
  const max = Math.max(...ids);
  const groups = Array.from({ length: max }, (_, k) => names[k + 1] ?? '');
  if (groups.filter((g) => structureOfGroup(g, graph) >= 0).length < 2) return undefined;
  const evidence: ForestEvidence = { labels, groups };
  readOffNames.add(evidence);
  return evidence;
}

/** Forest vote share per region and structure: fraction of the region's bone voxels (confidence-weighted) voting each structure. */
export function forestVotes(labels: LabelMap, regions: Regions, forest: ForestEvidence, graph: AnatomyGraph): Float64Array[] {
  const S = graph.structures.length;
  const groupToStructure = forest.groups.map((g) => structureOfGroup(g, graph));
  const votes = Array.from({ length: regions.count + 1 }, () => new Float64Array(S + 1));
  const fl = forest.labels.data;
  const conf = forest.confidence;
  const src = labels.data;
  if (fl.length !== src.length) return votes;
  forEachNonZeroVoxel(labels.grid, regions.coarse, src, (p, q) => {
    const id = regions.ids[q]!;
    if (id === 0) return;
    const gk = fl[p]!;
    const s = gk > 0 ? (groupToStructure[gk - 1] ?? -1) : -1;
    const w = conf ? conf[p]! / 255 : 1;
    votes[id]![s + 1]! += w;
  });
  return votes;
}

/**
 * Structures the forest can name (one of its groups maps to them). The forest's silence on any
 * other structure is no evidence against it: trained without a skull, it names a skull's voxels
 * by its nearest group (ge-head-tilt under threshold-forest: thoracic spine, femurs, hip).
 */
export function namedByForest(forest: ForestEvidence, graph: AnatomyGraph): boolean[] {
  const known = graph.structures.map(() => false);
  for (const g of forest.groups) {
    const s = structureOfGroup(g, graph);
    if (s >= 0) known[s] = true;
  }
  return known;
}

/**
 * The forest's unary term of one region for every structure: FOREST_WEIGHT × the log of the
 * Laplace-smoothed share of the region's voxels voting it. A structure the forest cannot name
 * gets the term of the structure it votes most for: the forest cannot tell the two apart, so the
 * graph's features and relations decide between them (before, such a structure got the share of
 * 0 votes, e.g. −16 for a 2 cm³ piece, so in a head CT every skull piece fitted nothing and the
 * pieces the forest called thoracic spine or femur kept those names).
 */
export function forestTerms(v: Float64Array, known: boolean[]): Float64Array {
  const S = known.length;
  let tot = 0;
  for (const x of v) tot += x;
  let best = 0;
  for (let s = 0; s < S; s++) if (known[s] && v[s + 1]! > best) best = v[s + 1]!;
  const out = new Float64Array(S);
  for (let s = 0; s < S; s++) out[s] = FOREST_WEIGHT * Math.log(((known[s] ? v[s + 1]! : best) + 1) / (tot + S + 1));
  return out;
}

/** P(group) × 255 from which a voxel's own forest group overrides its region's structure (0.6: no other group can reach it). */
export const FOREST_VOXEL_CONFIDENCE = 153;

/**
 * Inside a region that joins two structures (a femoral head in its socket), the forest's
 * per-voxel group separates them: a voxel takes the structure its forest group names when
 * that structure was identified, the forest is sure of that group (P ≥ 0.6; a lower or
 * split probability keeps the graph's name), the voxel's structure is one the forest can name
 * (namedByForest) and, for a sided structure, the voxel lies on
 * that side of the mid-sagittal plane (left and right are never swapped). Without the
 * forest's probabilities (names read off a label map) nothing is renamed: a name there may
 * be the forest's guess on bone it did not see (evidenceInLabels); evidence handed over
 * without them (a reference) counts as certain. Each structure that gains or loses voxels
 * gets a line of evidence and a confidence that weighs the renamed voxels by the forest's P.
 */
export function refineWithForest(out: Uint8Array | Uint16Array, regions: Regions, forest: ForestEvidence, graph: AnatomyGraph, structures: IdentifiedStructure[]): number {
  const byName = new Map(structures.map((s) => [s.name, s]));
  const labelOfGroup = forest.groups.map((g) => {
    const i = structureOfGroup(g, graph);
    return i >= 0 ? (byName.get(graph.structures[i]!.name) ?? null) : null;
  });
  const fl = forest.labels.data;
  const conf = forest.confidence;
  if (fl.length !== out.length || (conf ? conf.length !== out.length : readOffNames.has(forest))) return 0;
  const K = structures.reduce((a, s) => Math.max(a, s.label), 0);
  // A voxel of a structure the forest cannot name keeps it: the forest never saw that structure's bone.
  const known = namedByForest(forest, graph);
  const renamable = new Uint8Array(K + 1);
  for (const st of structures) renamable[st.label] = known[graph.structures.findIndex((d) => d.name === st.name)] ? 1 : 0;
  const before = new Float64Array(K + 1);
  const gained = new Float64Array(K + 1);
  const gainedP = new Float64Array(K + 1);
  const lost = new Float64Array(K + 1);
  // Voxels whose forest group names another identified structure, kept because the forest was unsure.
  const kept = new Float64Array(K + 1);
  const from = new Float64Array((K + 1) * (K + 1));
  const mid = regions.body.midX;
  const { centre } = regions.coarse;
  let n = 0;
  forEachNonZeroVoxel(forest.labels.grid, regions.coarse, out, (p, q) => {
    const cur = out[p]!;
    before[cur]!++;
    const gk = fl[p]!;
    if (gk === 0 || !renamable[cur]) return;
    const s = labelOfGroup[gk - 1];
    if (!s || s.label === cur) return;
    if (s.side && (centre[3 * q]! - mid > 0) !== (s.side === 'left')) return;
    const c = conf ? conf[p]! : 255;
    if (c < FOREST_VOXEL_CONFIDENCE) {
      kept[cur]!++;
      return;
    }
    out[p] = s.label;
    gained[s.label]!++;
    gainedP[s.label]! += c / 255;
    lost[cur]!++;
    from[s.label * (K + 1) + cur]!++;
    n++;
  });
  for (const st of structures) {
    const k = st.label;
    if (!gained[k] && !lost[k] && !kept[k]) continue;
    const stay = before[k]! - lost[k]!;
    const total = stay + gained[k]!;
    if (gained[k]) st.confidence = round(total ? (st.confidence * stay + gainedP[k]!) / total : 0, 3);
    const sources = structures.filter((o) => from[k * (K + 1) + o.label]).map((o) => `${from[k * (K + 1) + o.label]} from ${o.name}`);
    const parts = [
      gained[k] ? `${gained[k]} voxel(s) renamed in by the forest (${sources.join(', ')}; mean P(group) ${round(gainedP[k]! / gained[k]!, 3)}, each ≥ ${round(FOREST_VOXEL_CONFIDENCE / 255, 2)})` : '',
      lost[k] ? `${lost[k]} renamed out` : '',
      kept[k] ? `${kept[k]} kept where the forest named another structure at P < ${round(FOREST_VOXEL_CONFIDENCE / 255, 2)}` : '',
    ].filter(Boolean);
    st.evidence.push(`forest voxels: ${parts.join('; ')}`);
  }
  return n;
}

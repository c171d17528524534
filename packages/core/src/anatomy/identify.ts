/**
 * Structure identification: bone regions (anatomy/regions.ts) → structures of the anatomical
 * graph, by maximising the log-probability of the whole assignment:
 *
 *   Σ_regions  log p(features | structure)  [+ forest votes]   +   Σ_relations  log p(relation holds)
 *
 * Unary terms: anatomy/score-unary.ts; forest votes: anatomy/forest-evidence.ts; the solver
 * (iterated conditional modes) and the relation terms: anatomy/solve-icm.ts. Several regions
 * may take the same structure (pieces of a rib cage, vertebrae, a skull split at its base); a
 * region may take none ("fits nothing", e.g. an implant denser than any bone).
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import type { StageRecord } from '../pipeline/record.js';
import { round } from '../pipeline/record.js';
import { ANATOMY_GRAPH } from './graph-data.js';
import { BODY_REGIONS, checkGraph } from './graph.js';
import { forEachNonZeroVoxel } from './coarse-grid.js';
import { boneRegions, type Contact } from './regions.js';
import { BLOB_SPLIT_DEFAULTS } from './blob-split.js';
import { addSums, emptySums, regionFeatures, type RegionFeatures } from './features.js';
import type { AnatomyGraph } from './graph.js';
import { MIDLINE_BAND, unary, type UnaryTerm } from './score-unary.js';
import { solve } from './solve-icm.js';
import { evidenceInLabels, forestTerms, forestVotes, namedByForest, refineWithForest } from './forest-evidence.js';
import { FRAGMENT_MM3, MIN_REGION_MM3, propagate } from './propagate.js';
import { coarseHU, splitJoint } from './ball-joint.js';
import type { IdentifiedStructure, Identification, IdentifyOptions, IdentifyResult } from './identify-types.js';

export type { ForestEvidence, IdentifiedStructure, Identification, IdentifyOptions, IdentifyResult } from './identify-types.js';
export { unary } from './score-unary.js';
export { structureOfGroup } from './forest-evidence.js';

/** Length over which a long bone's shaft runs as one piece in a scan that holds it (humeral shaft ≈ 200 mm, Gray's). */
const LONG_BONE_MM = 100;

/**
 * A long bone's name needs a long piece (StructureFeatures.longSpan): thin pieces of the iliac crest, cut at every
 * level, fit a humeral shaft's features as well as the hip's and hold each other by their contacts in the solver.
 * The solver is run again for such pieces without that name (identifyStructures); a piece still too short after it
 * takes, in rounds, the structure it shares most contact faces with, or none. Returns how many pieces lost the name.
 */
function dropShortPieces(label: Int32Array, features: RegionFeatures[], graph: AnatomyGraph, bodyZ_mm: number, contacts: Contact[]): number {
  const span = Math.max(1, Math.min(LONG_BONE_MM, bodyZ_mm));
  const short: number[] = [];
  for (let r = 1; r < label.length; r++) {
    const s = label[r]!;
    const min = s >= 0 ? graph.structures[s]!.features.longSpan?.[0] : undefined;
    if (min === undefined) continue;
    const f = features[r]!;
    if ((f.max[2] - f.min[2]) / span < min) short.push(r);
  }
  for (const r of short) label[r] = -1;
  const pending = new Set(short);
  for (let changed = true; changed && pending.size; ) {
    changed = false;
    const faces = new Map<number, Map<number, number>>();
    for (const c of contacts) {
      for (const [r, n] of [[c.a, c.b], [c.b, c.a]] as const) {
        if (!pending.has(r) || label[n]! < 0) continue;
        const m = faces.get(r) ?? new Map<number, number>();
        m.set(label[n]!, (m.get(label[n]!) ?? 0) + c.faces);
        faces.set(r, m);
      }
    }
    for (const r of [...pending].sort((a, b) => a - b)) {
      const m = faces.get(r);
      if (!m) continue;
      label[r] = [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
      pending.delete(r);
      changed = true;
    }
  }
  return short.length;
}

/**
 * Left and right are never swapped: a region on the midline (|lateral| < MIDLINE_BAND) named a sided structure whose
 * mirror is named too holds both sides' bone (the pubic bodies meet at the symphysis, and one axial blob of the midline
 * column holds both), so its cells across the mid-sagittal plane take the mirror's name. Returns the cells renamed.
 */
function splitAtMidline(cellStructure: Int32Array, regions: ReturnType<typeof boneRegions>, features: RegionFeatures[], structures: IdentifiedStructure[]): number {
  const mirror = new Int32Array(structures.length + 1);
  const side = new Int8Array(structures.length + 1);
  for (const st of structures) {
    if (!st.side) continue;
    const other = structures.find((o) => o.name === st.name.replace(/_(left|right)$/, st.side === 'left' ? '_right' : '_left'));
    if (!other) continue;
    mirror[st.label] = other.label;
    side[st.label] = st.side === 'left' ? 1 : -1;
  }
  const mid = regions.body.midX;
  const { centre } = regions.coarse;
  let n = 0;
  for (let q = 0; q < cellStructure.length; q++) {
    const k = cellStructure[q]!;
    const id = regions.ids[q]!;
    if (!k || !mirror[k] || !id || features[id]!.lateral >= MIDLINE_BAND) continue;
    const x = centre[3 * q]! - mid;
    if (x * side[k]! < 0) {
      cellStructure[q] = mirror[k]!;
      n++;
    }
  }
  return n;
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
  const known = forest ? namedByForest(forest, graph) : undefined;
  const forestTerm = new Map<number, Float64Array>();
  if (votes && known) for (const r of active) forestTerm.set(r, forestTerms(votes[r]!, known));
  const unaryOf = (r: number, s: number): number => table.get(r)![s]!.total + (forestTerm.get(r)?.[s] ?? 0);
  let { label, confidence, logProbability } = solve(features, sums, graph, unaryOf, active, regions.contacts, regions.body.midX);
  // Pieces too short for the long bone the solver named them: solved again from there without that name, so each takes
  // its next-best structure under the graph (before, the name of the piece it touched most, whatever that was).
  const span = Math.max(1, Math.min(LONG_BONE_MM, regions.body.zMax - regions.body.zMin));
  const short = new Set(active.filter((r) => label[r]! >= 0 && (features[r]!.max[2] - features[r]!.min[2]) / span < (graph.structures[label[r]!]!.features.longSpan?.[0] ?? 0)));
  if (short.size) {
    const longBone = (s: number) => graph.structures[s]!.features.longSpan !== undefined;
    ({ label, confidence, logProbability } = solve(features, sums, graph, (r, s) => (short.has(r) && longBone(s) ? -Infinity : unaryOf(r, s)), active, regions.contacts, regions.body.midX, label));
  }
  const shortPieces = dropShortPieces(label, features, graph, regions.body.zMax - regions.body.zMin, regions.contacts);

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
  // Ball-and-socket joints: the head's bone, joined to its socket, is flooded back to the head (anatomy/ball-joint.ts).
  const joints: Array<{ head: string; socket: string; cells: number }> = [];
  let hu: Float32Array | null | undefined; // per coarse cell, computed only when a joint's two structures are named
  for (const j of graph.joints ?? []) {
    const head = structures.find((s) => s.name === j.head);
    const socket = structures.find((s) => s.name === j.socket);
    if (!head || !socket) continue;
    hu ??= coarseHU(volume, regions.coarse, labels.grid.dims);
    if (!hu) break;
    joints.push({ head: j.head, socket: j.socket, cells: splitJoint(cellStructure, hu, regions.coarse, head.label, socket.label, j.radius_mm, j.reach_mm) });
  }
  const midlineCells = splitAtMidline(cellStructure, regions, features, structures);
  const K = structures.length;
  const out = K < 256 ? new Uint8Array(labels.data.length) : new Uint16Array(labels.data.length);
  const src = labels.data;
  forEachNonZeroVoxel(labels.grid, regions.coarse, src, (p, q) => {
    out[p] = cellStructure[q]!;
  });
  const refined = forest ? refineWithForest(out, regions, forest, graph, structures) : 0;
  if (refined || midlineCells || joints.some((j) => j.cells > 0)) {
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
      regions: 'chains of axial blobs per column, blobs cut at thick-thin junctions (anatomy/regions.ts, blob-split.ts)',
      split: opts.regions?.split === undefined ? BLOB_SPLIT_DEFAULTS : opts.regions.split,
      minRegion_mm3: MIN_REGION_MM3,
      solver: 'iterated conditional modes from the unary argmax (many-to-one, relation terms)',
      forest: forest ? { groups: forest.groups, from: opts.forest ? 'forest output' : 'group names of the label map' } : null,
    },
    figures: {
      regions: regions.count,
      regionsIdentified: active.length,
      logProbability: round(logProbability, 2),
      regionsTooSmall: small.length,
      voxelsRenamedByForest: refined,
      midlineCellsToMirror: midlineCells,
      shortLongBonePieces: short.size + shortPieces,
      jointCellsToHead: joints,
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

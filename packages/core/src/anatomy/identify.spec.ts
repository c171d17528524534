/**
 * Structure identification against TotalSegmentator's labels (grouped into the graph's
 * structures by each structure's `totalSegmentator` list) on the two labelled CTs:
 * the bone mask is convert's default segmentation (auto threshold, table removed, marrow
 * filled, specks dropped); no parameter is looked up from the reference.
 * "Named correctly": of the reference voxels of a structure that our mask holds, the
 * plurality carries that structure's name. Left/right: reference left voxels named
 * *_right (and the reverse) stay under 2 %; a structure named left has its centroid at larger
 * x (LPS: the patient's left) than its right mirror, and overlaps the reference's left label
 * the most.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { indexToPhysical, physicalToIndex } from '../geometry/grid.js';
import { readNifti, readNiftiLabels } from '../formats/nifti.js';
import { importSeries } from '../dicom/import.js';
import { runSegmentation } from '../segment/pipeline.js';
import { convertSegmentationDefaults } from '../pipeline/defaults.js';
import { optionsFromArgs } from '../pipeline/segment-args.js';
import { isScanError } from '../errors.js';
import { ANATOMY_GRAPH } from './graph-data.js';
import { checkGraph, parseAnatomyNames, structureNames, type AnatomyGraph } from './graph.js';
import { identifyStructures, type IdentifyResult } from './identify.js';
import { BONE_GROUPS } from '../segment/forest/groups.js';
import { yieldToHost } from '../parallel/yield.js';

const TS = 'labelled/totalsegmentator';

/** Reference structure name per TotalSegmentator label id. */
function referenceStructures(): Map<number, string> {
  const names = JSON.parse(readFileSync(dataPath(TS, 'labelmap_total_v2.json'), 'utf8')) as Record<string, string>;
  const out = new Map<number, string>();
  for (const [id, n] of Object.entries(names)) {
    const s = ANATOMY_GRAPH.structures.find((x) => x.totalSegmentator.includes(n));
    if (s) out.set(Number(id), s.name);
  }
  return out;
}

/** Per reference structure: how many of its voxels (inside our mask) carry each of our names. */
function confusion(ref: LabelMap, id: IdentifyResult): Map<string, Map<string, number>> {
  const toS = referenceStructures();
  const ours = id.labels;
  const names = ours.labels ?? {};
  const [nx, ny] = ref.grid.dims;
  const d = ours.grid.dims;
  const out = new Map<string, Map<string, number>>();
  for (let p = 0; p < ref.data.length; p++) {
    const truth = toS.get(ref.data[p]!);
    if (!truth) continue;
    // Compared in patient mm: the reference may be stored on a flipped grid.
    const x = indexToPhysical(ref.grid, p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny)));
    const [a, b, c] = physicalToIndex(ours.grid, x[0], x[1], x[2]).map(Math.round) as [number, number, number];
    if (a < 0 || b < 0 || c < 0 || a >= d[0] || b >= d[1] || c >= d[2]) continue;
    const v = ours.data[a + b * d[0] + c * d[0] * d[1]]!;
    if (v === 0) continue;
    const m = out.get(truth) ?? new Map<string, number>();
    const got = names[v] ?? '?';
    m.set(got, (m.get(got) ?? 0) + 1);
    out.set(truth, m);
  }
  return out;
}

/** Our names on one reference label's voxels (a single vertebra), by the label's TotalSegmentator name. */
function vertebra(ref: LabelMap, id: IdentifyResult, name: string): Map<string, number> {
  const names = JSON.parse(readFileSync(dataPath(TS, 'labelmap_total_v2.json'), 'utf8')) as Record<string, string>;
  const label = Number(Object.entries(names).find(([, n]) => n === name)![0]);
  const only: LabelMap = { grid: ref.grid, data: ref.data.map((v) => (v === label ? label : 0)) };
  return confusion(only, id).get(ANATOMY_GRAPH.structures.find((s) => s.totalSegmentator.includes(name))!.name) ?? new Map();
}

/** Share of the reference structure `truth`'s voxels (inside our mask) that carry our name `got`. */
function share(conf: Map<string, Map<string, number>>, truth: string, got: string): number {
  const m = conf.get(truth)!;
  return (m.get(got) ?? 0) / [...m.values()].reduce((a, b) => a + b, 0);
}

function plurality(m: Map<string, number>): string {
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
}

function swapped(conf: Map<string, Map<string, number>>): number {
  let wrong = 0;
  let total = 0;
  for (const [truth, m] of conf) {
    const side = truth.endsWith('_left') ? 'left' : truth.endsWith('_right') ? 'right' : null;
    if (!side) continue;
    for (const [got, n] of m) {
      total += n;
      if (got.endsWith(side === 'left' ? '_right' : '_left')) wrong += n;
    }
  }
  return total ? wrong / total : 0;
}

async function identifyOn(volume: Volume, options = convertSegmentationDefaults('bone')): Promise<IdentifyResult & { mask: LabelMap }> {
  const seg = await runSegmentation(volume, options);
  const mask = seg.output.labels[0]!;
  await yieldToHost();
  const id = identifyStructures(mask, volume, {});
  await yieldToHost();
  return { ...id, mask };
}

/**
 * `confusion` after a turn of the event loop. A test here runs identification (~1 s idle each) and these
 * comparisons several times in a row; one synchronous block of them held the test process's loop for 5.5 s idle,
 * 17.6 s on a loaded 2-core CI machine (parallel/yield.ts says why that matters).
 */
async function confusionAfterTurn(ref: LabelMap, id: IdentifyResult): Promise<Map<string, Map<string, number>>> {
  await yieldToHost();
  return confusion(ref, id);
}

/** The graph with the hips' joint flood reaching `reach_mm` per pass (graph-data.ts: 30). */
function hipReach(reach_mm: number): AnatomyGraph {
  return { ...ANATOMY_GRAPH, joints: (ANATOMY_GRAPH.joints ?? []).map((j) => (j.head.startsWith('femur_') ? { ...j, reach_mm } : j)) };
}

/**
 * The femur/hip split does not hang on the hip's reach: at 24 and 36 mm (30 in the graph) each femur stays > 75 % named
 * femur and each hip bone > 90 % hip, < 8 % femur. Measured on example_ct (node /tmp/h6/eval.mjs MASK 24 30 36; named
 * femur L / R, hip named femur L / R): convert's mask 84 / 92 %, 0 / 4 % at 24; 93 / 83 %, 1 / 0 % at 30; 95 / 84 %,
 * 6 / 0 % at 36; segment's mask 85 / 83 %, 0 / 0 %; 91 / 82 %, 1 / 0 %; 95 / 83 %, 5 / 0 %. At 18 mm the right hip
 * takes 8–11 % femur: below one head radius the first pass no longer reaches over the head.
 */
async function expectHipSplitOverReach(id: IdentifyResult & { mask: LabelMap }, volume: Volume, ref: LabelMap): Promise<void> {
  for (const reach of [24, 36]) {
    await yieldToHost();
    const conf = await confusionAfterTurn(ref, identifyStructures(id.mask, volume, { graph: hipReach(reach) }));
    for (const side of ['left', 'right']) {
      expect(share(conf, `femur_${side}`, `femur_${side}`), `femur_${side} named femur at reach ${reach}`).toBeGreaterThan(0.75);
      expect(share(conf, `hip_${side}`, `hip_${side}`), `hip_${side} named hip at reach ${reach}`).toBeGreaterThan(0.9);
      expect(share(conf, `hip_${side}`, `femur_${side}`), `hip_${side} named femur at reach ${reach}`).toBeLessThan(0.08);
    }
    expect(swapped(conf)).toBeLessThan(0.02);
  }
}

function table(conf: Map<string, Map<string, number>>): string {
  return [...conf]
    .map(([t, m]) => {
      const tot = [...m.values()].reduce((a, b) => a + b, 0);
      return `${t} (${tot}): ${[...m].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${Math.round((100 * v) / tot)} %`).join(', ')}`;
    })
    .join('\n');
}

/** LPS centroid x of each of our structures (fine voxels). */
function centroidsX(id: IdentifyResult): Map<string, number> {
  const { grid, data, labels } = id.labels;
  const [nx, ny] = grid.dims;
  const sum = new Map<number, [number, number]>();
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    if (!v) continue;
    const x = indexToPhysical(grid, p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny)))[0];
    const s = sum.get(v) ?? [0, 0];
    s[0] += x;
    s[1]++;
    sum.set(v, s);
  }
  return new Map([...sum].map(([v, [t, n]]) => [labels?.[v] ?? '?', t / n]));
}

/** For each of our names: the reference structure its voxels overlap most. */
function overlapsMost(conf: Map<string, Map<string, number>>): Map<string, string> {
  const best = new Map<string, [string, number]>();
  for (const [truth, m] of conf) {
    for (const [got, n] of m) if (n > (best.get(got)?.[1] ?? 0)) best.set(got, [truth, n]);
  }
  return new Map([...best].map(([k, [t]]) => [k, t]));
}

/** Sided pairs named in the scan: left centroid at larger x, and each side overlaps its own side's reference most. */
function expectSides(id: IdentifyResult, conf: Map<string, Map<string, number>>, bases: string[]): void {
  const cx = centroidsX(id);
  const most = overlapsMost(conf);
  for (const b of bases) {
    const l = cx.get(`${b}_left`);
    const r = cx.get(`${b}_right`);
    expect(l, `${b}_left named`).toBeDefined();
    expect(r, `${b}_right named`).toBeDefined();
    expect(l!, `${b}: left centroid x ${l} > right ${r}`).toBeGreaterThan(r!);
    for (const side of ['left', 'right']) expect(most.get(`${b}_${side}`) ?? '', `${b}_${side} overlaps`).toMatch(new RegExp(`_${side}$`));
  }
}

describe('the anatomical graph', () => {
  it('is consistent, cites its sources and names estimates', () => {
    expect(checkGraph(ANATOMY_GRAPH).version).toMatch(/^\d{4}\.\d{2}-\d+$/);
    for (const s of ANATOMY_GRAPH.structures) {
      expect(s.sources.length).toBeGreaterThan(0);
      for (const k of s.sources) expect(ANATOMY_GRAPH.sources[k]).toBeTruthy();
      expect(s.color).toMatch(/^#[0-9A-F]{6}$/);
      // LPS: a left structure's mirror exists and is its right.
      if (s.side === 'left') expect(structureNames(ANATOMY_GRAPH)).toContain(s.name.replace(/_left$/, '_right'));
    }
    expect(ANATOMY_GRAPH.relations.find((r) => r.rel === 'left-of' && r.a === 'femur_left')?.b).toBe('femur_right');
  });

  it('parses --anatomy names; an unknown one is a usage error listing the known names', () => {
    expect(parseAnatomyNames('skull, Mandible,skull', ANATOMY_GRAPH)).toEqual(['skull', 'mandible']);
    try {
      parseAnatomyNames('skull,femur_middle', ANATOMY_GRAPH);
      expect.unreachable();
    } catch (e) {
      expect(isScanError(e) && e.code).toBe('UNKNOWN_STRUCTURE');
      expect((e as Error).message).toContain('"femur_middle"');
      expect((e as Error).message).toContain('femur_left');
    }
  });
});

// Timeouts of 600 s: a test here is tens of seconds of mostly synchronous CPU; at 120 s the first one timed out on a 2-core
// machine at load 17 (123.9 s), with no claim failing.
describe('identification against TotalSegmentator', () => {
  it('example_ct (abdomen/pelvis, 3 mm): hips, sacrum, lumbar and thoracic spine and ribs named, sides right, femurs never on the wrong side', async () => {
    const volume = readNifti(new Uint8Array(readFileSync(dataPath(TS, 'example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    const ref = readNiftiLabels(new Uint8Array(readFileSync(dataPath(TS, 'example_seg_fast_force_split.nii.gz'))), 'example_seg_fast_force_split.nii.gz');
    const id = await identifyOn(volume);
    const conf = await confusionAfterTurn(ref, id);
    console.log(`example_ct: region ${id.output.region.join(', ')}\n${table(conf)}`);
    for (const s of ['hip_left', 'hip_right', 'sacrum', 'lumbar_spine', 'thoracic_spine', 'ribs_left', 'ribs_right']) expect(plurality(conf.get(s)!), s).toBe(s);
    expect(swapped(conf)).toBeLessThan(0.02);
    expectSides(id, conf, ['hip', 'ribs']);
    // Known limit without the forest: the proximal femur and the hip bone share their levels and the femoral head
    // sits in its socket, so femur voxels may be named hip; never a structure of the other side or of the trunk above.
    for (const side of ['left', 'right']) {
      const m = conf.get(`femur_${side}`)!;
      const tot = [...m.values()].reduce((x, y) => x + y, 0);
      const own = (m.get(`femur_${side}`) ?? 0) + (m.get(`hip_${side}`) ?? 0);
      expect(own / tot, `femur_${side}: ${JSON.stringify([...m])}`).toBeGreaterThan(0.9);
      // The head is split from its socket at the joint space (anatomy/ball-joint.ts): measured 91 / 50 % of the
      // left / right femur's voxels named femur (28 / 20 % before the split); 91 / 84 % once the split is repeated
      // from the grown head until the head holds its ball (splitJoint: the right femur's named part ended at the
      // trochanter, so the medial half of its head lay beyond the reach and was seeded as socket).
      expect((m.get(`femur_${side}`) ?? 0) / tot, `femur_${side} named femur`).toBeGreaterThan(0.75);
      // ... without taking the socket: measured 11 / 0 % of the hip bones' voxels named femur, then 7 / 0 % (the left
      // acetabular roof, z 150–168 mm, went to the femur when one pass of the flood reached one head diameter); 1 / 0 %
      // with the hip's reach one radius (graph 2026.12-1 joints reach_mm).
      const hip = conf.get(`hip_${side}`)!;
      const hipTot = [...hip.values()].reduce((x, y) => x + y, 0);
      expect((hip.get(`femur_${side}`) ?? 0) / hipTot, `hip_${side} named femur`).toBeLessThan(0.03);
      // Thin pieces of the iliac crest were named humerus (10–12 % of each hip bone's voxels): a long bone's name now
      // needs a long piece (graph longSpan), and the scan holds no arm.
      expect((hip.get(`humerus_${side}`) ?? 0) / hipTot, `hip_${side} named humerus`).toBeLessThan(0.02);
      // Those crest pieces then tied with the ribs (8 / 11 % of the hip bones' voxels named ribs): a rib lies at rib-cage
      // levels (graph 2026.11-6 ribs ribLevel ≥ 0.5); measured 1 / 5 %.
      expect((hip.get(`ribs_${side}`) ?? 0) / hipTot, `hip_${side} named ribs`).toBeLessThan(0.07);
      // ... and the scapula (4 / 5 % of the hip bones' voxels, scapulae of 14 / 20 cm³ in a scan that holds none): a
      // scapula lies at rib-cage levels beside its ribs (graph 2026.11-7: ribLevel, a required 'level' relation), and the
      // crest pieces that lose the humerus's name for being short are solved again (next-best: hip). Measured 0 / 0 %.
      expect((hip.get(`scapula_${side}`) ?? 0) / hipTot, `hip_${side} named scapula`).toBeLessThan(0.01);
    }
    await expectHipSplitOverReach(id, volume, ref);
    // The sacrum and the pelvic ring (graph 2026.11-8): midline pieces behind the symphysis are not hip bone
    // (midlineAnterior), the symphysis is not sacrum (anterior ≥ 0.1), and the lumbar spine and sacrum meet at one
    // level found by the solver's cut move over the vertebral column. Measured: sacrum named sacrum 45 → 67 %, the hip
    // bones' voxels named sacrum 7 / 5 → 0 %, the symphysis's right half named hip_left 4 → 0 % (midline cells split at
    // the mid-sagittal plane); L5 stays lumbar (3 % of the lumbar spine named sacrum; 21 % with a level cut plane).
    // ... and its alae, named hip as far lateral as the iliac pieces beside them, are taken back at the sacroiliac joint
    // space (graph 2026.11-10 joints): sacrum named sacrum 67 → 90 %, named hip 31 → 9 %.
    expect(share(conf, 'sacrum', 'sacrum'), 'sacrum named sacrum').toBeGreaterThan(0.8);
    expect(share(conf, 'lumbar_spine', 'sacrum'), 'lumbar spine named sacrum').toBeLessThan(0.08);
    // L1 lies at rib levels (the floating ribs reach L2–L3): no rib-level bound on the lumbar spine (2026.11-8), and a
    // whole lumbar spine is ≥ 155 mm tall (2026.11-9 stackHeight_mm), which puts the T12/L1 level at the disc: L1 named
    // lumbar 2 → 12 → 99 %, the lumbar spine named thoracic 23 → 16 → 0 %, T12 still 99 % thoracic.
    expect(share(conf, 'lumbar_spine', 'thoracic_spine'), 'lumbar spine named thoracic').toBeLessThan(0.05);
    await yieldToHost();
    const l1 = vertebra(ref, id, 'vertebrae_L1');
    await yieldToHost();
    const t12 = vertebra(ref, id, 'vertebrae_T12');
    const tot = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    expect((l1.get('lumbar_spine') ?? 0) / tot(l1), 'L1 named lumbar').toBeGreaterThan(0.9);
    expect((t12.get('thoracic_spine') ?? 0) / tot(t12), 'T12 named thoracic').toBeGreaterThan(0.9);
    for (const [side, other] of [['left', 'right'], ['right', 'left']]) {
      expect(share(conf, `hip_${side}`, 'sacrum'), `hip_${side} named sacrum`).toBeLessThan(0.03);
      expect(share(conf, `hip_${side}`, `hip_${other}`), `hip_${side} named hip_${other}`).toBeLessThan(0.01);
    }
    // What is left named scapula lies at the top of the rib cage (measured 0.9 / 1.6 cm³); no clavicle (3.1 / 7.9 cm³
    // before: costal cartilages), since a clavicle needs the scapula it meets.
    for (const s of id.output.structures) if (/^(scapula|clavicle)_/.test(s.name)) expect(s.volume_mm3, s.name).toBeLessThan(3000);
    expect(id.output.structures.map((s) => s.name)).not.toContain('humerus_left');
    expect(id.output.structures.map((s) => s.name)).not.toContain('humerus_right');
    expect(id.output.region).toEqual(expect.arrayContaining(['abdomen', 'pelvis']));
    expect(id.output.region).not.toContain('head');
    for (const s of id.output.structures) {
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
    }
    expect(id.record.method).toBe('anatomy-identification');

    // With a classifier's per-voxel groups (here an oracle: the reference itself, in the
    // forest's group names), fused regions are split: the femurs are named where they are.
    const groups = Object.keys(BONE_GROUPS);
    const names = JSON.parse(readFileSync(dataPath(TS, 'labelmap_total_v2.json'), 'utf8')) as Record<string, string>;
    const groupOf = new Map<number, number>();
    for (const [k, n] of Object.entries(names)) {
      const g = groups.findIndex((x) => BONE_GROUPS[x]!.includes(n));
      if (g >= 0) groupOf.set(Number(k), g + 1);
    }
    const oracle = new Uint8Array(ref.data.length);
    for (let p = 0; p < oracle.length; p++) oracle[p] = groupOf.get(ref.data[p]!) ?? 0;
    await yieldToHost();
    const withForest = identifyStructures(id.labels, volume, { forest: { labels: { grid: ref.grid, data: oracle }, groups } });
    const conf2 = await confusionAfterTurn(ref, withForest);
    console.log(`example_ct with oracle groups:\n${table(conf2)}`);
    for (const s of ['femur_left', 'femur_right', 'sacrum', 'hip_left', 'hip_right', 'lumbar_spine']) expect(plurality(conf2.get(s)!), s).toBe(s);
    expect(swapped(conf2)).toBeLessThan(0.02);
    expect(withForest.record.figures.voxelsRenamedByForest as number).toBeGreaterThan(0);
  }, 600_000);

  it('example_ct with segment’s default mask (bare automatic threshold): no shoulder bones in the pelvis, hips and ribs named on their sides', async () => {
    const volume = readNifti(new Uint8Array(readFileSync(dataPath(TS, 'example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    const ref = readNiftiLabels(new Uint8Array(readFileSync(dataPath(TS, 'example_seg_fast_force_split.nii.gz'))), 'example_seg_fast_force_split.nii.gz');
    const id = await identifyOn(volume, optionsFromArgs({}));
    const conf = await confusionAfterTurn(ref, id);
    console.log(`example_ct, segment's mask:\n${table(conf)}`);
    for (const s of ['hip_left', 'hip_right', 'sacrum', 'lumbar_spine', 'ribs_left', 'ribs_right', 'femur_left', 'femur_right']) expect(plurality(conf.get(s)!), s).toBe(s);
    expect(swapped(conf)).toBeLessThan(0.02);
    // Measured before graph 2026.11-8: the iliac crest pieces, pushed off the hip by a 25 mm 'hip below lumbar spine'
    // tolerance (the crests reach L4), were named ribs, scapula and clavicle: hip_right 85 % named hip_right, ribs_right
    // 90 % (clavicle_right 7.8 cm³, scapula_right 6.2 cm³), sacrum 43 %. Now 100 %, 96 %, 0.8 cm³, 69 %.
    for (const side of ['left', 'right']) expect(share(conf, `hip_${side}`, `hip_${side}`), `hip_${side} named hip`).toBeGreaterThan(0.9);
    // The left acetabular roof went to the femur with its head (6 % of the left hip named femur) until the hip's flood
    // reached one radius per pass, not one diameter (graph 2026.12-1): 1 %.
    for (const side of ['left', 'right']) expect(share(conf, `hip_${side}`, `femur_${side}`), `hip_${side} named femur`).toBeLessThan(0.03);
    await expectHipSplitOverReach(id, volume, ref);
    expect(share(conf, 'ribs_right', 'ribs_right'), 'ribs_right named ribs').toBeGreaterThan(0.93);
    // The sacroiliac joint split (2026.11-10): 69 → 89 %.
    expect(share(conf, 'sacrum', 'sacrum'), 'sacrum named sacrum').toBeGreaterThan(0.8);
    for (const s of id.output.structures) if (/^(scapula|clavicle)_/.test(s.name)) expect(s.volume_mm3, s.name).toBeLessThan(3000);
    // L1 lies at rib levels (the floating ribs reach L2–L3), so a lumbar vertebra is told by carrying no rib, not by its
    // level (graph 2026.11-8), and a whole lumbar spine's height (2026.11-9): L1 named lumbar spine 2 → 64 → 72 %.
    // Known sensitivity: a 170 mm lower bound instead of 155 named 77 % of T12 lumbar here. Cut levels 12 mm apart then
    // tied within 0.02; the gap term (cut-gap.ts: the boundary crossing the least bone) takes the one at the T12/L1
    // disc: L1 72 → 100 % lumbar, T12 100 → 85 % thoracic (T12's inferior articular and spinous processes reach below
    // the disc and go with L1's pieces).
    await yieldToHost();
    const l1 = vertebra(ref, id, 'vertebrae_L1');
    await yieldToHost();
    const t12 = vertebra(ref, id, 'vertebrae_T12');
    const tot = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    expect((l1.get('lumbar_spine') ?? 0) / tot(l1), 'L1 named lumbar').toBeGreaterThan(0.9);
    expect((t12.get('thoracic_spine') ?? 0) / tot(t12), 'T12 named thoracic').toBeGreaterThan(0.75);
  }, 600_000);

  it('example_ct_dicom (20 slices, thorax with arms): thoracic spine, ribs and humeri named on their sides, no pelvis or legs', async () => {
    const dir = dataPath(TS, 'example_ct_dicom');
    const files = readdirSync(dir).sort().map((f) => join(dir, f));
    const imp = await importSeries(files.map((f) => ({ name: f, read: async () => new Uint8Array(readFileSync(f)) })));
    const ref = readNiftiLabels(new Uint8Array(readFileSync(dataPath(TS, 'example_seg_dicom.nii.gz'))), 'example_seg_dicom.nii.gz');
    const id = await identifyOn(imp.output.volume);
    const conf = await confusionAfterTurn(ref, id);
    console.log(`example_ct_dicom: region ${id.output.region.join(', ')}\n${table(conf)}`);
    for (const s of ['thoracic_spine', 'ribs_left', 'ribs_right', 'humerus_left', 'humerus_right']) expect(plurality(conf.get(s)!), s).toBe(s);
    expect(swapped(conf)).toBeLessThan(0.02);
    expectSides(id, conf, ['ribs', 'humerus']);
    // Costal cartilage ends in front of the lower thorax were once named hip bone: the pelvis lies below the rib cage.
    const regionOf = new Map(ANATOMY_GRAPH.structures.map((s) => [s.name, s.region]));
    for (const s of id.output.structures) expect(['pelvis', 'legs', 'head'], s.name).not.toContain(regionOf.get(s.name));
    expect(id.output.region).toContain('thorax');
    expect(id.output.region).not.toContain('head');
  }, 600_000);
});

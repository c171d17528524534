/**
 * Forest evidence in identification, on real data segmented as `convert --method
 * threshold-forest` does with the shipped model: a voxel is renamed by the forest only where
 * the forest is sure of its group (P ≥ 0.6); where it is unsure, the graph's name stays, and
 * the structures that gained voxels say in the record how many and how sure the forest was.
 * - example_ct (abdomen/pelvis, 3 mm): femoral heads in their sockets, where the forest's
 *   per-voxel groups move voxels between hip and femur (the shipped model saw this scan in
 *   training; what is tested is the rule, not the forest's accuracy).
 * - example_ct_dicom slices 4..15 (thorax): every voxel the forest names as another
 *   identified structure is one it is unsure of (threshold bone it did not call bone), so
 *   nothing is renamed; without the threshold all of them were.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPath, ROOT } from '../../../../test/data.js';
import { importSeries } from '../dicom/import.js';
import { readNifti } from '../formats/nifti.js';
import { cropVolume } from '../segment/filters/crop.js';
import { runSegmentation, type SegmentationResult } from '../segment/pipeline.js';
import type { Volume } from '../geometry/types.js';
import { convertJobSettings } from '../pipeline/convert-params.js';
import { withForestModel } from '../pipeline/convert-method.js';
import { ANATOMY_GRAPH } from './graph-data.js';
import { boneRegions } from './regions.js';
import { identifyStructures } from './identify.js';
import { FOREST_VOXEL_CONFIDENCE, refineWithForest, structureOfGroup } from './forest-evidence.js';

const DIR = 'labelled/totalsegmentator';
const model = { bytes: new Uint8Array(readFileSync(resolve(ROOT, 'packages/core/models/bone-forest.bin'))), source: 'bone-forest.bin' };
const scans: Record<'pelvis' | 'thorax', { volume: Volume; seg: SegmentationResult }> = {} as never;

async function thresholdForest(volume: Volume): Promise<{ volume: Volume; seg: SegmentationResult }> {
  const settings = convertJobSettings({ method: 'threshold-forest' }).segmentation;
  return { volume, seg: await runSegmentation(volume, withForestModel({ ...settings, restoreGrid: false }, model, () => 'x').segmentation) };
}

beforeAll(async () => {
  const ct = dataPath(DIR, 'example_ct.nii.gz');
  scans.pelvis = await thresholdForest(readNifti(new Uint8Array(readFileSync(ct)), ct).volume);
  const slab = dataPath(DIR, 'example_ct_dicom');
  const sources = readdirSync(slab).sort().map((n) => ({ name: join(slab, n), read: async () => new Uint8Array(readFileSync(join(slab, n))) }));
  const full = (await importSeries(sources)).output.volume;
  scans.thorax = await thresholdForest(cropVolume(full, { min_ijk: [0, 0, 4], max_ijk: [512, 512, 16] }).output);
}, 600_000);

/**
 * The graph's names (the label map's own group names vote for regions but, read off a label
 * map without the forest's probabilities, rename nothing), then the refinement with them.
 */
function refine({ volume, seg }: { volume: Volume; seg: SegmentationResult }) {
  const labels = seg.output.labels[0]!;
  const forest = seg.output.forest!;
  const base = identifyStructures(labels, volume, {});
  const out = base.labels.data.slice();
  const structures = structuredClone(base.output.structures);
  const n = refineWithForest(out, boneRegions(labels, volume), forest, ANATOMY_GRAPH, structures);
  const labelOfGroup = forest.groups.map((g) => {
    const s = structureOfGroup(g, ANATOMY_GRAPH);
    return s < 0 ? 0 : (structures.find((st) => st.name === ANATOMY_GRAPH.structures[s]!.name)?.label ?? 0);
  });
  const conf = forest.confidence!;
  const g = forest.labels.data;
  let changed = 0;
  let unsureRenamed = 0;
  let wrongGroup = 0;
  let unsureKept = 0;
  for (let p = 0; p < out.length; p++) {
    const other = g[p] ? labelOfGroup[g[p]! - 1]! : 0;
    if (out[p] !== base.labels.data[p]) {
      changed++;
      if (conf[p]! < FOREST_VOXEL_CONFIDENCE) unsureRenamed++;
      if (other !== out[p]) wrongGroup++;
    } else if (out[p] && other && other !== out[p] && conf[p]! < FOREST_VOXEL_CONFIDENCE) unsureKept++;
  }
  return { base, structures, n, changed, unsureRenamed, wrongGroup, unsureKept };
}

describe('forest evidence under threshold-forest', () => {
  it('the segmentation hands identification the forest’s own group and P(group) per voxel', () => {
    for (const { seg } of Object.values(scans)) {
      const bone = seg.output.labels[0]!;
      const forest = seg.output.forest!;
      expect(forest.groups.length).toBeGreaterThan(2);
      expect(forest.confidence!.length).toBe(bone.data.length);
      let weak = 0;
      for (let p = 0; p < bone.data.length; p++) if (bone.data[p] && forest.confidence![p]! < FOREST_VOXEL_CONFIDENCE) weak++;
      expect(weak).toBeGreaterThan(1000);
    }
  });

  it('example_ct: renames only voxels the forest is sure of, to the structure it names; unsure ones keep the graph’s name; the record says how sure', () => {
    const r = refine(scans.pelvis);
    expect(r.base.record.params.forest).toMatchObject({ from: 'group names of the label map' });
    expect(r.base.record.figures!.voxelsRenamedByForest).toBe(0);
    expect(r.n).toBeGreaterThan(500);
    expect(r.changed).toBe(r.n);
    expect(r.unsureRenamed).toBe(0);
    expect(r.wrongGroup).toBe(0);
    expect(r.unsureKept).toBeGreaterThan(500);
    let gained = 0;
    for (const st of r.structures) {
      const line = st.evidence.find((e) => e.includes('renamed in by the forest'));
      if (!line) continue;
      const m = /^forest voxels: (\d+) voxel\(s\) renamed in by the forest \(.*mean P\(group\) ([\d.]+), each ≥ 0\.6\)/.exec(line);
      expect(m, line).not.toBeNull();
      gained += Number(m![1]);
      expect(Number(m![2])).toBeGreaterThanOrEqual(0.6);
      expect(Number(m![2])).toBeLessThanOrEqual(1);
      expect(st.confidence).toBeGreaterThan(0.5);
      expect(st.confidence).toBeLessThanOrEqual(1);
    }
    expect(gained).toBe(r.n);
    // The femoral heads are what moves: femur gains from hip on the same side.
    const femurL = r.structures.find((s) => s.name === 'femur_left')!;
    expect(femurL.evidence.join(' ')).toMatch(/renamed in by the forest \(\d+ from hip_left/);
  });

  it('example_ct_dicom slices 4..15: the forest names other structures only where unsure, so nothing is renamed', () => {
    const r = refine(scans.thorax);
    expect(r.n).toBe(0);
    expect(r.unsureKept).toBeGreaterThan(1000);
    expect(r.structures.some((s) => s.evidence.some((e) => /kept where the forest named another structure at P < 0\.6/.test(e)))).toBe(true);
  });

  it('identification with the forest output records it per structure, sides apart', () => {
    const { volume, seg } = scans.pelvis;
    const id = identifyStructures(seg.output.labels[0]!, volume, { forest: seg.output.forest! });
    expect(id.record.params.forest).toMatchObject({ from: 'forest output' });
    expect(id.record.figures!.voxelsRenamedByForest as number).toBeGreaterThan(500);
    const recorded = id.record.figures!.structures as Array<{ name: string; confidence: number; evidence: string[] }>;
    expect(recorded.some((s) => s.evidence.some((e) => /renamed in by the forest .*mean P\(group\)/.test(e)))).toBe(true);
    // LPS: +x is the patient's left.
    const cx = (n: string) => {
      const b = id.output.structures.find((s) => s.name === n)!.bbox_mm;
      return (b[0] + b[3]) / 2;
    };
    expect(cx('femur_left')).toBeGreaterThan(cx('femur_right'));
    expect(cx('hip_left')).toBeGreaterThan(cx('hip_right'));
  });
});

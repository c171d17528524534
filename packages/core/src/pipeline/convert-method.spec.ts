/**
 * `threshold-forest` as convert runs it: the automatic threshold's bone, voxel for voxel, with
 * the forest's group names, on TotalSegmentator's labelled DICOM slab (slices 4..15: a z crop
 * keeps the forest's x/y body box). And a job without a model says which host part is missing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPath, ROOT } from '../../../../test/data.js';
import { importSeries } from '../dicom/import.js';
import { cropVolume } from '../segment/filters/crop.js';
import { runSegmentation, type SegmentationOptions } from '../segment/pipeline.js';
import type { Volume } from '../geometry/types.js';
import { isScanError } from '../errors.js';
import { convertJobSettings } from './convert-params.js';
import { needsForestModel, withForestModel, type ForestModelBytes } from './convert-method.js';
import { runConvertJob } from './job.js';

const SLAB = dataPath('labelled/totalsegmentator', 'example_ct_dicom');
const sources = () => readdirSync(SLAB).sort().map((n) => ({ name: join(SLAB, n), read: async () => new Uint8Array(readFileSync(join(SLAB, n))) }));
const model: ForestModelBytes = { bytes: new Uint8Array(readFileSync(resolve(ROOT, 'packages/core/models/bone-forest.bin'))), source: 'bone-forest.bin' };
let volume: Volume;

beforeAll(async () => {
  const full = (await importSeries(sources())).output.volume;
  volume = cropVolume(full, { min_ijk: [0, 0, 4], max_ijk: [512, 512, 16] }).output;
});

describe('convert --method threshold-forest', () => {
  it('labels exactly the automatic threshold’s cleaned bone, named by the forest, with a field for the surface', async () => {
    // One clean-up for both, without the faint-component step: it takes its level from the
    // auto-threshold's own record, which threshold-forest folds into its record.
    const fromParams = (params: Record<string, unknown>): SegmentationOptions => {
      const seg = convertJobSettings(params).segmentation;
      const { rejectFaint: _faint, ...cleanup } = (seg.cleanup ?? {}) as Record<string, unknown>;
      return { ...seg, cleanup, restoreGrid: false };
    };
    const auto = await runSegmentation(volume, fromParams({}));
    const seg = fromParams({ method: 'threshold-forest' });
    expect(needsForestModel(seg)).toBe(true);
    const tf = await runSegmentation(volume, withForestModel(seg, model, () => 'x').segmentation);
    const a = auto.output.labels[0]!.data;
    const b = tf.output.labels[0]!.data;
    let differ = 0;
    let bone = 0;
    const groups = new Set<number>();
    for (let v = 0; v < a.length; v++) {
      if ((a[v] !== 0) !== (b[v] !== 0)) differ++;
      if (b[v]) {
        bone++;
        groups.add(b[v]!);
      }
    }
    expect(bone).toBeGreaterThan(10_000);
    expect(differ).toBe(0);
    // Several bone groups, each named by the forest (its label names are the model's groups).
    const names = tf.output.labels[0]!.labels!;
    expect(groups.size).toBeGreaterThan(2);
    for (const g of groups) expect(names[g]).toMatch(/^(vertebrae_|ribs_|humerus_|scapula_|clavicula_|sternum|hip_|femur_|sacrum|skull)/);
    const rec = tf.records.find((r) => r.method === 'threshold-forest')!;
    expect(rec.params.threshold_HU).toBe(auto.records.find((r) => r.method === 'auto-threshold')!.figures.threshold_HU);
    expect(tf.output.probability).toBeDefined();
  }, 300_000);

  it('a job naming a forest method on a host without a model fails before the import, naming what is missing', async () => {
    const s = convertJobSettings({ method: 'forest' });
    let read = 0;
    const counted = sources().map((x) => ({ ...x, read: async () => (read++, x.read()) }));
    const err = await runConvertJob({ sources: counted, inputLabel: 'slab', ...s, outputs: { models: ['m.stl'] }, now: new Date(0) }).catch((e: unknown) => e);
    expect(isScanError(err) && err.code).toBe('NO_FOREST_MODEL');
    expect((err as Error).message).toContain('ConvertJobHost.forestModel');
    expect(read).toBe(0);
  });
});

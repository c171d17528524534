/**
 * Marrow fill on a bone-group label map (issue 14): a filled cavity takes the name of the bone
 * around it, not a fixed group. Forest labels of TotalSegmentator's labelled DICOM slab (a z
 * crop: the forest's position features need the full x/y body box).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPath, ROOT } from '../../../../test/data.js';
import { importSeries } from '../dicom/import.js';
import { cropVolume } from './filters/crop.js';
import { fillMarrow } from './marrow-fill.js';
import { runSegmentation } from './pipeline.js';
// Registers the forest method.
import './index.js';

const SLAB = dataPath('labelled/totalsegmentator', 'example_ct_dicom');
const sources = () => readdirSync(SLAB).sort().map((n) => ({ name: join(SLAB, n), read: async () => new Uint8Array(readFileSync(join(SLAB, n))) }));
const model = new Uint8Array(readFileSync(resolve(ROOT, 'packages/core/models/bone-forest.bin')));

describe('marrow fill names each cavity by its bone', () => {
  it('forest labels, example_ct_dicom slices 4..15: every filled voxel takes a label its enclosing bone carries', async () => {
    const full = (await importSeries(sources())).output.volume;
    const volume = cropVolume(full, { min_ijk: [0, 0, 4], max_ijk: [512, 512, 16] }).output;
    const seg = await runSegmentation(volume, { method: { method: 'forest', params: { model, source: 'bone-forest.bin' } }, restoreGrid: false });
    const labels = seg.output.labels[0]!;
    const r = fillMarrow(labels, volume, {});
    const a = labels.data;
    const [nx, ny, nz] = labels.grid.dims;
    // The bone a filled voxel lies in: the first labelled voxel along each of the six axis
    // directions (a marrow cavity is enclosed, so the rays meet the bone around it).
    const ray = (p: number, step: number, at: number, n: number) => {
      for (let c = at + Math.sign(step), q = p + step; c >= 0 && c < n; c += Math.sign(step), q += step) if (a[q]) return a[q]!;
      return 0;
    };
    // Filled voxels of `out`; those whose label none of their six rays meets; those whose label
    // is the one most rays meet.
    const judge = (out: Uint8Array | Uint16Array) => {
      let filled = 0;
      let foreign = 0;
      let majority = 0;
      for (let p = 0; p < a.length; p++) {
        if (a[p] || !out[p]) continue;
        filled++;
        const i = p % nx;
        const j = Math.floor(p / nx) % ny;
        const k = Math.floor(p / (nx * ny));
        const hits = [ray(p, 1, i, nx), ray(p, -1, i, nx), ray(p, nx, j, ny), ray(p, -nx, j, ny), ray(p, nx * ny, k, nz), ray(p, -nx * ny, k, nz)].filter((x) => x > 0);
        if (!hits.includes(out[p]!)) foreign++;
        const count = (l: number) => hits.filter((h) => h === l).length;
        const mode = [...new Set(hits)].sort((x, y) => count(y) - count(x) || x - y)[0];
        if (mode === out[p]) majority++;
      }
      return { filled, foreign, majority };
    };
    const named = judge(r.output.data);
    // The old rule, every filled voxel group 1 (vertebrae_thoracic): the same voxels.
    const fixed = judge(fillMarrow(labels, volume, { label: 1 }).output.data);
    // Measured when written: 261 voxels filled; under the fixed label 12 met no ray of their
    // bone, 208 took the bone most rays meet; now none and 240 (92 %; the rest lie in vertebrae
    // the forest names partly thoracic, partly lumbar).
    expect(r.record.figures.filled_voxels).toBe(named.filled);
    expect(named.filled).toBeGreaterThan(20);
    expect(fixed.filled).toBe(named.filled);
    expect(fixed.foreign).toBeGreaterThan(0);
    expect(named.foreign).toBe(0);
    expect(named.majority / named.filled).toBeGreaterThan(0.85);
    expect(named.majority).toBeGreaterThan(fixed.majority);
    // Existing labels are kept.
    let changed = 0;
    for (let p = 0; p < a.length; p++) if (a[p] && r.output.data[p] !== a[p]) changed++;
    expect(changed).toBe(0);
  });
});

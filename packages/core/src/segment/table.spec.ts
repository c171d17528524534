/**
 * Table / head-holder removal on real data: the Philips head phantom lies in a curved
 * holder (~380 HU, above the bone threshold); the TotalSegmentator abdomen lies on a table.
 * The same full-size phantom volume also serves the region-growing and metal checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { gridBounds_mm, physicalToIndex } from '../geometry/grid.js';
import { importSeries, type DicomSource } from '../dicom/import.js';
import { readNifti } from '../formats/nifti.js';
import { findAutoThreshold } from './auto-threshold.js';
import { labelComponents } from './components.js';
import { componentStats, type ComponentStats } from './stats.js';
import { bodyMask, removeTable } from './table.js';
import { regionGrow } from './region-grow.js';
import { flagMetal } from './metal.js';

function dirSources(dir: string): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
}

/** Lets the worker answer the test runner between long synchronous steps (≤ a few s each). */
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p]!;
  return s;
}

function threshold(volume: Volume, lo: number): LabelMap {
  const data = new Uint8Array(volume.data.length);
  for (let p = 0; p < data.length; p++) data[p] = volume.data[p]! >= lo ? 1 : 0;
  return { grid: volume.grid, data };
}

describe('head holder removal on ct/philips-head-phantom-1mm', () => {
  let volume: Volume;
  let autoHU: number;
  beforeAll(async () => {
    volume = (await importSeries(dirSources(dataPath('ct/philips-head-phantom-1mm')))).output.volume;
    autoHU = findAutoThreshold(volume).result.threshold_HU;
  });

  for (const which of ['auto', 226] as const) {
    it(`at ${which === 'auto' ? 'the automatic threshold' : '226 HU'}: the holder goes, the skull stays whole`, async () => {
      const lo = which === 'auto' ? autoHU : which;
      expect(lo).toBeGreaterThan(100);
      expect(lo).toBeLessThan(400);
      const bone = threshold(volume, lo);
      // Independent identification: the two largest 26-components of the bone mask.
      const cc = labelComponents(bone.data, volume.grid.dims, 26);
      await tick();
      const stats = componentStats(cc.labels, cc.count, volume.grid, volume).sort((a, b) => b.voxels - a.voxels);
      await tick();
      const [big1, big2] = stats as [ComponentStats, ComponentStats];
      const skull = big1.hu!.mean > big2.hu!.mean ? big1 : big2;
      const holder = skull === big1 ? big2 : big1;
      // The holder: much less dense than the skull, behind it (LPS +y is posterior), and
      // spanning nearly the whole scan length and the field's lateral width.
      expect(holder.hu!.mean).toBeLessThan(500);
      expect(skull.hu!.mean).toBeGreaterThan(600);
      expect(holder.centroid_mm[1]).toBeGreaterThan(skull.centroid_mm[1] + 30);
      expect(holder.bbox_mm.max[1]).toBeGreaterThan(skull.bbox_mm.max[1]);
      expect(holder.bbox_mm.max[0] - holder.bbox_mm.min[0]).toBeGreaterThan(180);

      const r = removeTable(bone, volume, {}, {});
      await tick();
      let skullKept = 0;
      let holderKept = 0;
      let otherKept = 0;
      for (let p = 0; p < bone.data.length; p++) {
        if (r.output.data[p] === 0) continue;
        const c = cc.labels[p]!;
        if (c === skull.id) skullKept++;
        else if (c === holder.id) holderKept++;
        else otherKept++;
      }
      expect(skullKept / skull.voxels).toBeGreaterThanOrEqual(0.99);
      expect(holderKept).toBe(0);
      const removed = r.record.figures.components as ComponentStats[];
      // The largest removed piece is the holder (same size, same place).
      expect(removed[0]!.voxels).toBe(holder.voxels);
      expect(removed[0]!.centroid_mm[1]).toBeCloseTo(holder.centroid_mm[1], 1);
      expect(r.record.findings?.some((f) => f.code === 'TABLE_REMOVED')).toBe(true);
      // It removed little else: small islands only.
      expect(otherKept + skullKept).toBeGreaterThan(0.99 * (sum(bone.data) - holder.voxels) - 5000);
      console.log(`holder removal @${lo} HU: skull ${skull.voxels} vox (mean ${skull.hu!.mean} HU) kept ${skullKept}; holder ${holder.voxels} vox (mean ${holder.hu!.mean} HU) removed; removed comps ${removed.length}; ${r.record.wall_ms} ms`);
    });
  }

  it('region growing from a skull seed stays in range and in the skull, never in the holder', async () => {
    const bone = threshold(volume, 226);
    const cc = labelComponents(bone.data, volume.grid.dims, 6);
    await tick();
    const stats = componentStats(cc.labels, cc.count, volume.grid, volume).sort((a, b) => b.voxels - a.voxels);
    await tick();
    const skull = stats[0]!.hu!.mean > stats[1]!.hu!.mean ? stats[0]! : stats[1]!;
    const holder = skull === stats[0] ? stats[1]! : stats[0]!;
    // Seed: the skull voxel nearest its centroid along +x from the centroid row.
    let seed = -1;
    const [nx, ny] = volume.grid.dims;
    const c = physicalToIndex(volume.grid, ...skull.centroid_mm);
    const j = Math.round(c[1]), k = Math.round(c[2]);
    for (let i = Math.round(c[0]); i < nx; i++) {
      const p = i + j * nx + k * nx * ny;
      if (cc.labels[p] === skull.id) {
        seed = p;
        break;
      }
    }
    expect(seed).toBeGreaterThanOrEqual(0);
    const empty: LabelMap = { grid: volume.grid, data: new Uint8Array(bone.data.length) };
    const r = regionGrow(empty, volume, { seed: { voxel: [seed % nx, j, k] }, range_HU: [226, 3071] }, {});
    await tick();
    let n = 0;
    for (let p = 0; p < empty.data.length; p++) {
      if (r.output.data[p] === 0) continue;
      n++;
      const h = volume.data[p]!;
      if (h < 226 || h > 3071) throw new Error(`voxel ${p} at ${h} HU outside the range`);
      if (cc.labels[p] === holder.id) throw new Error(`region leaked into the holder at voxel ${p}`);
    }
    // 6-connected growth in [226, 3071] from a skull voxel is exactly that 6-component.
    expect(n).toBe(skull.voxels);
    expect(r.record.figures.regionVoxels).toBe(skull.voxels);
    // The leak guard: with a maximum below the skull's volume, growth stops and nothing is applied.
    await tick();
    const guarded = regionGrow(empty, volume, { seed: { voxel: [seed % nx, j, k] }, range_HU: [226, 3071], maxVolume_mm3: skull.volume_mm3 / 2 }, {});
    expect(guarded.record.findings?.[0]?.code).toBe('REGION_LEAK');
    expect(guarded.output.data.some((v) => v !== 0)).toBe(false);
  });

  it('metal flag: the phantom has no metal (a few voxels at the 3071 HU ceiling are not enough)', async () => {
    const r = flagMetal(threshold(volume, 226), volume, {}, {});
    await tick();
    expect(r.record.figures.metalVoxels).toBeLessThan(20);
    expect(r.record.findings ?? []).toHaveLength(0);
    const low = flagMetal(threshold(volume, 226), volume, { threshold_HU: 1500 }, {});
    expect(low.record.findings?.[0]?.code).toBe('METAL');
  });
});

describe('head holder removal on ct/ge-head-tilt-variable-spacing (a real head, tilted, resampled on import)', () => {
  it('the holder pieces beside the head go, the skull stays', async () => {
    const volume = (await importSeries(dirSources(dataPath('ct/ge-head-tilt-variable-spacing')))).output.volume;
    await tick();
    const bone = threshold(volume, 226);
    const cc = labelComponents(bone.data, volume.grid.dims, 26);
    await tick();
    const stats = componentStats(cc.labels, cc.count, volume.grid, volume).sort((a, b) => b.voxels - a.voxels);
    await tick();
    const skull = stats[0]!;
    // The holder here: two thin pieces of ≈ 300 HU, > 10 cm³ each, on either side of the head.
    const holder = stats.filter((c) => c.volume_mm3 > 10_000 && c.hu!.mean < 400);
    expect(skull.hu!.mean).toBeGreaterThan(600);
    expect(holder).toHaveLength(2);
    expect(Math.sign(holder[0]!.centroid_mm[0] - skull.centroid_mm[0])).toBe(-Math.sign(holder[1]!.centroid_mm[0] - skull.centroid_mm[0]));
    const r = removeTable(bone, volume, {}, {});
    await tick();
    const kept = new Float64Array(cc.count + 1);
    for (let p = 0; p < bone.data.length; p++) if (r.output.data[p]) kept[cc.labels[p]!]!++;
    expect(kept[skull.id]).toBe(skull.voxels);
    for (const h of holder) expect(kept[h.id]).toBe(0);
  });
});

describe('table removal on the TotalSegmentator abdomen', () => {
  it('the table under the patient is outside the body and is removed; the body is kept', () => {
    const volume = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    // This table is not bone-dense (its rails are ≈ −120 HU), so look at it in a −300 HU
    // mask, which holds the body and the table: the body must stay, the table must go.
    const mask = threshold(volume, -300);
    const r = removeTable(mask, volume, {}, {});
    const removed = r.record.figures.components as ComponentStats[];
    expect(removed.length).toBeGreaterThanOrEqual(2);
    const body = bodyMask(volume).mask;
    let bodyKept = 0, bodyTotal = 0, keptOutside = 0;
    for (let p = 0; p < body.length; p++) {
      if (!mask.data[p]) continue;
      if (body[p]) { bodyTotal++; if (r.output.data[p]) bodyKept++; }
      else if (r.output.data[p]) keptOutside++;
    }
    expect(bodyKept).toBe(bodyTotal);
    expect(bodyTotal).toBeGreaterThan(500_000);
    // The two largest removed pieces are the table's two rails: at the posterior edge of the
    // field (LPS +y), on either side, running the whole scan length.
    const edgeY = gridBounds_mm(volume.grid).max[1];
    const bodyStats = componentStats(Int32Array.from(body), 1, volume.grid)[0]!;
    const [nz] = [volume.grid.dims[2]];
    for (const rail of removed.slice(0, 2)) {
      expect(rail.bbox_mm.max[1]).toBeGreaterThan(edgeY - 3);
      expect(rail.centroid_mm[1]).toBeGreaterThan(bodyStats.bbox_mm.max[1] - 60);
      expect(rail.bbox_voxel.max[2] - rail.bbox_voxel.min[2] + 1).toBe(nz);
    }
    expect(Math.sign(removed[0]!.centroid_mm[0] - bodyStats.centroid_mm[0])).toBe(-Math.sign(removed[1]!.centroid_mm[0] - bodyStats.centroid_mm[0]));
    console.log(`TotalSegmentator table: removed ${removed.length} comps, rails ${removed[0]!.volume_mm3} + ${removed[1]!.volume_mm3} mm³, kept outside body ${keptOutside}`);
  });
});

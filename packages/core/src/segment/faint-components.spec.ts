import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { importSeries, type DicomSource } from '../dicom/import.js';
import { readNifti, readNiftiLabels } from '../formats/nifti.js';
import { resampleLabelsNearest } from '../evaluate/labels.js';
import { dataPath } from '../../../../test/data.js';
import { rejectFaintComponents } from './faint-components.js';
import { runSegmentation } from './pipeline.js';

const grid = (dims: Vec3): Grid => ({ dims, spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });

/** Deterministic noise in [−1, 1] (a fixed LCG, so the test is the same every run). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

describe('faint components (synthetic)', () => {
  // Threshold 140 HU, noise σ 15 HU: a blob of enhanced blood at 150 HU ± noise, a thin
  // faint plate whose ridge reaches 450 HU (bone: one dense row), and a dense block.
  const dims: Vec3 = [40, 40, 10];
  const n = dims[0] * dims[1] * dims[2];
  const hu = new Int16Array(n);
  const mask = new Uint8Array(n);
  const rnd = noise(7);
  const at = (i: number, j: number, k: number) => i + j * dims[0] + k * dims[0] * dims[1];
  for (let k = 1; k < 9; k++) {
    for (let j = 2; j < 10; j++) for (let i = 2; i < 10; i++) { hu[at(i, j, k)] = Math.round(150 + 15 * rnd()); mask[at(i, j, k)] = 1; }
    for (let i = 15; i < 35; i++) { hu[at(i, 20, k)] = i === 25 ? 450 : 160; mask[at(i, 20, k)] = 1; }
    for (let j = 28; j < 34; j++) for (let i = 28; i < 34; i++) { hu[at(i, j, k)] = 900; mask[at(i, j, k)] = 1; }
  }
  const volume: Volume = { grid: grid(dims), data: hu };
  const labels: LabelMap = { grid: grid(dims), data: mask };

  it('removes the blob at the threshold, keeps the faint plate with a dense ridge and the dense block, and records why', () => {
    const r = rejectFaintComponents(labels, volume, { threshold_HU: 140, noise_HU: 15 });
    const out = r.output.data;
    expect(out[at(5, 5, 5)]).toBe(0);
    expect(out[at(16, 20, 5)]).toBe(1); // the plate's faint part stays: its component has a dense ridge
    expect(out[at(30, 30, 5)]).toBe(1);
    expect(r.record.figures!.componentsFound).toBe(3);
    expect(r.record.figures!.componentsRemoved).toBe(1);
    expect(r.record.figures!.removedVoxels).toBe(8 * 8 * 8);
    expect(r.record.notes!.join(' ')).toMatch(/median is below 170 HU/);
  });

  it('keeps everything when the noise is tiny (the blob is then far above the threshold in σ)', () => {
    const r = rejectFaintComponents(labels, volume, { threshold_HU: 140, noise_HU: 1 });
    expect(r.record.figures!.componentsRemoved).toBe(0);
    expect(r.output.data).toEqual(mask);
  });

  it('refuses a missing volume or a non-positive noise', () => {
    expect(() => rejectFaintComponents(labels, undefined, { threshold_HU: 140, noise_HU: 15 })).toThrow(/HU volume/);
    expect(() => rejectFaintComponents(labels, volume, { threshold_HU: 140, noise_HU: 0 })).toThrow(/noise/);
  });
});

function dirSources(dir: string): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => ({ name: join(dir, f), read: async () => new Uint8Array(readFileSync(join(dir, f))) }));
}

describe('faint components on real scans (the automatic threshold asks for them)', () => {
  const BONE = (l: number) => (l >= 25 && l <= 50) || (l >= 69 && l <= 78) || (l >= 91 && l <= 116);

  // Measured when written: 358 components, 3537 voxels (3.5 % of the mask), 7 of them in
  // reference bone, the rest enhanced portal vein, liver, stomach, costal cartilage, background.
  it('example_ct_dicom (contrast-enhanced): removes enhanced vessels and organs, (almost) no reference bone', async () => {
    const volume = (await importSeries(dirSources(dataPath('labelled/totalsegmentator/example_ct_dicom')))).output.volume;
    const on = await runSegmentation(volume, { method: { method: 'auto-threshold' }, cleanup: { removeTable: true, rejectFaint: true, stats: false } });
    const off = await runSegmentation(volume, { method: { method: 'auto-threshold' }, cleanup: { removeTable: true, stats: false } });
    const rec = on.records.find((r) => r.method === 'faint-components')!;
    expect(rec.figures!.componentsRemoved as number).toBeGreaterThan(100);
    const refPath = dataPath('labelled/totalsegmentator/example_seg_dicom.nii.gz');
    const ref = resampleLabelsNearest(readNiftiLabels(new Uint8Array(readFileSync(refPath)), refPath), volume.grid).data;
    let removed = 0;
    let removedBone = 0;
    const a = off.output.labels[0]!.data;
    const b = on.output.labels[0]!.data;
    for (let v = 0; v < a.length; v++) {
      if (a[v] && !b[v]) {
        removed++;
        if (BONE(ref[v]!)) removedBone++;
      }
    }
    expect(removed).toBe(rec.figures!.removedVoxels);
    expect(removed).toBeGreaterThan(2000);
    expect(removedBone).toBeLessThan(0.01 * removed);
  });

  // The head phantom's insert (≈ 180 HU, just above its 163 HU threshold) crumbles into
  // noise specks: those go (measured: 3775 components, 15045 voxels, 0.75 %); the skull stays.
  it('ct/philips-head-phantom-1mm: removes < 1 % of the mask, no component with a voxel over threshold + 10σ', async () => {
    const volume = (await importSeries(dirSources(dataPath('ct/philips-head-phantom-1mm')))).output.volume;
    const r = await runSegmentation(volume, { method: { method: 'auto-threshold' }, cleanup: { removeTable: true, rejectFaint: true, stats: false } });
    const rec = r.records.find((x) => x.method === 'faint-components')!;
    expect(rec.figures!.removedFraction as number).toBeLessThan(0.01);
    expect(rec.figures!.maxHuRemoved as number).toBeLessThan(rec.figures!.maxBelow_HU as number);
  });

  it('example_ct.nii.gz (no contrast): removes under 0.5 % of the mask, none of it a bone component', async () => {
    const p = dataPath('labelled/totalsegmentator/example_ct.nii.gz');
    const volume = readNifti(new Uint8Array(readFileSync(p)), p).volume;
    const r = await runSegmentation(volume, { method: { method: 'auto-threshold' }, cleanup: { removeTable: true, rejectFaint: true, stats: false } });
    const rec = r.records.find((x) => x.method === 'faint-components')!;
    expect(rec.figures!.removedFraction as number).toBeLessThan(0.005);
  });
});

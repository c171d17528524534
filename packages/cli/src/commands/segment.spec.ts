import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  indexToPhysical,
  keepComponents,
  methodFromArgs,
  parseThresholdValue,
  readDicomSeg,
  readNifti,
  readNiftiLabels,
  sameGrid,
  thresholdVolume,
  type Volume,
} from '@scan2print/core';
import { runScan2print } from '../../../../test/cli.js';
import { runTool } from '../../../../test/run-tool.js';
import { dataPath } from '../../../../test/data.js';
import { loadExampleCt } from '../../../../test/ct-volumes.js';
import { outputNameFor } from './segment-args.js';

const PHANTOM = dataPath('ct/philips-head-phantom-1mm');
const EXAMPLE = dataPath('labelled/totalsegmentator/example_ct.nii.gz');
const CT3 = dataPath('hardcases/dcmqi-seg/ct-3slice');
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const labelsOf = (f: string) => readNiftiLabels(new Uint8Array(readFileSync(f)), f);

describe('segment argument rules', () => {
  it('--threshold N | N,M | N1,N2,N3 and --thresholds', async () => {
    expect(parseThresholdValue('300')).toEqual([[300, 3071]]);
    expect(parseThresholdValue('200,300')).toEqual([[200, 300]]);
    expect(parseThresholdValue('200,300,400')).toEqual([[200, 3071], [300, 3071], [400, 3071]]);
    expect(() => parseThresholdValue('300,200')).toThrow(/--thresholds 300,200/);
    expect(methodFromArgs({ thresholds: '200,300' })).toEqual({ method: 'threshold', ranges: [[200, 3071], [300, 3071]] });
    expect(methodFromArgs({ threshold: ['200', '250,900'] })).toEqual({ method: 'threshold', ranges: [[200, 3071], [250, 900]] });
    expect(methodFromArgs({ threshold: ['auto'] })).toEqual({ method: 'auto-threshold' });
    expect(methodFromArgs({})).toEqual({ method: 'auto-threshold' });
    expect(() => methodFromArgs({ preset: 'bone', threshold: ['300'] })).toThrow(/one of/);
    expect(outputNameFor('/a/labels.nii.gz', [200, 3071], true)).toBe('/a/labels_t200.nii.gz');
    expect(outputNameFor('/a/labels.dcm', [-700, 225], true)).toBe('/a/labels_t-700-225.dcm');
    expect(outputNameFor('/a/labels.nii.gz', [200, 3071], false)).toBe('/a/labels.nii.gz');
  });
});

describe('scan2print segment (built binary)', () => {
  let dir: string;
  let ct: Volume;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 's2p-seg-'));
    ct = loadExampleCt();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--threshold auto on a NIfTI volume: records peak/inflection, labels = HU ≥ threshold on the input grid', async () => {
    const out = join(dir, 'auto.nii.gz');
    const r = await runScan2print(['segment', EXAMPLE, '-o', out, '--threshold', 'auto', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { outputs: Array<{ file: string; voxels: number }>; records: Array<{ method: string; figures: Record<string, number> }> };
    const auto = j.records.find((x) => x.method === 'auto-threshold')!;
    expect(auto.figures.threshold_HU).toBeGreaterThan(100);
    expect(auto.figures.threshold_HU).toBeLessThan(400);
    expect(auto.figures.peak_HU).toBeLessThan(auto.figures.inflection_HU);
    const labels = labelsOf(out);
    expect(sameGrid(labels.grid, ct.grid)).toBe(true);
    const want = thresholdVolume(ct, auto.figures.threshold_HU, 3071);
    expect(bytes(labels.data).equals(bytes(want.data))).toBe(true);
    expect(j.outputs[0]!.voxels).toBe(Array.from(want.data).filter((x) => x).length);
  });

  it('several thresholds: one file per threshold, named by threshold, each equal to the single threshold', async () => {
    const out = join(dir, 'multi.nii.gz');
    const r = await runScan2print(['segment', EXAMPLE, '-o', out, '--thresholds', '200,300', '--threshold', '400', '--json']);
    expect(r.code).toBe(0);
    for (const t of [200, 300, 400]) {
      const f = join(dir, `multi_t${t}.nii.gz`);
      expect(existsSync(f)).toBe(true);
      expect(bytes(labelsOf(f).data).equals(bytes(thresholdVolume(ct, t, 3071).data))).toBe(true);
    }
    expect(existsSync(out)).toBe(false);
    const j = JSON.parse(r.stdout) as { records: Array<{ method: string }> };
    expect(j.records.map((x) => x.method)).toContain('multi-threshold');
  });

  it('--soft writes the probability field beside the labels', async () => {
    const out = join(dir, 'soft.nii.gz');
    const r = await runScan2print(['segment', EXAMPLE, '-o', out, '--threshold', '150', '--soft', '20']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/soft-threshold/);
    const pf = join(dir, 'soft_probability.nii.gz');
    const p = readNifti(new Uint8Array(readFileSync(pf)), pf).volume;
    expect(p.data).toBeInstanceOf(Float32Array);
    const l = labelsOf(out).data;
    let bad = 0;
    for (let v = 0; v < l.length; v++) if ((p.data[v]! >= 0.5) !== (l[v] === 1) && ct.data[v] !== 150) bad++;
    expect(bad).toBe(0);
  });

  it('DICOM input with a preset and preprocessing (crop, Gaussian) writes labels on the source grid', async () => {
    const out = join(dir, 'ct3.nii.gz');
    const r = await runScan2print(['segment', CT3, '-o', out, '--preset', 'bone', '--gaussian', '0.8', '--crop', '100,100,0,400,400,3', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { records: Array<{ stage: string; method: string; notes?: string[] }> };
    expect(j.records.map((x) => `${x.stage}/${x.method}`)).toEqual(expect.arrayContaining(['import/dicom-stack', 'preprocess/crop', 'preprocess/gaussian', 'segment/threshold']));
    expect(j.records.find((x) => x.method === 'threshold')!.notes!.join(' ')).toMatch(/outward/);
    const l = labelsOf(out);
    expect(l.grid.dims).toEqual([512, 512, 3]);
    let outside = 0;
    let inside = 0;
    for (let k = 0; k < 3; k++)
      for (let j2 = 0; j2 < 512; j2++)
        for (let i = 0; i < 512; i++) {
          const v = l.data[i + 512 * j2 + 512 * 512 * k]!;
          if (i < 100 || i >= 400 || j2 < 100 || j2 >= 400) outside += v;
          else inside += v;
        }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(1000);
  });

  it('region growing from --seed-voxel and the same point as --seed (mm) give the seed component', async () => {
    const largest = keepComponents(thresholdVolume(ct, 200, 3071), ct, { keep: 'largest', connectivity: 6 }).output;
    let seed = -1;
    for (let v = 0; v < largest.data.length && seed < 0; v++) if (largest.data[v] && ct.data[v]! > 400) seed = v;
    const [nx, ny] = ct.grid.dims;
    const ijk = [seed % nx, Math.floor(seed / nx) % ny, Math.floor(seed / (nx * ny))] as const;
    const mm = indexToPhysical(ct.grid, ijk[0], ijk[1], ijk[2]);
    const a = join(dir, 'grow-voxel.nii.gz');
    const b = join(dir, 'grow-mm.nii.gz');
    expect((await runScan2print(['segment', EXAMPLE, '-o', a, '--seed-voxel', ijk.join(','), '--range', '200,3071'])).code).toBe(0);
    const r = await runScan2print(['segment', EXAMPLE, '-o', b, '--seed', mm.join(','), '--range', '200,3071', '--json']);
    expect(r.code).toBe(0);
    expect(bytes(labelsOf(a).data).equals(bytes(labelsOf(b).data))).toBe(true);
    expect(bytes(labelsOf(a).data).equals(bytes(largest.data))).toBe(true);
    expect((await runScan2print(['segment', EXAMPLE, '-o', a, '--seed', '1,2,3'])).stderr).toMatch(/--seed needs --range/);
  });

  it('user errors: exit 2 for bad options, 3 for unreadable input, no output left behind', async () => {
    const out = join(dir, 'bad.nii.gz');
    let r = await runScan2print(['segment', EXAMPLE, '-o', out, '--threshold', '300,200']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/LO ≤ HI/);
    r = await runScan2print(['segment', EXAMPLE, '-o', join(dir, 'x.dcm'), '--preset', 'bone']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DICOM SEG .* input must be DICOM/);
    r = await runScan2print(['segment', EXAMPLE, '-o', out, '--preset', 'marrow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown threshold preset "marrow"/);
    r = await runScan2print(['segment', join(dir, 'missing.nii.gz'), '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/missing\.nii\.gz: no such file/);
    r = await runScan2print(['segment', EXAMPLE, '-o', join(dir, 'labels.stl')]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
  it('.dcm output: a DICOM SEG referencing the source series, equal to the NIfTI labels, readable by pydicom', async () => {
    const nii = join(dir, 'ct3-bone.nii.gz');
    const dcm = join(dir, 'ct3-bone.dcm');
    expect((await runScan2print(['segment', CT3, '-o', nii, '--preset', 'bone'])).code).toBe(0);
    const r = await runScan2print(['segment', CT3, '-o', dcm, '--preset', 'bone', '--json'], {});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ref = labelsOf(nii);
    const seg = readDicomSeg(new Uint8Array(readFileSync(dcm)), dcm, { grid: ref.grid });
    expect(bytes(seg.labels.data).equals(bytes(ref.data))).toBe(true);
    const imp = (JSON.parse(r.stdout) as { records: Array<{ stage: string; figures: { chosenSeriesUid?: string } }> }).records.find((x) => x.stage === 'import')!;
    expect(seg.referencedSeriesUid).toBe(imp.figures.chosenSeriesUid);
    // An independent reader (Debian's python3-pydicom) sees a SEG with our segment.
    const py = await runTool('/usr/bin/python3', ['-c', 'import pydicom,sys; d=pydicom.dcmread(sys.argv[1]); print(d.Modality, d.SegmentationType, d.SegmentSequence[0].SegmentLabel, d.ReferencedSeriesSequence[0].SeriesInstanceUID)', dcm]);
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe(`SEG BINARY Bone HU 226..3071 ${imp.figures.chosenSeriesUid}`);
  });

  it('phantom (full size, worker threads): auto threshold, head holder removed, one skull component', async () => {
    const out = join(dir, 'skull.nii.gz');
    const r = await runScan2print(['segment', PHANTOM, '-o', out, '--remove-table', '--keep', 'largest', '--fill-holes', '--json', '--no-anatomy']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { records: Array<{ method: string; figures: Record<string, any> }> };
    const auto = j.records.find((x) => x.method === 'auto-threshold')!.figures;
    expect(auto.fallback).toBe(false);
    expect(auto.threshold_HU).toBeGreaterThan(100);
    expect(auto.threshold_HU).toBeLessThan(400);
    const table = j.records.find((x) => x.method === 'remove-table')!.figures;
    expect(table.componentsRemoved).toBeGreaterThan(0);
    const comps = j.records.find((x) => x.method === 'components')!.figures;
    expect(comps.componentsKept).toBe(1);
    expect(comps.components[0].hu.mean).toBeGreaterThan(500); // bone-equivalent skull, not the ≈ 380 HU holder
    const l = labelsOf(out);
    expect(l.grid.dims).toEqual([512, 512, 140]);
  });
});

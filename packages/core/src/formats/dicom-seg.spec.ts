import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { parseDicomHeader } from '../dicom/parse.js';
import type { DicomInstance } from '../dicom/types.js';
import { ScanError } from '../errors.js';
import type { Grid, Vec3 } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import { readDicomSeg } from './dicom-seg-read.js';
import { segSourceFromInstances, writeDicomSeg, type SegSource } from './dicom-seg.js';
import { readLabelFile } from './label-file.js';

const PY = '/usr/bin/python3';
const CT3 = ['01.dcm', '02.dcm', '03.dcm'].map((f) => dataPath('hardcases/dcmqi-seg/ct-3slice', f));
const LIVER = dataPath('hardcases/dcmqi-seg/liver.dcm');
const LIVER_PYDICOM = dataPath('hardcases/pydicom/liver.dcm');
const OVERLAPS = dataPath('hardcases/dcmqi-seg/partial_overlaps.dcm');

/** Frame-by-frame facts an independent reader (pydicom) sees in a SEG file. */
function pydicomFacts(file: string): { frames: number; labels: string[]; counts: number[]; seg: number[]; z: number[]; overlap: number } {
  const out = execFileSync(PY, ['-c', `
import sys, json, pydicom, numpy as np
ds = pydicom.dcmread(sys.argv[1])
px = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
pf = ds.PerFrameFunctionalGroupsSequence
z = [float(f.PlanePositionSequence[0].ImagePositionPatient[2]) for f in pf]
acc = {}
for i, zz in enumerate(z):
    key = round(zz, 2)
    acc[key] = acc.get(key, 0) + (px[i] > 0).astype(np.int32)
print(json.dumps({
  'frames': int(ds.NumberOfFrames),
  'labels': [s.SegmentLabel for s in ds.SegmentSequence],
  'counts': [int(px[i].sum()) for i in range(px.shape[0])],
  'seg': [int(f.SegmentIdentificationSequence[0].ReferencedSegmentNumber) for f in pf],
  'z': z,
  'overlap': int(sum(int((a > 1).sum()) for a in acc.values())),
}))
`, file], { encoding: 'utf8' });
  return JSON.parse(out);
}

describe('DICOM SEG', () => {
  let dir: string;
  let instances: DicomInstance[];
  let grid: Grid;
  let source: SegSource;
  let map: LabelMap;
  let written: string;
  let bytes: Uint8Array;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 's2p-seg-'));
    instances = CT3.map((f) => parseDicomHeader(new Uint8Array(readFileSync(f)), f)!);
    // slices sorted along the normal (z): 03, 02, 01
    instances.sort((a, b) => a.imagePositionPatient![2] - b.imagePositionPatient![2]);
    const i0 = instances[0]!;
    const ps = i0.pixelSpacing!;
    const iop = i0.imageOrientationPatient!;
    grid = {
      dims: [i0.columns!, i0.rows!, 3],
      spacing_mm: [ps[1], ps[0], instances[1]!.imagePositionPatient![2] - i0.imagePositionPatient![2]],
      origin_mm: [...i0.imagePositionPatient!] as Vec3,
      direction: [iop[0], iop[1], iop[2], iop[3], iop[4], iop[5], 0, 0, 1],
    };
    source = { ...segSourceFromInstances(instances), patientName: 'JANCT000', patientId: '99000' };
    const [nx, ny] = grid.dims;
    const data = new Uint8Array(nx * ny * 3);
    for (let k = 0; k < 3; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const p = i + nx * (j + ny * k);
      if (k < 2 && (i - 256) ** 2 + (j - 300) ** 2 < 3600) data[p] = 1;
      if ((k === 2 && i >= 100 && i <= 180 && j >= 50 && j <= 90) || (k === 1 && i >= 10 && i < 20 && j >= 10 && j < 13)) data[p] = 2;
    }
    map = { grid, data, labels: { 1: 'Bone', 2: 'Skull' } };
    bytes = writeDicomSeg(map, source, { uidRoot: '2.25.1234', dateTime: '20260102030405' });
    written = join(dir, 'ours.dcm');
    writeFileSync(written, bytes);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes deterministic bytes and reads back the same mask and geometry', () => {
    expect(writeDicomSeg(map, source, { uidRoot: '2.25.1234', dateTime: '20260102030405' })).toEqual(bytes);
    for (const r of [readDicomSeg(bytes, written), readDicomSeg(bytes, written, { grid })]) {
      expect(r.labels.grid.dims).toEqual(grid.dims);
      for (let a = 0; a < 3; a++) {
        expect(r.labels.grid.spacing_mm[a]).toBeCloseTo(grid.spacing_mm[a]!, 6);
        expect(r.labels.grid.origin_mm[a]).toBeCloseTo(grid.origin_mm[a]!, 6);
      }
      for (let a = 0; a < 9; a++) expect(r.labels.grid.direction[a]).toBeCloseTo(grid.direction[a]!, 9);
      let diff = 0;
      for (let p = 0; p < map.data.length; p++) if (r.labels.data[p] !== map.data[p]) diff++;
      expect(diff).toBe(0);
      expect(r.segments.map((s) => s.label)).toEqual(['Bone', 'Skull']);
      expect(r.segments[0]!.type).toEqual({ value: '272673000', scheme: 'SCT', meaning: 'Bone' });
      expect(r.referencedSeriesUid).toBe(instances[0]!.seriesInstanceUid);
      expect(r.referencedInstanceUids).toHaveLength(3);
      expect(r.frames).toBe(5); // Bone on k 0,1 + last slice kept; Skull on k 1,2
      expect(r.overlapVoxels).toBe(0);
    }
    expect(readLabelFile(bytes, written).data[256 + 512 * 300]).toBe(1);
  });

  it('is readable by dcmtk (dcmdump) and pydicom, with the same frames and bits', () => {
    const dump = spawnSync('dcmdump', ['+L', written], { encoding: 'utf8' });
    expect(dump.status).toBe(0);
    expect(dump.stderr).toBe('');
    expect(dump.stdout).toMatch(/\(0008,0016\) UI =SegmentationStorage/);
    expect(dump.stdout).toMatch(/\(0028,0008\) IS \[5\]/);
    expect(dump.stdout).toMatch(/\(0062,0005\) LO \[Bone\]/);
    expect(dump.stdout).toContain(instances[2]!.sopInstanceUid!);
    const py = pydicomFacts(written);
    expect(py.frames).toBe(5);
    expect(py.labels).toEqual(['Bone', 'Skull']);
    // our own frame contents, computed from the label map
    const plane = 512 * 512;
    const expected: number[] = [];
    const frames: [number, number][] = [[1, 0], [1, 1], [1, 2], [2, 1], [2, 2]];
    for (const [s, k] of frames) {
      let c = 0;
      for (let p = 0; p < plane; p++) if (map.data[k * plane + p] === s) c++;
      expected.push(c);
    }
    expect(py.seg).toEqual(frames.map((f) => f[0]));
    expect(py.counts).toEqual(expected);
    expect(py.z.map((z) => Math.round(z * 100) / 100)).toEqual(frames.map((f) => Math.round((grid.origin_mm[2] + f[1] * grid.spacing_mm[2]) * 100) / 100));
  });

  it('reads the dcmqi liver SEG (and pydicom\'s copy) onto the referenced 3-slice geometry', () => {
    const py = pydicomFacts(LIVER);
    for (const f of [LIVER, LIVER_PYDICOM]) {
      const own = readDicomSeg(new Uint8Array(readFileSync(f)), f);
      expect(own.labels.grid.dims).toEqual([512, 512, 3]);
      expect(own.labels.grid.spacing_mm[0]).toBeCloseTo(0.810547, 6);
      expect(own.labels.grid.spacing_mm[2]).toBeCloseTo(1, 6);
      expect(own.segments[0]!.label).toBe('Liver');
      expect(own.referencedInstanceUids).toHaveLength(3);
      const onRef = readDicomSeg(new Uint8Array(readFileSync(f)), f, { grid });
      // per slice voxel counts equal pydicom's per-frame sums (frames lie at z = −128.69, −127.69, −126.69)
      const plane = 512 * 512;
      for (const m of [own.labels, onRef.labels]) {
        const perSlice = [0, 0, 0];
        for (let p = 0; p < m.data.length; p++) if (m.data[p]) perSlice[Math.floor(p / plane)]!++;
        const byZ = py.z.map((z, i) => [z, py.counts[i]!] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
        expect(perSlice).toEqual(byZ);
        expect(perSlice.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
      }
    }
  });

  it('counts voxels claimed by two segments in partial_overlaps.dcm like pydicom does', () => {
    const r = readDicomSeg(new Uint8Array(readFileSync(OVERLAPS)), OVERLAPS);
    const py = pydicomFacts(OVERLAPS);
    expect(r.frames).toBe(py.frames);
    expect(r.segments.map((s) => s.label)).toEqual(py.labels);
    expect(r.overlapVoxels).toBe(py.overlap);
    expect(r.overlapVoxels).toBeGreaterThan(0);
  });

  it('refuses a DICOM image that is not a SEG, naming the file', () => {
    expect(() => readDicomSeg(new Uint8Array(readFileSync(CT3[0]!)), CT3[0]!)).toThrowError(ScanError);
    expect(() => readDicomSeg(new Uint8Array(readFileSync(CT3[0]!)), CT3[0]!)).toThrowError(/01\.dcm: SOP Class .* is not Segmentation Storage/);
  });
});

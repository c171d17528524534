import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { ScanError } from '../errors.js';
import type { Grid } from '../geometry/grid.js';
import { readNifti, readNiftiLabels, writeNifti } from './nifti.js';

const CT = dataPath('labelled/totalsegmentator/example_ct.nii.gz');
const SEG_DICOM = dataPath('labelled/totalsegmentator/example_seg_dicom.nii.gz');

function expectGridClose(a: Grid, b: Grid, tol = 1e-5): void {
  expect(a.dims).toEqual(b.dims);
  for (let i = 0; i < 3; i++) {
    expect(Math.abs(a.spacing_mm[i]! - b.spacing_mm[i]!)).toBeLessThan(tol);
    expect(Math.abs(a.origin_mm[i]! - b.origin_mm[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(b.origin_mm[i]!)));
  }
  for (let i = 0; i < 9; i++) expect(Math.abs(a.direction[i]! - b.direction[i]!)).toBeLessThan(tol);
}

/** An oblique, left-handed-free rotation: about z by 20° then about x by 35°. */
function obliqueGrid(): Grid {
  const cz = Math.cos(0.349), sz = Math.sin(0.349), cx = Math.cos(0.611), sx = Math.sin(0.611);
  // columns of Rx·Rz
  const i = [cz, cx * sz, sx * sz];
  const j = [-sz, cx * cz, sx * cz];
  const k = [0, -sx, cx];
  return { dims: [7, 5, 4], spacing_mm: [0.7, 0.9, 2.5], origin_mm: [-12.5, 33.25, 101.5], direction: [...i, ...j, ...k] as Grid['direction'] };
}

describe('NIfTI-1', () => {
  it('reads example_ct.nii.gz with the affine and voxels python3 reads from the raw header', () => {
    const r = readNifti(new Uint8Array(readFileSync(CT)), CT);
    // An independent reading: python3 parses the gzip'd header by hand with struct.
    const py = execFileSync('/usr/bin/python3', ['-c', `
import gzip, struct, json, sys
b = gzip.open(sys.argv[1]).read()
dim = struct.unpack('<8h', b[40:56]); code = struct.unpack('<h', b[70:72])[0]
srow = struct.unpack('<12f', b[280:328]); off = int(struct.unpack('<f', b[108:112])[0])
n = dim[1]*dim[2]*dim[3]
vals = struct.unpack('<%di' % n, b[off:off+4*n])
print(json.dumps({'dim': dim[1:4], 'code': code, 'srow': srow, 'sum': sum(vals), 'v': vals[5 + 7*dim[1] + 9*dim[1]*dim[2]]}))
`, CT], { encoding: 'utf8' });
    const ref = JSON.parse(py) as { dim: number[]; code: number; srow: number[]; sum: number; v: number };
    expect(ref.code).toBe(8);
    expect(r.datatype).toBe('int32');
    expect(r.volume.grid.dims).toEqual([122, 101, 112]);
    expect(r.volume.grid.dims).toEqual(ref.dim);
    expect(r.volume.grid.spacing_mm.map((s) => Math.abs(s - 3) < 1e-6)).toEqual([true, true, true]);
    // LPS = diag(-1,-1,1)·RAS, column by column
    const g = r.volume.grid;
    for (let col = 0; col < 3; col++) {
      for (let row = 0; row < 3; row++) {
        const flip = row < 2 ? -1 : 1;
        expect(g.direction[col * 3 + row]! * g.spacing_mm[col]!).toBeCloseTo(flip * ref.srow[row * 4 + col]!, 5);
      }
    }
    expect(g.origin_mm[0]).toBeCloseTo(-ref.srow[3]!, 4);
    expect(g.origin_mm[1]).toBeCloseTo(-ref.srow[7]!, 4);
    expect(g.origin_mm[2]).toBeCloseTo(ref.srow[11]!, 4);
    expect(r.volume.data).toBeInstanceOf(Int16Array); // HU fit in int16
    let sum = 0;
    for (let p = 0; p < r.volume.data.length; p++) sum += r.volume.data[p]!;
    expect(sum).toBe(ref.sum);
    expect(r.volume.data[5 + 7 * 122 + 9 * 122 * 101]).toBe(ref.v);
  });

  it('falls back to the qform quaternion (qfac −1) and then to pixdim', () => {
    const bytes = gunzipSync(new Uint8Array(readFileSync(SEG_DICOM)));
    const viaSform = readNiftiLabels(bytes, SEG_DICOM);
    // sform: srow_x = −0.9765625·i + 249.51, srow_y = +0.9765625·j − 61.51, srow_z = 2·k − 804.5
    expect(viaSform.grid.direction).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(viaSform.grid.origin_mm).toEqual([-249.51171875, 61.51171875, -804.5]);
    const noSform = bytes.slice();
    // this file has qform_code 0 (the quaternion is still filled in): enable it, clear sform
    new DataView(noSform.buffer).setInt16(252, 1, true);
    new DataView(noSform.buffer).setInt16(254, 0, true);
    const viaQform = readNiftiLabels(noSform, 'q.nii');
    expectGridClose(viaQform.grid, viaSform.grid, 1e-6);
    expect(viaQform.data.length).toBe(512 * 512 * 20);
    let diff = 0;
    for (let p = 0; p < viaQform.data.length; p++) if (viaQform.data[p] !== viaSform.data[p]) diff++;
    expect(diff).toBe(0);
    new DataView(noSform.buffer).setInt16(252, 0, true);
    const viaPixdim = readNiftiLabels(noSform, 'p.nii');
    expect(viaPixdim.grid.origin_mm).toEqual([0, 0, 0]);
    expect(viaPixdim.grid.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(viaPixdim.grid.spacing_mm).toEqual([0.9765625, 0.9765625, 2]);
  });

  it('round-trips every written datatype on an oblique grid, deterministically', () => {
    const grid = obliqueGrid();
    const n = 7 * 5 * 4;
    const f32 = new Float32Array(n).map((_, p) => Math.sin(p) * 1000.25);
    const i16 = new Int16Array(n).map((_, p) => (p * 977) % 4000 - 1024);
    const u8 = new Uint8Array(n).map((_, p) => (p * 31) % 256);
    const u16 = new Uint16Array(n).map((_, p) => (p * 7919) % 65536);
    const cases: [Float32Array | Int16Array | Uint8Array | Uint16Array, string][] = [[f32, 'float32'], [i16, 'int16'], [u8, 'uint8'], [u16, 'uint16']];
    for (const [data, name] of cases) {
      for (const gzip of [false, true]) {
        const img = (data instanceof Uint8Array || data instanceof Uint16Array ? { grid, data } : { grid, data }) as Parameters<typeof writeNifti>[0];
        const bytes = writeNifti(img, { gzip, description: 'round trip' });
        expect(writeNifti(img, { gzip, description: 'round trip' })).toEqual(bytes);
        expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
        if (data instanceof Uint8Array || data instanceof Uint16Array) {
          const l = readNiftiLabels(bytes, 'rt.nii');
          expectGridClose(l.grid, grid);
          expect(Array.from(l.data)).toEqual(Array.from(data));
        } else {
          const r = readNifti(bytes, 'rt.nii');
          expect(r.datatype).toBe(name);
          expect(r.description).toBe(`scan2print 0.1.0, units mm; round trip`);
          expectGridClose(r.volume.grid, grid);
          expect(r.volume.data).toEqual(data);
        }
      }
    }
    // qform alone (sform_code cleared) gives the same oblique grid
    const plain = writeNifti({ grid, data: f32 });
    new DataView(plain.buffer).setInt16(254, 0, true);
    expectGridClose(readNifti(plain, 'q.nii').volume.grid, grid);
    // a left-handed grid (LPS i = +x, j = −y, k = +z as in example_seg_dicom) needs qfac = −1
    const left: Grid = { dims: [7, 5, 4], spacing_mm: [0.9765625, 0.9765625, 2], origin_mm: [-249.5, 61.5, -804.5], direction: [1, 0, 0, 0, -1, 0, 0, 0, 1] };
    const lb = writeNifti({ grid: left, data: f32 });
    const ldv = new DataView(lb.buffer);
    expect(ldv.getFloat32(76, true)).toBe(-1);
    ldv.setInt16(254, 0, true);
    expectGridClose(readNifti(lb, 'left.nii').volume.grid, left);
    // units and codes in the header
    expect(plain[123]).toBe(2);
    expect(new DataView(plain.buffer).getInt16(252, true)).toBe(1);
  });

  it('reads big-endian float64 with scl_slope/scl_inter applied', () => {
    const n = 3 * 2 * 2;
    const buf = new Uint8Array(352 + 8 * n);
    const dv = new DataView(buf.buffer);
    dv.setInt32(0, 348, false);
    [3, 3, 2, 2, 1, 1, 1, 1].forEach((v, a) => dv.setInt16(40 + 2 * a, v, false));
    dv.setInt16(70, 64, false);
    dv.setInt16(72, 64, false);
    [1, 1.5, 2, 4, 1, 1, 1, 1].forEach((v, a) => dv.setFloat32(76 + 4 * a, v, false));
    dv.setFloat32(108, 352, false);
    dv.setFloat32(112, 2, false);
    dv.setFloat32(116, -1, false);
    dv.setInt16(254, 1, false);
    [1.5, 0, 0, 10, 0, 2, 0, 20, 0, 0, 4, 30].forEach((v, a) => dv.setFloat32(280 + 4 * a, v, false));
    buf.set([0x6e, 0x2b, 0x31, 0], 344);
    for (let p = 0; p < n; p++) dv.setFloat64(352 + 8 * p, p + 0.5, false);
    const r = readNifti(buf, 'be.nii');
    expect(r.datatype).toBe('float64');
    expect(r.volume.grid.spacing_mm).toEqual([1.5, 2, 4]);
    expect(r.volume.grid.origin_mm).toEqual([-10, -20, 30]);
    expect(Array.from(r.volume.data)).toEqual(Array.from({ length: n }, (_, p) => 2 * (p + 0.5) - 1));
  });

  it('refuses a sheared affine and a non-NIfTI file, naming the file', () => {
    const bytes = writeNifti({ grid: obliqueGrid(), data: new Float32Array(140) });
    new DataView(bytes.buffer).setFloat32(280 + 4, 0.3, true); // srow_x[1]: j gains an x component
    expect(() => readNifti(bytes, 'sheared.nii')).toThrowError(ScanError);
    expect(() => readNifti(bytes, 'sheared.nii')).toThrowError(/sheared\.nii.*shear/);
    expect(() => readNifti(new Uint8Array(400), 'zero.nii')).toThrowError(/zero\.nii: not a NIfTI-1 file/);
    const floats = writeNifti({ grid: obliqueGrid(), data: new Float32Array(140).fill(0.5) });
    expect(() => readNiftiLabels(floats, 'half.nii')).toThrowError(/half\.nii.*non-negative integers/);
  });
});

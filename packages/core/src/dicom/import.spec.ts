/**
 * The import stage on real scanner data (../shared/data).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'fflate';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import type { Vec3 } from '../geometry/grid.js';
import { indexToPhysical } from '../geometry/grid.js';
import { sampleTrilinear } from '../geometry/resample.js';
import { parseNiftiHeader, niftiAffineRAS, readNifti, writeNifti } from '../formats/nifti.js';
import { assessVolume } from '../assess/assess.js';
import type { StageResult } from '../pipeline/record.js';
import { importSeries, type DicomSource, type ImportOutput } from './import.js';
import { parseDicomHeader } from './parse.js';
import { decodeFrames } from './decode.js';
import { orientationAxes } from './geometry.js';

function dirSources(dir: string, log?: { reads: string[] }): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({
      name: join(dir, n),
      read: async () => {
        log?.reads.push(n);
        return new Uint8Array(readFileSync(join(dir, n)));
      },
    }));
}

const codes = (r: StageResult<unknown>) => (r.record.findings ?? []).map((f) => f.code);

function orthonormal(d: number[]): number {
  let worst = 0;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    const dot = d[a * 3]! * d[b * 3]! + d[a * 3 + 1]! * d[b * 3 + 1]! + d[a * 3 + 2]! * d[b * 3 + 2]!;
    worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
  }
  return worst;
}

/** Independent reference: interpolate the source slices at an LPS point (bilinear in each, linear between the bracketing two). */
async function sourceInterpolator(dir: string) {
  const slices: Array<{ P: Vec3; d: number; px: Float32Array }> = [];
  let iop: number[] = [], ps: number[] = [], R = 0, C = 0;
  for (const n of readdirSync(dir).sort()) {
    const bytes = new Uint8Array(readFileSync(join(dir, n)));
    const h = parseDicomHeader(bytes, n);
    if (!h?.imagePositionPatient) continue;
    iop = h.imageOrientationPatient!; ps = h.pixelSpacing!; R = h.rows!; C = h.columns!;
    slices.push({ P: h.imagePositionPatient, d: 0, px: (await decodeFrames(h, bytes))[0]! });
  }
  const { u, v, n } = orientationAxes(iop);
  for (const s of slices) s.d = s.P[0] * n[0] + s.P[1] * n[1] + s.P[2] * n[2];
  slices.sort((a, b) => a.d - b.d);
  const inSlice = (s: (typeof slices)[number], p: Vec3): number => {
    const q = [p[0] - s.P[0], p[1] - s.P[1], p[2] - s.P[2]];
    const c = (q[0]! * u[0] + q[1]! * u[1] + q[2]! * u[2]) / ps[1]!;
    const r = (q[0]! * v[0] + q[1]! * v[1] + q[2]! * v[2]) / ps[0]!;
    if (c < 0 || r < 0 || c > C - 1 || r > R - 1) return NaN;
    const c0 = Math.min(Math.floor(c), C - 2), r0 = Math.min(Math.floor(r), R - 2);
    const fc = c - c0, fr = r - r0, b = r0 * C + c0;
    const top = s.px[b]! + fc * (s.px[b + 1]! - s.px[b]!);
    const bot = s.px[b + C]! + fc * (s.px[b + C + 1]! - s.px[b + C]!);
    return top + fr * (bot - top);
  };
  return (p: Vec3): number => {
    const d = p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
    let s = 0;
    while (s + 2 < slices.length && slices[s + 1]!.d < d) s++;
    const A = slices[s]!, B = slices[s + 1]!;
    if (d < A.d - 1e-6 || d > B.d + 1e-6) return NaN;
    const w = (d - A.d) / (B.d - A.d);
    return inSlice(A, p) * (1 - w) + inSlice(B, p) * w;
  };
}

/** Deterministic pseudo-random numbers (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('ct/ge-head-tilt-variable-spacing (gantry tilt + uneven steps)', () => {
  let r: StageResult<ImportOutput>;
  beforeAll(async () => {
    r = await importSeries(dirSources(dataPath('ct/ge-head-tilt-variable-spacing')));
  });

  it('measures tilt and steps from positions and corrects them on an orthogonal grid', () => {
    const o = r.output;
    expect(o.tiltDegrees).toBeGreaterThan(18.2);
    expect(o.tiltDegrees).toBeLessThan(18.8);
    expect(o.sliceSteps.min).toBeCloseTo(1.08, 2);
    expect(o.sliceSteps.max).toBeCloseTo(7.0, 2);
    expect(orthonormal(o.volume.grid.direction)).toBeLessThan(1e-9);
    expect(o.resampled).toBe(true);
    expect(codes(r)).toEqual(expect.arrayContaining(['TILT_CORRECTED', 'UNEVEN_SPACING', 'THICK_SLICES']));
    // 4 mm median step: the finding says what that does to thin bone (orbit walls, sinuses)
    expect(r.record.findings!.find((f) => f.code === 'THICK_SLICES')!.message).toMatch(/slice step 4\.00 mm .*bone thinner than the slice step/);
    expect(r.record.corrections!.length).toBeGreaterThanOrEqual(2);
    // output step: the smallest acquired step, shortened to end exactly on the last slice
    const g = o.volume.grid;
    expect(g.spacing_mm[2]).toBeLessThanOrEqual(o.sliceSteps.min);
    expect(g.spacing_mm[2]).toBeGreaterThan(0.95 * o.sliceSteps.min);
    const extent = o.geometry.slices.at(-1)!.d_mm - o.geometry.slices[0]!.d_mm;
    expect((g.dims[2] - 1) * g.spacing_mm[2]).toBeCloseTo(extent, 6);
  });

  it('resampled values equal the source slices interpolated at the same physical points', async () => {
    const ref = await sourceInterpolator(dataPath('ct/ge-head-tilt-variable-spacing'));
    const vol = r.output.volume;
    const [nx, ny, nz] = vol.grid.dims;
    const rnd = lcg(7);
    const p: Vec3 = [0, 0, 0];
    // (a) at output voxel centres the output IS the source interpolation
    let n = 0, worst = 0;
    while (n < 3000) {
      const i = Math.floor(rnd() * nx), j = Math.floor(rnd() * ny), k = Math.floor(rnd() * nz);
      indexToPhysical(vol.grid, i, j, k, p);
      const want = ref(p);
      if (Number.isNaN(want)) continue;
      worst = Math.max(worst, Math.abs(vol.data[i + j * nx + k * nx * ny]! - want));
      n++;
    }
    expect(worst).toBeLessThan(0.05);
    // (b) anywhere inside, trilinear sampling of the output stays within interpolation error
    const diffs: number[] = [];
    while (diffs.length < 3000) {
      indexToPhysical(vol.grid, rnd() * (nx - 1), rnd() * (ny - 1), rnd() * (nz - 1), p);
      const want = ref(p);
      if (Number.isNaN(want)) continue;
      diffs.push(Math.abs(sampleTrilinear(vol, p[0], p[1], p[2]) - want));
    }
    diffs.sort((a, b) => a - b);
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    console.log(`GE tilt: output vs source interpolation at random points: mean ${mean.toFixed(2)} HU, median ${diffs[1500]!.toFixed(2)}, p95 ${diffs[2850]!.toFixed(1)}`);
    expect(diffs[1500]!).toBeLessThan(1);
    expect(mean).toBeLessThan(5);
  });
});

describe('ct/philips-head-phantom-tilt', () => {
  it('has the same shear as the GE series (tilt from positions, not the vendor-signed tag)', async () => {
    const r = await importSeries(dirSources(dataPath('ct/philips-head-phantom-tilt')));
    // Same IOP and the same position shear as the GE series → the same signed angle.
    // The GantryDetectorTilt tags are +18.5 (GE) and −18.5 (Philips): vendor conventions.
    expect(r.output.tiltDegrees).toBeGreaterThan(18.2);
    expect(r.output.tiltDegrees).toBeLessThan(18.8);
    expect(r.record.figures.gantryDetectorTiltTag_deg).toBe(-18.5);
    expect(r.record.notes!.join(' ')).toMatch(/vendors differ/);
    expect(r.output.volume.grid.dims).toEqual([512, 600, 54]);
    expect(r.output.sliceSteps.median).toBeCloseTo(2.371, 3);
    expect(codes(r)).toContain('TILT_CORRECTED');
    expect(codes(r)).not.toContain('UNEVEN_SPACING');
    // the DICOMDIR is listed, not stacked
    expect(r.output.series.map((s) => s.kind)).toEqual(['image', 'dicomdir']);
  });
});

describe('labelled/totalsegmentator/example_ct_dicom (JPEG 2000, 3 mm slices 2 mm apart)', () => {
  it('steps 2.0 mm and exports the reference tool\'s affine (allowing for its axis order)', async () => {
    const r = await importSeries(dirSources(dataPath('labelled/totalsegmentator/example_ct_dicom')));
    expect(r.output.sliceSteps.median).toBeCloseTo(2.0, 6);
    expect(r.output.volume.grid.spacing_mm[2]).toBeCloseTo(2.0, 6);
    expect(r.output.volume.grid.dims).toEqual([512, 512, 20]);
    const bytes = writeNifti(r.output.volume, { gzip: true });
    const ours = niftiAffineRAS(parseNiftiHeader(gunzip(bytes), 'ours')).affine;
    const back = readNifti(bytes, 'ours.nii.gz').volume;
    expect(back.grid.dims).toEqual([512, 512, 20]);
    for (let q = 0; q < 3; q++) expect(back.grid.origin_mm[q]).toBeCloseTo(r.output.volume.grid.origin_mm[q]!, 3);
    const refFile = dataPath('labelled/totalsegmentator/example_seg_dicom.nii.gz');
    const ref = niftiAffineRAS(parseNiftiHeader(gunzip(new Uint8Array(readFileSync(refFile))), refFile)).affine;
    // DICOM (r, c, k) ↔ reference NIfTI (i = c, j = 511 − r, k): our j runs the other way.
    const expected = ref.slice();
    for (let row = 0; row < 3; row++) {
      expected[row * 4 + 1] = -ref[row * 4 + 1]!;
      expected[row * 4 + 3] = ref[row * 4 + 3]! + 511 * ref[row * 4 + 1]!;
    }
    for (let q = 0; q < 12; q++) expect(Math.abs(ours[q]! - expected[q]!)).toBeLessThan(0.01);
  });
});

function gunzip(b: Uint8Array): Uint8Array {
  return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}

describe('hardcases/slicer-ctheadaxial-64 (values not in HU)', () => {
  it('gets NOT_HU', async () => {
    const r = await importSeries(dirSources(dataPath('hardcases/slicer-ctheadaxial-64')));
    const a = assessVolume({ volume: r.output.volume, modality: r.output.chosen.modality });
    expect(codes(a)).toContain('NOT_HU');
    expect(a.record.findings!.find((f) => f.code === 'NOT_HU')!.severity).toBe('error');
  });
});

describe('ct/philips-head-phantom-1mm (the clean full-size series)', () => {
  it('imports 512×512×140 with no error findings, streaming file by file', async () => {
    const log = { reads: [] as string[] };
    const sources = dirSources(dataPath('ct/philips-head-phantom-1mm'), log);
    const r = await importSeries(sources);
    const o = r.output;
    expect(o.volume.grid.dims).toEqual([512, 512, 140]);
    expect(o.sliceSteps.median).toBeCloseTo(1.0, 6);
    expect(o.resampled).toBe(false);
    const a = assessVolume({ volume: o.volume, modality: o.chosen.modality });
    const all = [...(r.record.findings ?? []), ...(a.record.findings ?? [])];
    expect(all.filter((f) => f.severity === 'error')).toEqual([]);
    expect(all.map((f) => f.code)).not.toContain('THICK_SLICES');
    expect(a.output.huRange[0]).toBeLessThanOrEqual(-1000);
    // pass 2 decodes the bytes pass 1 kept (72 MB, under the default keepBytes): every file read once
    expect(log.reads.length).toBe(sources.length);
    // keeping nothing, it streams: every file read once for its header and once for its pixels
    const streamed = { reads: [] as string[] };
    const again = await importSeries(dirSources(dataPath('ct/philips-head-phantom-1mm'), streamed), { keepBytes: 0 });
    expect(streamed.reads.length).toBe(2 * sources.length - 1); // the DICOMDIR is not read again
    let differ = again.output.volume.data.length === o.volume.data.length ? 0 : 1;
    for (let p = 0; p < o.volume.data.length; p++) if (again.output.volume.data[p] !== o.volume.data[p]) differ++;
    expect(differ).toBe(0);
    // the kept headers hold no pixel data: typed-array memory they reference is tiny
    const buffers = new Set<ArrayBufferLike>();
    const walk = (x: unknown, depth: number) => {
      if (!x || typeof x !== 'object' || depth > 6) return;
      if (ArrayBuffer.isView(x)) { buffers.add(x.buffer); return; }
      for (const v of Object.values(x)) walk(v, depth + 1);
    };
    walk(o.instances, 0);
    const retained = [...buffers].reduce((s, b) => s + b.byteLength, 0);
    expect(retained).toBeLessThan(1 << 20);
  });
});

describe('hardcases/pydicom/eCT_Supplemental.dcm (Enhanced CT, rescale only in functional groups)', () => {
  it('stacks its frames by their per-frame positions, in HU', async () => {
    const file = dataPath('hardcases/pydicom/eCT_Supplemental.dcm');
    const r = await importSeries([{ name: file, read: async () => new Uint8Array(readFileSync(file)) }]);
    const o = r.output;
    expect(o.geometry.slices.map((s) => s.frame).sort()).toEqual([0, 1]);
    expect(o.volume.grid.dims[2]).toBe(2);
    expect(o.sliceSteps.median).toBeCloseTo(10, 3);
    const a = assessVolume({ volume: o.volume, modality: o.chosen.modality });
    expect(a.output.huRange[0]).toBeLessThanOrEqual(-1000);
    expect(a.record.findings!.map((f) => f.code)).not.toContain('NOT_HU');
  });
});

describe('hardcases/wg04-ct (one CT slice in six encodings, two of them lossy)', () => {
  const wg04 = (...names: string[]): DicomSource[] =>
    names.map((n) => {
      const p = join(dataPath('hardcases/wg04-ct'), n);
      return { name: p, read: async () => new Uint8Array(readFileSync(p)) };
    });
  const codes = (r: StageResult<ImportOutput>) => (r.record.findings ?? []).map((f) => f.code);

  it('a lossy-compressed slice is imported with LOSSY_COMPRESSION naming the codec and the file; a lossless one without', async () => {
    const lossy = await importSeries(wg04('CT1_J2KI'));
    const f = lossy.record.findings!.find((x) => x.code === 'LOSSY_COMPRESSION')!;
    expect(f.severity).toBe('warn');
    expect(f.message).toContain('1 of 1 slice(s) were lossy-compressed (JPEG 2000 (1.2.840.10008.1.2.4.91))');
    expect(f.files).toEqual([join(dataPath('hardcases/wg04-ct'), 'CT1_J2KI')]);
    for (const n of ['CT1_J2KR', 'CT1_JPLL', 'CT1_UNC']) expect(codes(await importSeries(wg04(n))), n).not.toContain('LOSSY_COMPRESSION');
  });

  it('of copies of one slice, a lossless one is kept whatever the file order: the uncompressed values, no LOSSY_COMPRESSION', async () => {
    const plain = (await importSeries(wg04('CT1_UNC'))).output.volume.data;
    // The lossy copies first: the old rule (first by file order) kept one of them.
    const r = await importSeries(wg04('CT1_J2KI', 'CT1_JLSN', 'CT1_UNC', 'CT1_JPLL'));
    expect(codes(r)).toContain('DUPLICATE_SLICES');
    expect(codes(r)).not.toContain('LOSSY_COMPRESSION');
    const dropped = r.record.findings!.find((x) => x.code === 'DUPLICATE_SLICES')!.files!.map((p) => p.split('/').pop());
    expect(dropped).toEqual(expect.arrayContaining(['CT1_J2KI', 'CT1_JLSN']));
    const v = r.output.volume.data;
    let differ = 0;
    for (let k = 0; k < plain.length; k++) if (v[k] !== plain[k]) differ++;
    expect(differ).toBe(0);
    // Only lossy copies: one is kept, and the finding says so.
    expect(codes(await importSeries(wg04('CT1_JLSN', 'CT1_J2KI')))).toEqual(expect.arrayContaining(['DUPLICATE_SLICES', 'LOSSY_COMPRESSION']));
  });
});

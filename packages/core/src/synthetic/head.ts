/**
 * A small synthetic head-like CT series for `scan2print demo`: air, a scalp of soft
 * tissue over a fat layer, a skull shell (cortical tables around a diploë), brain, and a
 * curved head holder (≈ 350 HU, above the usual 226 HU bone threshold, like the real
 * holders in ../shared/data/ct) behind the occiput. Partial-volume values by 2×2×2
 * supersampling and seeded Gaussian noise, so the pipeline sees what a scanner gives it.
 * Coordinates: LPS millimetres, head centre at the origin, patient supine (holder at +y).
 */
import { gaussian, mulberry32 } from './random.js';
import type { CtSeriesOptions, CtSlice } from '../formats/dicom-ct-write.js';

export interface SyntheticHeadOptions {
  /** In-plane size (square) and slice count. */
  size?: number;
  slices?: number;
  spacing_mm?: number;
  sliceStep_mm?: number;
  noise_hu?: number;
  seed?: number;
}

const inEllipsoid = (x: number, y: number, z: number, a: number, b: number, c: number) => (x / a) ** 2 + (y / b) ** 2 + (z / c) ** 2 < 1;

/** HU at a point of the synthetic head (no noise). */
export function syntheticHeadHu(x: number, y: number, z: number): number {
  // head holder: a cylindrical shell about the z axis, posterior half, 4 mm thick
  const r = Math.hypot(x, y);
  if (y > 30 && r > 101 && r < 105 && z > -70 && z < 40) return 350;
  if (!inEllipsoid(x, y, z, 78, 95, 88)) return -1000; // air
  if (!inEllipsoid(x, y, z, 75, 92, 85)) return 30; // scalp
  if (!inEllipsoid(x, y, z, 73, 90, 83)) return -90; // fat
  if (!inEllipsoid(x, y, z, 71, 88, 81)) return 1400; // outer table
  if (!inEllipsoid(x, y, z, 68, 85, 78)) return 500; // diploë
  if (!inEllipsoid(x, y, z, 66, 83, 76)) return 1400; // inner table
  return 35; // brain
}

export function syntheticHeadSeries(o: SyntheticHeadOptions = {}): { slices: CtSlice[]; options: CtSeriesOptions } {
  const n = o.size ?? 144;
  const nz = o.slices ?? 110;
  const px = o.spacing_mm ?? 1.5;
  const step = o.sliceStep_mm ?? 1.5;
  const noise = gaussian(mulberry32(o.seed ?? 20261123));
  const sigma = o.noise_hu ?? 40;
  const x0 = -((n - 1) / 2) * px;
  const y0 = -((n - 1) / 2) * px + 12; // a little posterior room for the holder
  const z0 = -70;
  const slices: CtSlice[] = [];
  const sub = [-0.25, 0.25];
  for (let k = 0; k < nz; k++) {
    const z = z0 + k * step;
    const hu = new Float32Array(n * n);
    for (let r = 0; r < n; r++) {
      const y = y0 + r * px;
      for (let c = 0; c < n; c++) {
        const x = x0 + c * px;
        let s = 0;
        for (const dz of sub) for (const dy of sub) for (const dx of sub) s += syntheticHeadHu(x + dx * px, y + dy * px, z + dz * step);
        hu[r * n + c] = s / 8 + sigma * noise();
      }
    }
    slices.push({ hu, imagePositionPatient: [x0, y0, z] });
  }
  return {
    slices,
    options: {
      rows: n,
      columns: n,
      pixelSpacing: [px, px],
      imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      sliceThickness: step,
      uidRoot: '2.25.302015093498106716563612400858330297',
      studyDate: '20260101',
      seriesDescription: 'scan2print synthetic head (demo)',
      patientName: 'DEMO^HEAD',
      patientId: 'DEMO-0001',
    },
  };
}

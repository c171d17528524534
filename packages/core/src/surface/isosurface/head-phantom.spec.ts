import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../../test/data.js';
import { createNodePool } from '../../../../cli/src/pool/node-pool.js';
import { importSeries, type DicomSource } from '../../dicom/import.js';
import { indexToPhysical, type Vec3 } from '../../geometry/grid.js';
import type { LabelMap, Mesh, Volume } from '../../geometry/types.js';
import type { WorkerPool } from '../../parallel/pool.js';
import type { StageRecord } from '../../pipeline/record.js';
import { measureSurfaceAccuracy } from '../accuracy.js';
import { extractSurface } from './extract.js';
import { checkClosedManifold } from './manifold-check.js';

// The real benchmark volume: plastic head phantom, 512×512×140, bone at 226 HU.
const LEVEL = 226;
let volume: Volume;
let labels: LabelMap;
let mesh: Mesh;
let record: StageRecord;
let pool: WorkerPool;

function dirSources(dir: string): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
}

beforeAll(async () => {
  volume = (await importSeries(dirSources(dataPath('ct/philips-head-phantom-1mm')))).output.volume;
  const data = new Uint8Array(volume.data.length);
  for (let v = 0; v < data.length; v++) data[v] = volume.data[v]! >= LEVEL ? 1 : 0;
  labels = { grid: volume.grid, data };
  ({ output: mesh, record } = await extractSurface(labels, { field: volume, level: LEVEL }));
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
});

afterAll(async () => {
  await pool?.close();
});

describe('isosurface of ct/philips-head-phantom-1mm at 226 HU', () => {
  it('is a closed, outward-oriented 2-manifold, closed where the skull leaves the scan', () => {
    expect(volume.grid.dims).toEqual([512, 512, 140]);
    const c = checkClosedManifold(mesh);
    expect({ open: c.openEdges, nm: c.nonManifoldEdges, mis: c.misorientedEdges, nmv: c.nonManifoldVertices, bad: c.badTriangles }).toEqual({ open: 0, nm: 0, mis: 0, nmv: 0, bad: 0 });
    expect(c.triangles).toBeGreaterThan(1_000_000);
    expect(record.figures.border_voxels).toBeGreaterThan(0);
    expect(record.findings?.map((f) => f.code)).toContain('SURFACE_CLOSED_AT_BORDER');
    // The mask is the field's threshold, so every vertex inside the scan comes from the field.
    expect((record.figures.vertices_from_field as number) + (record.figures.vertices_at_scan_border as number)).toBe(record.figures.vertices);
    console.log('head phantom isosurface:', JSON.stringify(record.figures), `${record.wall_ms} ms`);
  });

  it('is 1:1 in patient mm: its bounding box is the segmented voxels’ physical box within one voxel', () => {
    const [nx, ny, nz] = labels.grid.dims;
    const lo: Vec3 = [Infinity, Infinity, Infinity];
    const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
    const p: Vec3 = [0, 0, 0];
    for (let k = 0, v = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++, v++) {
          if (!labels.data[v]) continue;
          indexToPhysical(labels.grid, i, j, k, p);
          for (let a = 0; a < 3; a++) {
            if (p[a]! < lo[a]!) lo[a] = p[a]!;
            if (p[a]! > hi[a]!) hi[a] = p[a]!;
          }
        }
    const mlo: Vec3 = [Infinity, Infinity, Infinity];
    const mhi: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (let v = 0; v < mesh.positions.length; v += 3)
      for (let a = 0; a < 3; a++) {
        mlo[a] = Math.min(mlo[a]!, mesh.positions[v + a]!);
        mhi[a] = Math.max(mhi[a]!, mesh.positions[v + a]!);
      }
    const sp = labels.grid.spacing_mm;
    for (let a = 0; a < 3; a++) {
      expect(Math.abs(mlo[a]! - lo[a]!)).toBeLessThanOrEqual(sp[a]!);
      expect(Math.abs(mhi[a]! - hi[a]!)).toBeLessThanOrEqual(sp[a]!);
    }
  });

  it('is byte-identical on a 2-worker pool (slabs welded at the seams)', async () => {
    const par = await extractSurface(labels, { field: volume, level: LEVEL }, { pool });
    expect(par.record.figures.workers).toBe(2);
    expect(par.record.params.slabs).toBe(2);
    expect(Buffer.from(par.output.positions.buffer, par.output.positions.byteOffset, par.output.positions.byteLength).equals(Buffer.from(mesh.positions.buffer, mesh.positions.byteOffset, mesh.positions.byteLength))).toBe(true);
    expect(Buffer.from(par.output.indices.buffer, par.output.indices.byteOffset, par.output.indices.byteLength).equals(Buffer.from(mesh.indices.buffer, mesh.indices.byteOffset, mesh.indices.byteLength))).toBe(true);
    expect(par.record.figures).toEqual({ ...record.figures, workers: 2 });
  });

  it('lies on the segmentation boundary: distance to the 226 HU trilinear iso-surface', () => {
    const acc = measureSurfaceAccuracy(mesh, { labels, field: volume, level: LEVEL }, { maxSamples: 150_000 });
    console.log('head phantom raw-surface accuracy:', JSON.stringify({ ...acc, method: undefined }));
    expect(acc.samples).toBeGreaterThan(100_000);
    expect(acc.samples_from_field).toBeGreaterThan(0.9 * acc.samples);
    expect(acc.mean_mm).toBeLessThan(0.05);
    expect(acc.p95_mm).toBeLessThan(0.2);
  });
});

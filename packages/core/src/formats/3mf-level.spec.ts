/**
 * The 3MF's deflate level (THREEMF_DEFLATE_LEVEL, chosen for CPU) on a real surface: the bone
 * of example_ct.nii.gz at 226 HU. The file must read back to exactly the same triangles, be
 * the same bytes with and without a pool, and stay close in size to the slower level 2.
 */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { getTask } from '../parallel/registry.js';
import type { WorkerPool } from '../parallel/pool.js';
import '../parallel/all-tasks.js';
import type { Mesh, Volume } from '../geometry/types.js';
import { thresholdVolume } from '../segment/threshold.js';
import { extractSurfaceMesh } from '../surface/isosurface/index.js';
import { readNifti } from './nifti.js';
import { read3mf, THREEMF_CHUNK_BYTES, THREEMF_DEFLATE_LEVEL, write3mf, write3mfAsync } from './3mf.js';
import { deflateChunk } from './zip-write.js';

const twoWorkerPool: WorkerPool = {
  size: 2,
  async run<R>(task: string, payload: unknown): Promise<R> {
    return (await getTask(task)(payload)) as R;
  },
  async close() {},
};

/** Every triangle as its three corner positions, sorted: the mesh whatever the vertex order. */
function triangleKeys(m: Mesh): string[] {
  const out: string[] = [];
  for (let t = 0; t < m.indices.length / 3; t++) {
    out.push([0, 1, 2].map((c) => Array.from(m.positions.subarray(3 * m.indices[3 * t + c]!, 3 * m.indices[3 * t + c]! + 3)).join(',')).join(';'));
  }
  return out.sort();
}

/** The raw DEFLATE data of a zip entry (local header: sizes at 18, name length at 26, extra at 28). */
function entryData(zip: Uint8Array, name: string): { method: number; data: Uint8Array } {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let o = 0;
  while (dv.getUint32(o, true) === 0x04034b50) {
    const csize = dv.getUint32(o + 18, true);
    const n = dv.getUint16(o + 26, true);
    const x = dv.getUint16(o + 28, true);
    const start = o + 30 + n + x;
    if (new TextDecoder().decode(zip.subarray(o + 30, o + 30 + n)) === name) return { method: dv.getUint16(o + 8, true), data: zip.subarray(start, start + csize) };
    o = start + csize;
  }
  throw new Error(`no entry ${name}`);
}

describe('3MF at the chosen deflate level, on a real surface', () => {
  it('reads back to the same triangles, the same bytes with or without a pool, and near level 2 in size', async () => {
    expect(THREEMF_DEFLATE_LEVEL).toBe(1);
    const ct = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
    // 24 of its 112 slices (lumbar spine, pelvis): a real surface of ~30 k triangles, quick to check
    const [nx, ny] = ct.grid.dims;
    const volume: Volume = { grid: { ...ct.grid, dims: [nx, ny, 24] }, data: ct.data.subarray(40 * nx * ny, 64 * nx * ny) };
    const mesh = extractSurfaceMesh(thresholdVolume(volume, 226, 3071));
    expect(mesh.indices.length / 3).toBeGreaterThan(20_000);
    const opts = { title: 'example_ct bone', creationDate: '2026-11-30', split: 'none' as const };
    const bytes = write3mf(mesh, opts);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(await write3mfAsync(mesh, opts, twoWorkerPool)))).toBe(0);
    expect(triangleKeys(read3mf(bytes, 'bone.3mf'))).toEqual(triangleKeys(mesh));

    // zlib, not only fflate, inflates the chunked stream to the XML
    const xml = unzipSync(bytes)['3D/3dmodel.model']!;
    const model = entryData(bytes, '3D/3dmodel.model');
    expect(model.method).toBe(8);
    expect(Buffer.compare(inflateRawSync(model.data), Buffer.from(xml))).toBe(0);
    expect(xml.length).toBeGreaterThan(1.5 * THREEMF_CHUNK_BYTES);
    let level2 = 0;
    for (let o = 0; o < xml.length; o += THREEMF_CHUNK_BYTES) level2 += deflateChunk(xml.subarray(o, o + THREEMF_CHUNK_BYTES), 2, o + THREEMF_CHUNK_BYTES >= xml.length).data.length;
    expect(model.data.length / xml.length).toBeLessThan(0.3);
    expect(model.data.length / level2).toBeLessThan(1.06);
  });
});

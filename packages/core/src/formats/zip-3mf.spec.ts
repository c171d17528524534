/**
 * The streamed 3MF: chunked DEFLATE that zlib inflates, CRCs that match, the same bytes with
 * and without a worker pool, and coordinates that read back bit-exact.
 */
import { unzipSync } from 'fflate';
import { crc32 as zlibCrc32, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { getTask } from '../parallel/registry.js';
import type { WorkerPool } from '../parallel/pool.js';
import '../parallel/all-tasks.js';
import { mulberry32 } from '../synthetic/random.js';
import { compactMesh, concatMeshes } from '../surface/mesh-utils.js';
import { box, icosphere, translate } from '../testing/meshes.js';
import { read3mf, read3mfContent, write3mf, write3mfAsync } from './3mf.js';
import { formatFloat32Fast } from './ascii-bytes.js';
import { crc32, crc32Combine, deflateChunk } from './zip-write.js';

/** Runs tasks inline but reports two workers, so write3mfAsync takes its pool path. */
const twoWorkerPool: WorkerPool = {
  size: 2,
  async run<R>(task: string, payload: unknown): Promise<R> {
    return (await getTask(task)(payload)) as R;
  },
  async close() {},
};

function xmlLike(n: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  let s = '';
  while (s.length < n) s += `<triangle v1="${Math.floor(rand() * 1e6)}" v2="${Math.floor(rand() * 1e6)}" v3="${Math.floor(rand() * 1e3)}"/>\n`;
  return new TextEncoder().encode(s.slice(0, n));
}

describe('chunked DEFLATE and ZIP', () => {
  it('independently deflated chunks concatenate to one stream zlib inflates, for many sizes and levels', () => {
    // fflate's own sync flush fails for about one size in five; these sizes include such cases.
    for (let size = 0, i = 0; size < 400_000; size = Math.floor(size * 1.6) + 37, i++) {
      const a = xmlLike(size, i);
      const b = xmlLike(size + 101, i + 1000);
      const c = xmlLike(999, i + 2000);
      const parts = [deflateChunk(a, 1 + (i % 6), false), deflateChunk(b, 3, false), deflateChunk(c, 3, true)];
      const back = inflateRawSync(Buffer.concat(parts.map((p) => p.data)));
      expect(Buffer.compare(back, Buffer.concat([a, b, c]))).toBe(0);
      expect(parts[0]!.crc).toBe(zlibCrc32(a));
    }
  });

  it('crc32 and crc32Combine agree with zlib', () => {
    const a = xmlLike(100_003, 1);
    const b = xmlLike(77_777, 2);
    expect(crc32(a)).toBe(zlibCrc32(a));
    expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(zlibCrc32(Buffer.concat([a, b])));
    expect(crc32Combine(crc32(a), crc32(new Uint8Array(0)), 0)).toBe(crc32(a));
    // Lengths with every low bit pattern, and a 1 MiB-scale chunk's.
    for (const n of [1, 2, 3, 7, 255, 256, 4097, 65_535, 1_048_573]) {
      const c = xmlLike(n, n);
      expect(crc32Combine(crc32(a), crc32(c), n)).toBe(zlibCrc32(Buffer.concat([a, c])));
    }
  });
});

describe('3MF written in chunks', () => {
  it('is a valid zip that reads back bit-exact, with the same bytes with or without a pool', async () => {
    const m = compactMesh(concatMeshes([translate(icosphere(12.345678, 5), [-101.3, 37.77, 700.25]), box([30, 0, 0], [31, 1, 1])]));
    const opts = { title: 'skull & co', creationDate: '2026-01-01' };
    const sync = write3mf(m, opts);
    const viaPool = await write3mfAsync(m, opts, twoWorkerPool);
    expect(Buffer.compare(Buffer.from(sync), Buffer.from(viaPool))).toBe(0);
    expect(Buffer.compare(Buffer.from(sync), Buffer.from(write3mf(m, opts)))).toBe(0);
    const files = unzipSync(sync); // fflate checks nothing, so also decode the entry with zlib below
    expect(Object.keys(files)).toEqual(['[Content_Types].xml', '_rels/.rels', '3D/3dmodel.model']);
    const content = read3mfContent(sync, 'a.3mf');
    expect(content.metadata.Title).toBe('skull & co');
    expect(content.objects.length).toBe(2);
    const back = read3mf(sync, 'a.3mf');
    // Parts are written shell by shell, vertices in order of first use: compare as sets of triangles.
    const key = (mesh: typeof m, t: number) =>
      [0, 1, 2].map((c) => Array.from(mesh.positions.subarray(3 * mesh.indices[3 * t + c]!, 3 * mesh.indices[3 * t + c]! + 3)).join(',')).join(';');
    const want = new Set(Array.from({ length: m.indices.length / 3 }, (_, t) => key(m, t)));
    for (let t = 0; t < back.indices.length / 3; t++) expect(want.has(key(back, t))).toBe(true);
    expect(back.indices.length).toBe(m.indices.length);
  });

  it('formats float32 coordinates so they read back exactly', () => {
    const rand = mulberry32(9);
    const xs = new Float32Array(20_000);
    for (let i = 0; i < xs.length; i++) xs[i] = (rand() - 0.5) * 10 ** Math.floor(rand() * 14 - 6);
    xs.set([0, -0, 1, -1, 0.1, 700.25, 1e-4, 9.999e8, 3.4e38, 1e-30, 2 ** 24, 2 ** -20], 0);
    for (const x of xs) {
      const s = formatFloat32Fast(x);
      expect(Object.is(Math.fround(Number(s)), x)).toBe(true);
      expect(s).toMatch(/^-?\d+(\.\d+)?(e[-+]\d+)?$/);
    }
    expect(formatFloat32Fast(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32Fast(Math.fround(694.3823))).toBe('694.3823');
    expect(formatFloat32Fast(-0)).toBe('-0');
  });
});

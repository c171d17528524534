/**
 * The CLI's native 3MF deflate (nodeDeflater, core's RawDeflater) on a real surface: the bone of
 * example_ct.nii.gz at 226 HU. Its 3MF must hold byte for byte the parts of core's fflate file,
 * with CRCs that verify, be the same bytes on every run, and its chunked stream (sync-flushed
 * chunks, then a final one) must inflate with zlib and with fflate.
 */
import { readFileSync } from 'node:fs';
import { crc32 as zlibCrc32, inflateRawSync } from 'node:zlib';
import { inflateSync, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { extractSurfaceMesh, readNifti, THREEMF_CHUNK_BYTES, THREEMF_HOST_DEFLATE_IN_FLIGHT, THREEMF_HOST_DEFLATE_LEVEL, THREEMF_HOST_DEFLATE_WINDOW_BITS, thresholdVolume, threeMfDeflateMethod, write3mf, write3mfAsync, type Mesh, type RawDeflater } from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
import { nodeDeflater } from './native-deflate.js';

const MODEL = '3D/3dmodel.model';

/** Each entry of a zip as its central directory and local header say: CRC, method and the stored data. */
function zipEntries(zip: Uint8Array): Map<string, { crc: number; localCrc: number; method: number; data: Uint8Array }> {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  expect(dv.getUint32(eocd, true)).toBe(0x06054b50);
  const out = new Map<string, { crc: number; localCrc: number; method: number; data: Uint8Array }>();
  let o = dv.getUint32(eocd + 16, true);
  for (let i = 0; i < dv.getUint16(eocd + 10, true); i++) {
    expect(dv.getUint32(o, true)).toBe(0x02014b50);
    const n = dv.getUint16(o + 28, true);
    const name = new TextDecoder().decode(zip.subarray(o + 46, o + 46 + n));
    const local = dv.getUint32(o + 42, true);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    out.set(name, {
      crc: dv.getUint32(o + 16, true),
      localCrc: dv.getUint32(local + 14, true),
      method: dv.getUint16(o + 10, true),
      data: zip.subarray(start, start + dv.getUint32(o + 20, true)),
    });
    o += 46 + n + dv.getUint16(o + 30, true) + dv.getUint16(o + 32, true);
  }
  return out;
}

describe('native (node:zlib) 3MF deflate on a real surface', () => {
  const ct = readNifti(new Uint8Array(readFileSync(dataPath('labelled/totalsegmentator/example_ct.nii.gz'))), 'example_ct.nii.gz').volume;
  const mesh: Mesh = extractSurfaceMesh(thresholdVolume(ct, 226, 3071));
  const opts = { title: 'example_ct bone', creationDate: '2026-12-01', split: 'none' as const };

  it('holds the same parts as the fflate file, with CRCs that verify, and is the same bytes on every run', async () => {
    const fflateFile = write3mf(mesh, opts);
    const a = await write3mfAsync(mesh, opts, undefined, nodeDeflater);
    const b = await write3mfAsync(mesh, opts, undefined, nodeDeflater);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // Other compressed bytes than fflate's (zlib, THREEMF_HOST_DEFLATE_LEVEL), the same content.
    expect(Buffer.from(a).equals(Buffer.from(fflateFile))).toBe(false);
    const want = unzipSync(fflateFile);
    const got = unzipSync(a);
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const name of Object.keys(want)) expect(Buffer.from(got[name]!).equals(Buffer.from(want[name]!)), name).toBe(true);
    const xml = got[MODEL]!;
    expect(xml.length).toBeGreaterThan(2 * THREEMF_CHUNK_BYTES); // a stream of three chunks or more
    for (const [name, e] of zipEntries(a)) {
      expect(e.method, name).toBe(8);
      expect(e.crc, name).toBe(zlibCrc32(got[name]!));
      expect(e.localCrc, name).toBe(e.crc);
      // zlib too inflates each entry (the model: sync-flushed chunks, then a final one).
      expect(Buffer.from(inflateRawSync(e.data)).equals(Buffer.from(got[name]!)), name).toBe(true);
    }
    // Level 4 of zlib is chosen to give a smaller file than fflate's level 1.
    expect(zipEntries(a).get(MODEL)!.data.length).toBeLessThan(zipEntries(fflateFile).get(MODEL)!.data.length);
    expect(threeMfDeflateMethod(nodeDeflater)).toBe(`node:zlib ${process.versions.zlib} level ${THREEMF_HOST_DEFLATE_LEVEL} window 512 B`);
  });

  it('the small window gives a smaller model part than zlib\'s full 32 KiB window at the same level, the same content', async () => {
    // The same deflater with the window argument dropped: zlib's default (2^15).
    const fullWindow: RawDeflater = { library: nodeDeflater.library, deflate: (bytes, o) => nodeDeflater.deflate(bytes, { level: o.level, last: o.last }) };
    const small = zipEntries(await write3mfAsync(mesh, opts, undefined, nodeDeflater)).get(MODEL)!.data;
    const full = zipEntries(await write3mfAsync(mesh, opts, undefined, fullWindow)).get(MODEL)!.data;
    expect(THREEMF_HOST_DEFLATE_WINDOW_BITS).toBe(9);
    // measured 18.73 against 21.47 MB on a skull's model XML; here on example_ct's bone
    expect(small.length).toBeLessThan(0.96 * full.length); // 0.929 with zlib 1.3.0.1-motley
    expect(Buffer.from(inflateRawSync(small)).equals(Buffer.from(inflateRawSync(full)))).toBe(true);
  });

  it('keeps THREEMF_HOST_DEFLATE_IN_FLIGHT chunks in zlib at once, and packages them in order when they finish out of order', async () => {
    let now = 0;
    let most = 0;
    let calls = 0;
    // zlib itself, with each answer held back a little: the fourth chunk of each five a long time,
    // so later chunks finish before earlier ones.
    const held: RawDeflater = {
      library: nodeDeflater.library,
      async deflate(bytes, o) {
        const i = calls++;
        most = Math.max(most, ++now);
        const d = await nodeDeflater.deflate(bytes, o);
        await new Promise((r) => setTimeout(r, i % 5 === 3 ? 30 : 1));
        now--;
        return d;
      },
    };
    const plain = await write3mfAsync(mesh, opts, undefined, nodeDeflater);
    const shuffled = await write3mfAsync(mesh, opts, undefined, held);
    expect(calls).toBeGreaterThan(THREEMF_HOST_DEFLATE_IN_FLIGHT); // one chunk waited for a free slot
    expect(most).toBe(THREEMF_HOST_DEFLATE_IN_FLIGHT);
    expect(now).toBe(0);
    expect(Buffer.from(shuffled).equals(Buffer.from(plain))).toBe(true);
  });

  it('deflates a stream of more than two chunks that zlib and fflate inflate back, at levels 1 to 4, windows 2^9 to 2^15 and uneven chunk sizes', async () => {
    const xml = unzipSync(write3mf(mesh, opts))[MODEL]!;
    for (const [level, size, windowBits] of [[1, 100_003, undefined], [2, THREEMF_CHUNK_BYTES, 12], [3, 333_333, undefined], [4, THREEMF_CHUNK_BYTES, 9]] as const) {
      const parts: Uint8Array[] = [];
      for (let o = 0; o < xml.length; o += size) {
        const chunk = xml.subarray(o, o + size);
        const d = await nodeDeflater.deflate(chunk, { level, last: o + size >= xml.length, ...(windowBits ? { windowBits } : {}) });
        expect(d.crc).toBe(zlibCrc32(chunk));
        parts.push(d.data);
      }
      expect(parts.length).toBeGreaterThan(2);
      const stream = Buffer.concat(parts);
      expect(Buffer.from(inflateRawSync(stream)).equals(Buffer.from(xml)), `level ${level}`).toBe(true);
      expect(Buffer.from(inflateSync(stream)).equals(Buffer.from(xml)), `level ${level} (fflate)`).toBe(true);
    }
  });
});

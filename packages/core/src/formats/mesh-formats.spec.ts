import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { compactMesh, concatMeshes, labelShells } from '../surface/mesh-utils.js';
import { box, icosphere, translate } from '../testing/meshes.js';
import { read3mf, read3mfContent, write3mf } from './3mf.js';
import { formatFloat32 } from './mesh-text.js';
import { readMesh, writeMesh } from './mesh-read.js';
import { readObj, writeObj } from './obj.js';
import { readPly, writePly } from './ply.js';
import { readStl, writeStlAscii, writeStlBinary } from './stl.js';

// Awkward float32 values (negative, tiny, -0) in LPS mm. Vertices in order of first use by the
// triangles, the canonical order our readers produce (STL has no shared vertices to keep).
function testMesh(): Mesh {
  const m = translate(icosphere(12.345678, 3), [-101.3, 37.77, -0.000123]);
  m.positions[0] = -0;
  m.positions[1] = 1e-7;
  return compactMesh(m);
}

const bytesEqual = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function expectSameMesh(a: Mesh, b: Mesh): void {
  expect(b.indices.length).toBe(a.indices.length);
  expect(bytesEqual(b.positions, a.positions)).toBe(true);
  expect(bytesEqual(b.indices, a.indices)).toBe(true);
}

describe('mesh formats: exact round trips', () => {
  it('formatFloat32 gives the shortest decimal that reads back bit-exact', () => {
    const xs = Float32Array.from([0.1, -0, 1e-7, 123456.789, -3.4028234e38, 1.17549435e-38, 10, 0.5]);
    for (const x of xs) expect(Object.is(Math.fround(Number(formatFloat32(x))), x)).toBe(true);
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(10)).toBe('10');
  });

  it('STL binary and ASCII round-trip exactly (welded back to shared vertices) and carry the units header', () => {
    const m = testMesh();
    const bin = writeStlBinary(m);
    expect(bin.length).toBe(84 + 50 * (m.indices.length / 3));
    expect(new TextDecoder().decode(bin.subarray(0, 80))).toMatch(/^scan2print \d+\.\d+\.\d+ units: mm LPS {2,}$/);
    expectSameMesh(m, readStl(bin, 'a.stl'));
    const asc = writeStlAscii(m, { name: 'skull' });
    expect(new TextDecoder().decode(asc.subarray(0, 60))).toMatch(/^solid skull scan2print .* units: mm LPS/);
    expectSameMesh(m, readStl(asc, 'a.stl'));
    expectSameMesh(m, readMesh(asc, 'x.stl'));
  });

  it('OBJ and PLY round-trip exactly', () => {
    const m = testMesh();
    const obj = writeObj(m);
    expect(new TextDecoder().decode(obj.subarray(0, 80))).toContain('units: mm');
    expectSameMesh(m, readObj(obj, 'a.obj'));
    const ply = writePly(m);
    expect(new TextDecoder().decode(ply.subarray(0, 120))).toContain('comment units: mm');
    expectSameMesh(m, readPly(ply, 'a.ply'));
    expectSameMesh(m, readMesh(ply, 'whatever.bin'));
  });

  it('3MF: millimetre unit, metadata, one named, coloured object per group, exact round trip', () => {
    const a = compactMesh(icosphere(10, 2));
    const b = compactMesh(translate(box([0, 0, 0], [5, 5, 5]), [30, 0, 0]));
    const m = concatMeshes([{ ...a, groups: new Uint32Array(a.indices.length / 3).fill(1) }, { ...b, groups: new Uint32Array(b.indices.length / 3).fill(2) }]);
    const bytes = write3mf(m, { title: 'Phantom skull', creationDate: '2026-01-02', parts: { 1: { name: 'bone', color: '#E3DAC9' }, 2: { name: 'teeth', color: '#FFFFF0' } } });
    const model = new TextDecoder().decode(unzipSync(bytes)['3D/3dmodel.model']);
    expect(model).toContain('unit="millimeter"');
    expect(model).toContain('xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"');
    expect(model).toMatch(/<metadata name="Title">Phantom skull<\/metadata>/);
    expect(model).toMatch(/<metadata name="Application">scan2print /);
    expect(model).toMatch(/<metadata name="CreationDate">2026-01-02<\/metadata>/);
    const c = read3mfContent(bytes, 'a.3mf');
    expect(c.objects.map((o) => [o.name, o.color])).toEqual([['bone', '#E3DAC9FF'], ['teeth', '#FFFFF0FF']]);
    expect(c.mesh.groups).toBeDefined();
    expect(bytesEqual(c.mesh.positions, m.positions)).toBe(true);
    expect(bytesEqual(c.mesh.indices, m.indices)).toBe(true);
    expectSameMesh(testMesh(), read3mf(write3mf(testMesh()), 'b.3mf'));
  });

  it('3MF splits a mesh without groups into one object per shell', () => {
    const m = concatMeshes([icosphere(5, 1), translate(icosphere(5, 1), [20, 0, 0])]);
    const c = read3mfContent(write3mf(m, { title: 't' }), 'c.3mf');
    expect(c.objects).toHaveLength(2);
    expect(c.objects[0]!.name).toBe('t shell 0');
  });

  it("3MF split by shells the caller hands in (the conditioning's): the same file as shells worked out, and those shells are what it uses", () => {
    // three shells: two spheres and a box
    const m = concatMeshes([icosphere(5, 1), translate(icosphere(5, 1), [20, 0, 0]), box([0, 30, 0], [4, 34, 4])]);
    const own = write3mf(m, { title: 't' });
    expect(Buffer.from(write3mf(m, { title: 't', shells: labelShells(m) })).equals(Buffer.from(own))).toBe(true);
    // shells that say otherwise are followed (the caller is trusted): two objects, not three
    const { shellOf } = labelShells(m);
    const merged = { shellOf: shellOf.map((s) => Math.min(s, 1)), shellCount: 2 };
    const c = read3mfContent(write3mf(m, { title: 't', shells: merged }), 'c.3mf');
    expect(c.objects).toHaveLength(2);
    expect(read3mfContent(own, 'o.3mf').objects).toHaveLength(3);
  });

  it('re-export is byte-identical for every format', () => {
    const m = testMesh();
    for (const file of ['a.stl', 'a.3mf', 'a.obj', 'a.ply']) {
      const opts = { creationDate: '2026-01-02', title: 'x' };
      expect(bytesEqual(writeMesh(m, file, opts), writeMesh(m, file, opts))).toBe(true);
      const back = readMesh(writeMesh(m, file, opts), file);
      expect(bytesEqual(writeMesh(back, file, opts), writeMesh(m, file, opts))).toBe(true);
    }
    expect(bytesEqual(writeMesh(m, 'a.stl', { ascii: true }), writeStlAscii(m))).toBe(true);
  });

  it('refuses truncated and foreign files with a message naming the file', () => {
    const bin = writeStlBinary(testMesh());
    expect(() => readStl(bin.subarray(0, 200), 'cut.stl')).toThrow(/cut\.stl: binary STL declares \d+ facets/);
    expect(() => read3mf(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), 'bad.3mf')).toThrow(/bad\.3mf/);
    expect(() => readPly(new TextEncoder().encode('hello'), 'x.ply')).toThrow(/x\.ply: not a PLY/);
  });

  it('refuses a NaN or infinite vertex coordinate in binary STL and PLY (binary and ASCII), as in the other formats', () => {
    // A NaN corner once reached the wall-thickness rays and hung prepare for good.
    for (const bad of [NaN, Infinity]) {
      const m = testMesh();
      m.positions[4] = bad;
      for (const [file, bytes, read] of [
        ['nan.stl', writeStlBinary(m), readStl],
        ['nan.ply', writePly(m), readPly],
        ['nan.ply', new TextEncoder().encode(`ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n${bad} 0 0\n1 0 0\n0 1 0\n3 0 1 2\n`), readPly],
      ] as const) {
        expect(() => read(bytes, file), `${file} ${bad}`).toThrow(expect.objectContaining({ kind: 'input', code: file.endsWith('.stl') ? 'STL_BAD_NUMBER' : 'PLY_BAD_VERTEX', message: expect.stringMatching(/^nan\.(stl|ply): .*not a finite number/) }));
        expect(() => readMesh(bytes, file)).toThrow(/not a finite number/);
      }
    }
    // A double beyond float32's range becomes Infinity when stored: refused as well.
    const big = new TextEncoder().encode('ply\nformat ascii 1.0\nelement vertex 3\nproperty double x\nproperty double y\nproperty double z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n1e300 0 0\n1 0 0\n0 1 0\n3 0 1 2\n');
    expect(() => readPly(big, 'big.ply')).toThrow(/big\.ply: vertex 0 has a coordinate Infinity/);
  });
});

/**
 * 3MF build items with transforms: written in the core spec's order and read back; the matrix
 * from a rigid transform maps points as applyPoint does under the 3MF row-vector convention;
 * files without transforms are unchanged by the option's existence (empty map → same bytes).
 */
import { describe, expect, it } from 'vitest';
import { read3mfContent, rigidTo3mfTransform, write3mf } from '../formats/3mf.js';
import { box } from '../testing/meshes.js';
import { concatMeshes } from '../surface/mesh-utils.js';
import { applyPoint, type RigidTransform } from './manifold-mesh.js';

describe('3MF build-item transforms', () => {
  const t: RigidTransform = { rotation: [0, -1, 0, 1, 0, 0, 0, 0, 1], translation: [12.5, -3, 700.25] };

  it('rigidTo3mfTransform maps points like applyPoint (x′ = x·m00 + y·m10 + z·m20 + m30 …)', () => {
    const m = rigidTo3mfTransform(t.rotation, t.translation);
    const p = [3, -7, 11];
    const q = [0, 1, 2].map((j) => p[0]! * m[j]! + p[1]! * m[3 + j]! + p[2]! * m[6 + j]! + m[9 + j]!);
    expect(q).toEqual(applyPoint(t, p));
  });

  it('writes a transform per object, reads it back; no transforms → the same bytes as before', () => {
    const a = box([0, 0, 0], [10, 10, 10]);
    const b = box([20, 0, 0], [30, 5, 5]);
    const two = concatMeshes([{ ...a, groups: new Uint32Array(a.indices.length / 3) }, { ...b, groups: new Uint32Array(b.indices.length / 3).fill(1) }]);
    const plain = write3mf(two, { title: 'plate', creationDate: '2026-11-30' });
    expect(write3mf(two, { title: 'plate', creationDate: '2026-11-30', transforms: {} })).toEqual(plain);
    const m = rigidTo3mfTransform(t.rotation, t.translation);
    const placed = write3mf(two, { title: 'plate', creationDate: '2026-11-30', transforms: { 1: m } });
    const c = read3mfContent(placed, 'plate.3mf');
    expect(c.items).toEqual([{ objectId: 2, transform: null }, { objectId: 3, transform: m }]);
    expect(read3mfContent(plain, 'plain.3mf').items.every((x) => x.transform === null)).toBe(true);
    // The mesh itself is not moved by the reader.
    expect(c.mesh.positions).toEqual(read3mfContent(plain, 'plain.3mf').mesh.positions);
    expect(() => write3mf(two, { transforms: { 0: [1, 2, 3] } })).toThrow(/12 finite numbers/);
  });
});

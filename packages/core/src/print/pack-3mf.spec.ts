/**
 * 3MF build items with transforms: written in the core spec's order and read back; the matrix
 * from a rigid transform maps points as applyPoint does under the 3MF row-vector convention;
 * files without transforms are unchanged by the option's existence (empty map → same bytes);
 * the reader places objects by their rigid items and refuses scaling or mirroring ones.
 */
import { describe, expect, it } from 'vitest';
import { read3mfContent, rigidTo3mfTransform, write3mf } from '../formats/3mf.js';
import { readModel } from '../formats/mesh-read.js';
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

  it('placed: each object moved by its rigid build item (as a slicer prints it); readModel measures that', () => {
    const a = box([0, 0, 0], [10, 10, 10]);
    const b = box([20, 0, 0], [30, 5, 40]);
    const two = concatMeshes([{ ...a, groups: new Uint32Array(a.indices.length / 3) }, { ...b, groups: new Uint32Array(b.indices.length / 3).fill(1) }]);
    const m = rigidTo3mfTransform(t.rotation, t.translation);
    const bytes = write3mf(two, { title: 'plate', transforms: { 1: m } });
    const c = read3mfContent(bytes, 'plate.3mf');
    // The second object's vertices (those of its triangles) moved, the first's not.
    const raw = c.mesh.positions;
    const want = raw.slice();
    const moved = new Set<number>();
    for (let k = 0; k < c.mesh.indices.length; k++) if (c.mesh.groups![Math.floor(k / 3)] === 1) moved.add(c.mesh.indices[k]!);
    expect(moved.size).toBe(8);
    for (const v of moved) want.set(applyPoint(t, [raw[3 * v]!, raw[3 * v + 1]!, raw[3 * v + 2]!]), 3 * v);
    expect(c.placed.positions).toEqual(want);
    expect(c.placed.indices).toEqual(c.mesh.indices);
    expect(c.placed.groups).toEqual(c.mesh.groups);
    expect(readModel(bytes, 'plate.3mf').mesh.positions).toEqual(want);
    // Nothing moved: the very mesh, so our convert outputs read back as written.
    const plain = read3mfContent(write3mf(two, { title: 'plate' }), 'plain.3mf');
    expect(plain.placed).toBe(plain.mesh);
    expect(plain.mesh.positions).toEqual(raw);
  });

  it('refuses a build item that scales, mirrors or shears, naming the file, the item and why', () => {
    const cube = box([0, 0, 0], [40, 30, 20]);
    const read = (tr: number[]): unknown => read3mfContent(write3mf(cube, { title: 'c', transforms: { 0: tr } }), 'c.3mf');
    const refused = (why: RegExp): ReturnType<typeof expect.objectContaining> => expect.objectContaining({ kind: 'input', code: '3MF_TRANSFORM_NOT_RIGID', message: expect.stringMatching(why) });
    expect(() => read([0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5, 0, 0, 0])).toThrow(refused(/^c\.3mf: build item 1 \(object 2\): its transform scales the model by 0\.5 × 0\.5 × 0\.5; .*1:1 patient anatomy/));
    expect(() => read([2, 0, 0, 0, 2, 0, 0, 0, 2, 5, 5, 0])).toThrow(refused(/scales the model by 2 × 2 × 2/));
    expect(() => read([-1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])).toThrow(refused(/build item 1 \(object 2\): its transform mirrors the model/));
    expect(() => read([1, 0, 0, 0.5, 1, 0, 0, 0, 1, 0, 0, 0])).toThrow(refused(/shears|scales/));
    // Rotations as slicers write them (6 decimals) and pure translations are read.
    const s = Math.SQRT1_2;
    expect(() => read([0.707107, 0.707107, 0, -0.707107, 0.707107, 0, 0, 0, 1, 10, 0, 0])).not.toThrow();
    expect(() => read([s, s, 0, -s, s, 0, 0, 0, 1, 10, 0, 0])).not.toThrow();
    expect(() => readModel(write3mf(cube, { title: 'c', transforms: { 0: [1, 0, 0, 0, 1, 0, 0, 0, -1, 0, 0, 0] } }), 'm.3mf')).toThrow(/m\.3mf: .*mirrors/);
  });
});

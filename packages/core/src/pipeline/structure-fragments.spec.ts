import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import { absorbFragments } from './structure-fragments.js';

/** A label map of `dims` voxels (1 mm) with boxes [lo, hi) of given labels, later boxes on top. */
function boxes(dims: Vec3, list: Array<[number, Vec3, Vec3]>): LabelMap {
  const [nx, ny, nz] = dims;
  const data = new Uint8Array(nx * ny * nz);
  for (const [l, lo, hi] of list) {
    for (let k = lo[2]; k < hi[2]; k++) for (let j = lo[1]; j < hi[1]; j++) for (let i = lo[0]; i < hi[0]; i++) data[i + j * nx + k * nx * ny] = l;
  }
  return { grid: { dims, spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }, data };
}
const count = (m: LabelMap, l: number) => Array.from(m.data).filter((x) => x === l).length;
const at = (m: LabelMap, i: number, j: number, k: number) => m.data[i + j * m.grid.dims[0] + k * m.grid.dims[0] * m.grid.dims[1]];

describe('structure fragments: speckled names made whole', () => {
  const dims: Vec3 = [40, 24, 24];
  const input = boxes(dims, [
    // A vertebra (label 1, 18³) with a forest speckle of rib (label 2) inside it…
    [1, [2, 2, 2], [20, 20, 20]],
    [2, [9, 9, 9], [12, 12, 12]],
    // …a small rib-named bump on its surface (3×4×4: more exposed than shared, but small)…
    [2, [20, 5, 5], [23, 9, 9]],
    // …a rib of its own (label 2, 8×18×18), touching nothing…
    [2, [26, 2, 2], [34, 20, 20]],
    // …and a large rib piece against the vertebra, mostly in the open (kept: not speckle).
    [2, [20, 12, 2], [25, 20, 20]],
    // A structure with one small piece, enclosed: never absorbed whole.
    [3, [4, 4, 15], [6, 6, 17]],
  ]);

  it('absorbs enclosed and small touching pieces into their neighbour; keeps separate bones and large pieces', () => {
    const r = absorbFragments(input, 500);
    const out = r.output;
    expect(at(out, 10, 10, 10)).toBe(1);
    expect(at(out, 21, 6, 6)).toBe(1);
    expect(at(out, 30, 10, 10)).toBe(2);
    expect(at(out, 22, 15, 10)).toBe(2);
    expect(at(out, 4, 4, 15)).toBe(3);
    expect(r.figures.piecesAbsorbed).toBe(2);
    expect(r.figures.voxelsRenamed).toBe(27 + 48);
    expect(count(out, 1)).toBe(count(input, 1) + 75);
    expect(r.figures.piecesBefore).toEqual({ 1: 1, 2: 4, 3: 1 });
    expect(r.figures.piecesAfter).toEqual({ 1: 1, 2: 2, 3: 1 });
    expect(r.record.method).toBe('structure-fragments');
  });

  it('with no size allowance a piece more embedded than exposed still goes (the enclosed speckle), the bump stays; input unchanged; deterministic', () => {
    const before = input.data.slice();
    // With no size allowance only the enclosed speckle goes (it shares all its faces).
    const r = absorbFragments(input, 0);
    expect(at(r.output, 10, 10, 10)).toBe(1);
    expect(at(r.output, 21, 6, 6)).toBe(2);
    expect(r.figures.piecesAbsorbed).toBe(1);
    expect(Buffer.from(input.data).equals(Buffer.from(before))).toBe(true);
    const again = absorbFragments(input, 500);
    expect(Buffer.from(again.output.data).equals(Buffer.from(absorbFragments(input, 500).output.data))).toBe(true);
  });
});

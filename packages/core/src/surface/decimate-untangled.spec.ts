// decimateUntangled's fallback: when the decimation again with the crossing sites locked cannot
// stay manifold (decimateMesh hands its input back), the try before it stands, its crossings
// counted. No real series here reaches it, so the decimation is handed in: the first one a copy
// of the sphere with one vertex pushed through the far side (at a position no vertex of the
// input had, so the repair has no safe place to take it back to), the second one failing.
import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { icosphere } from '../testing/meshes.js';
import type { DecimateParams, DecimateResult } from './decimate.js';
import { decimateUntangled } from './decimate-untangled.js';
import { safeOfKept } from './decimate-locks.js';
import { findSelfIntersections } from './self-intersections.js';

describe('decimating again with the crossing sites locked', () => {
  it('keeps the try before when the retry cannot stay manifold, and says so', async () => {
    const before = icosphere(10, 3);
    const P = before.positions;
    let top = 0;
    for (let v = 0; v < P.length / 3; v++) if (P[3 * v + 2]! > P[3 * top + 2]!) top = v;
    const calls: DecimateParams[] = [];
    const decimate = async (mesh: Mesh, params: DecimateParams): Promise<DecimateResult> => {
      calls.push(params);
      const record = { stage: 'condition' as const, method: 'decimate', params: { targetFaces: params.targetFaces ?? null }, figures: {} };
      if (calls.length > 1) return { output: mesh, record: { ...record, notes: ['skipped: not manifold'] } };
      const positions = mesh.positions.slice();
      // the top vertex pushed down through the bottom of the sphere, off the axis (on it, its
      // triangles would only touch the bottom vertex)
      positions[3 * top] += 0.3;
      positions[3 * top + 2] = -15;
      return { output: { positions, indices: mesh.indices }, record: { ...record, notes: ['first decimation'] } };
    };
    const targetFaces = before.indices.length / 3 / 2;
    const r = await decimateUntangled(before, P, { targetFaces, skipHausdorff: true }, {}, {}, decimate);
    expect(calls.length).toBe(2);
    // the retry was asked with the sites locked and the target raised by what they hold
    const lock = calls[1]!.lock!;
    expect(lock.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(calls[1]!.targetFaces!).toBeGreaterThan(targetFaces);
    // the first try stands: its mesh (the spike still there, not the input) and its repair's count
    expect(r.output.positions[3 * top + 2]).toBe(-15);
    expect(r.output.indices).toEqual(before.indices);
    const [dec, rep] = r.records;
    expect(dec!.figures.retriesForCrossings).toBe(0);
    expect(dec!.notes![0]).toBe('first decimation');
    expect(dec!.notes!.some((n) => /^try 1: \d+ triangles still crossed after the repair; decimated again/.test(n))).toBe(true);
    expect(dec!.notes!.filter((n) => n === 'first decimation').length).toBe(1);
    expect(dec!.notes!.at(-1)).toMatch(/could not stay manifold: the decimation before it is kept, and the repair after it counts what crosses/);
    const left = findSelfIntersections(r.output.positions, r.output.indices).triangles;
    expect(left).toBeGreaterThan(0);
    expect(rep!.figures.remainingCrossingTriangles).toBe(left);
    expect(rep!.findings?.map((f) => f.code)).toEqual(['SELF_INTERSECTIONS']);
  });
});

describe('safeOfKept', () => {
  it('gives each kept vertex the safe position of the first vertex before it at the same bits', () => {
    // Positions on a coarse lattice so that many coincide (sheets meeting at one position,
    // as on real skulls), with +0 and -0 (equal numbers, other bits: not the same position).
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const nb = 5000;
    const before = new Float32Array(3 * nb);
    for (let i = 0; i < before.length; i++) before[i] = rnd() < 0.05 ? (rnd() < 0.5 ? 0 : -0) : Math.floor(rnd() * 6) * 0.5;
    const safe = new Float32Array(3 * nb).map((_, i) => i + 0.25);
    // kept: a subset of the vertices before, shuffled, and a few positions no vertex had
    const nk = 2000;
    const kept = new Float32Array(3 * nk);
    for (let w = 0; w < nk; w++) {
      const v = Math.floor(rnd() * nb);
      for (let a = 0; a < 3; a++) kept[3 * w + a] = w % 97 === 0 ? 100 + w + a : before[3 * v + a]!;
    }
    // The rule written plainly: each vertex before, in order, gives its safe position to every
    // kept vertex at its exact bits not given one yet.
    const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
    const kb = bits(kept), bb = bits(before);
    const expected = kept.slice();
    const found = new Uint8Array(nk);
    for (let v = 0; v < nb; v++) {
      for (let w = 0; w < nk; w++) {
        if (found[w] || kb[3 * w] !== bb[3 * v] || kb[3 * w + 1] !== bb[3 * v + 1] || kb[3 * w + 2] !== bb[3 * v + 2]) continue;
        found[w] = 1;
        for (let a = 0; a < 3; a++) expected[3 * w + a] = safe[3 * v + a]!;
      }
    }
    const out = safeOfKept(kept, before, safe);
    expect(Array.from(out)).toEqual(Array.from(expected));
    // the test covers the cases: kept vertices found, not found, and sharing a position
    const foundCount = found.reduce((s, f) => s + f, 0);
    expect(foundCount).toBeGreaterThan(nk / 2);
    expect(foundCount).toBeLessThan(nk);
    expect(new Set(Array.from({ length: nk }, (_, w) => `${kb[3 * w]},${kb[3 * w + 1]},${kb[3 * w + 2]}`)).size).toBeLessThan(nk - nk / 97);
  });
});

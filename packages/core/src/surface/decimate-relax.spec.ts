// relaxLocked's bounds and locks, with the decimation handed in (the real bone, where it takes
// the TotalSegmentator model from 77 498 to 28 866 faces, is in cli's convert-untangle.spec).
import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { icosphere } from '../testing/meshes.js';
import type { DecimateParams, DecimateResult } from './decimate.js';
import { keptIndex } from './decimate-locks.js';
import { RELAX_ERROR_STEPS, relaxLocked, type RelaxInput } from './decimate-relax.js';

const sphere = icosphere(10, 3);
const nv = sphere.positions.length / 3;
/** The upper half locked, as decimateUntangled's retries would have left it. */
const upper = Uint8Array.from({ length: nv }, (_, v) => (sphere.positions[3 * v + 2]! > 0 ? 1 : 0));
const input = (lock: Uint8Array): RelaxInput => ({
  lock,
  from: Int32Array.from({ length: nv }, (_, v) => v),
  repaired: sphere,
  safe: sphere.positions,
  targetFaces: sphere.indices.length / 6,
  firstError_mm: 0.8,
});

describe('relaxLocked', () => {
  it('frees only the locked region, and halves the bound while the decimation cannot stay manifold', async () => {
    const calls: DecimateParams[] = [];
    const decimate = async (mesh: Mesh, params: DecimateParams): Promise<DecimateResult> => {
      calls.push(params);
      return { output: mesh, record: { stage: 'condition', method: 'decimate', params: {}, figures: {} } };
    };
    expect(await relaxLocked(input(upper), {}, {}, decimate)).toBeUndefined();
    expect(calls.map((c) => c.maxError_mm)).toEqual(Array.from({ length: RELAX_ERROR_STEPS }, (_, k) => 0.8 / 2 ** k));
    for (const c of calls) {
      expect(c.targetFaces).toBe(sphere.indices.length / 6);
      // the vertices outside the retries' lock are held; those inside are free
      expect([...c.lock!]).toEqual([...upper].map((x) => 1 - x));
    }
  });

  it('runs no decimation when nothing was locked', async () => {
    let called = 0;
    const decimate = async (mesh: Mesh): Promise<DecimateResult> => {
      called++;
      return { output: mesh, record: { stage: 'condition', method: 'decimate', params: {}, figures: {} } };
    };
    expect(await relaxLocked(input(new Uint8Array(nv)), {}, {}, decimate)).toBeUndefined();
    expect(called).toBe(0);
  });

  it('keeps the first decimation that leaves nothing crossing, and says at which bound', async () => {
    // above 0.3 mm the decimation cannot stay manifold (it hands its input back); below, it gives
    // a coarser sphere, on which the repair finds nothing crossing
    const decimate = async (mesh: Mesh, params: DecimateParams): Promise<DecimateResult> => {
      if (params.maxError_mm! > 0.3) return { output: mesh, record: { stage: 'condition', method: 'decimate', params: {}, figures: {} } };
      return { output: icosphere(10, 2), record: { stage: 'condition', method: 'decimate', params: {}, figures: {} } };
    };
    const r = await relaxLocked(input(upper), {}, {}, decimate);
    expect(r?.error_mm).toBe(0.2);
    expect(r!.rep.remaining).toBe(0);
    expect(r!.rep.output.indices.length).toBe(icosphere(10, 2).indices.length);
    expect(r!.note).toMatch(/no coarser than 0\.2 mm \(the first try's simplifier error ÷ 4\): \d+ faces, nothing crossing/);
  });
});

describe('keptIndex', () => {
  it('finds the vertex before at the same bits, -1 for one at a new position', () => {
    const before = new Float32Array([0, 0, 0, 1, 2, 3, 4, 5, 6, -0, 0, 0]);
    const kept = new Float32Array([4, 5, 6, 0, 0, 0, 7, 7, 7, -0, 0, 0]);
    expect([...keptIndex(kept, before)]).toEqual([2, 0, -1, 3]);
  });
});

/**
 * decimateMesh's fallback: when one round to the target cannot stay manifold, rounds that at most
 * halve the face count, and where a halving round cannot either, gentler steps (÷ 1.5, ÷ 1.2) from
 * the same mesh before it stops short. The simplifier is meshoptimizer's, with a broken result
 * handed back for the steps a test says fail (one triangle turned over: a broken edge pair).
 */
import { describe, expect, it } from 'vitest';
import { MeshoptSimplifier } from 'meshoptimizer/simplifier';
import { icosphere } from '../testing/meshes.js';
import { decimateMesh, type RoundSimplify } from './decimate.js';
import { triangleCount } from './mesh-utils.js';
import { checkMesh } from './topology.js';

/** meshoptimizer, except that a round dividing the face count by `failAtOrAbove` or more comes back broken. */
function failingSteps(failAtOrAbove: number, asked: number[]): RoundSimplify {
  return (m, lock, target, error) => {
    const step = triangleCount(m) / (target / 3);
    asked.push(Math.round(step * 100) / 100);
    const [ix, err] = MeshoptSimplifier.simplifyWithAttributes(m.indices, m.positions, 3, new Float32Array(0), 0, [], lock, target, error, ['ErrorAbsolute']);
    if (step < failAtOrAbove) return [ix, err];
    const o = ix.slice();
    [o[1], o[2]] = [o[2]!, o[1]!];
    return [o, err];
  };
}

describe('decimateMesh fallback rounds', () => {
  it('takes gentler steps where halving rounds break, and still reaches the target', async () => {
    await MeshoptSimplifier.ready;
    const m = icosphere(20, 5); // 20480 faces
    const asked: number[] = [];
    const r = await decimateMesh(m, { targetFaces: 2000, skipHausdorff: true }, failingSteps(1.9, asked));
    const faces = triangleCount(r.output);
    expect(faces).toBeLessThanOrEqual(2100);
    const c = checkMesh(r.output);
    expect(c.closed && c.manifold && c.oriented).toBe(true);
    const notes = (r.record.notes ?? []).join('\n');
    expect(notes).toMatch(/falling back to halving rounds/);
    expect(notes).toMatch(/÷ 2 could not stay manifold: trying ÷ 1\.5/);
    expect(notes).not.toMatch(/stopped at/);
    // every step that succeeded divided by at most 1.5
    expect(asked.some((s) => s > 1.4 && s < 1.6)).toBe(true);
    expect(r.record.figures.rounds as number).toBeGreaterThan(5);
  });

  it('stops short, with the last good mesh, when even the gentlest step breaks', async () => {
    await MeshoptSimplifier.ready;
    const m = icosphere(20, 5);
    const asked: number[] = [];
    const r = await decimateMesh(m, { targetFaces: 2000, skipHausdorff: true }, failingSteps(1.1, asked));
    // nothing could be taken: the input is kept, and the record says so
    expect(r.output).toBe(m);
    expect(r.record.findings?.[0]?.code).toBe('DECIMATION_SKIPPED');
    // the direct round, then ÷ 2, ÷ 1.5 and ÷ 1.2, each with its five attempts
    const steps = [...new Set(asked)];
    expect(steps.length).toBe(4);
    expect(asked.length).toBe(20);
  });

  it('goes straight to halving rounds when asked (previews): no attempt at the whole reduction', async () => {
    await MeshoptSimplifier.ready;
    const m = icosphere(20, 5);
    const asked: number[] = [];
    const r = await decimateMesh(m, { targetFaces: 2000, skipHausdorff: true, oneRoundFirst: false }, failingSteps(99, asked));
    expect(asked[0]).toBe(2);
    expect(Math.max(...asked)).toBeLessThanOrEqual(2.1);
    expect(triangleCount(r.output)).toBeLessThanOrEqual(2000);
    expect(r.record.params.rounds).toBe('rounds that at most halve the face count');
    const c = checkMesh(r.output);
    expect(c.closed && c.manifold).toBe(true);
  });
});

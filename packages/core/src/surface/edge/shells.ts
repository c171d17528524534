/**
 * A guard on whole shells: a small blob meshed at a sensitive threshold (noise, a speck of
 * calcium) may have no edge of its own, and moving all its vertices inward could turn it
 * inside out. Shells (vertex-connected components) whose signed volume falls to ≤ 10 % of
 * the threshold's, or changes sign, get their threshold positions back.
 */
import type { Mesh } from '../../geometry/types.js';
import { makeSets } from '../../geometry/union-find.js';
import { unionTriangleVertices } from '../mesh-utils.js';

/** Restores `before`'s positions in `after` for collapsing shells; marks their vertices in `reverted`. Returns the number of shells restored. */
export function restoreCollapsedShells(mesh: Mesh, after: Float32Array, reverted: Uint8Array): number {
  const P = mesh.positions;
  const I = mesh.indices;
  const nv = P.length / 3;
  // every vertex points straight at its shell's root (its lowest vertex)
  const parent = makeSets(new Int32Array(nv));
  unionTriangleVertices(I, parent);
  const volBefore = new Float64Array(nv);
  const volAfter = new Float64Array(nv);
  const triple = (X: Float32Array, a: number, b: number, c: number): number =>
    X[a]! * (X[b + 1]! * X[c + 2]! - X[b + 2]! * X[c + 1]!) - X[a + 1]! * (X[b]! * X[c + 2]! - X[b + 2]! * X[c]!) + X[a + 2]! * (X[b]! * X[c + 1]! - X[b + 1]! * X[c]!);
  for (let t = 0; t < I.length; t += 3) {
    const r = parent[I[t]!]!;
    const a = 3 * I[t]!, b = 3 * I[t + 1]!, c = 3 * I[t + 2]!;
    volBefore[r] += triple(P, a, b, c);
    volAfter[r] += triple(after, a, b, c);
  }
  const bad = new Uint8Array(nv);
  let shells = 0;
  for (let v = 0; v < nv; v++) {
    if (parent[v] !== v || volBefore[v] === 0) continue;
    if (volAfter[v]! / volBefore[v]! <= 0.1) {
      bad[v] = 1;
      shells++;
    }
  }
  if (!shells) return 0;
  for (let v = 0; v < nv; v++) {
    if (!bad[parent[v]!]) continue;
    after[3 * v] = P[3 * v]!;
    after[3 * v + 1] = P[3 * v + 1]!;
    after[3 * v + 2] = P[3 * v + 2]!;
    reverted[v] = 1;
  }
  return shells;
}

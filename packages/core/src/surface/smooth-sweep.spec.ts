import { describe, expect, it } from 'vitest';
import type { Mesh } from '../geometry/types.js';
import { shuffledVertices } from '../testing/meshes.js';
import { makePhantom, phantomLabels } from '../testing/phantoms.js';
import { extractSurface } from './isosurface/index.js';
import { buildEdgeTable } from './mesh-utils.js';
import { smoothMesh, SMOOTH_DEFAULTS, vertexNeighbours, windowedSincCoefficients } from './smooth.js';
import { openEdgeVertices, sweepTopology } from './smooth-sweep.js';

/** Windowed-sinc as it was computed one step at a time over all vertices (the reference bytes). */
function stepByStep(mesh: Mesh, iterations: number, passBand: number, held?: Uint8Array): Float32Array {
  const { start, nbr, fixed } = vertexNeighbours(mesh);
  const nv = start.length - 1;
  if (held) for (let v = 0; v < nv; v++) if (held[v]) fixed[v] = 1;
  const c = windowedSincCoefficients(iterations, passBand);
  const lap = (x: Float64Array, v: number, a: number): number => {
    const s = start[v]!, e = start[v + 1]!;
    if (fixed[v] || e === s) return 0;
    let sum = 0;
    for (let i = s; i < e; i++) sum += x[3 * nbr[i]! + a]!;
    return sum * (1 / (e - s)) - x[3 * v + a]!;
  };
  let prev = Float64Array.from(mesh.positions);
  let cur = new Float64Array(3 * nv);
  for (let v = 0; v < nv; v++) for (let a = 0; a < 3; a++) cur[3 * v + a] = prev[3 * v + a]! + 0.5 * lap(prev, v, a);
  const result = new Float64Array(3 * nv);
  for (let i = 0; i < result.length; i++) result[i] = c[0]! * prev[i]! + c[1]! * cur[i]!;
  for (let j = 2; j <= iterations; j++) {
    const next = new Float64Array(3 * nv);
    for (let v = 0; v < nv; v++) {
      for (let a = 0; a < 3; a++) {
        const o = 3 * v + a;
        next[o] = 2 * cur[o]! + lap(cur, v, a) - prev[o]!;
        result[o]! += c[j]! * next[o]!;
      }
    }
    prev = cur;
    cur = next;
  }
  for (let v = 0; v < nv; v++) if (fixed[v]) for (let a = 0; a < 3; a++) result[3 * v + a] = mesh.positions[3 * v + a]!;
  return Float32Array.from(result);
}

async function phantomSphere(): Promise<Mesh> {
  const ph = makePhantom({ kind: 'sphere', radius_mm: 12 }, { spacing_mm: [1, 1, 1] });
  return (await extractSurface(phantomLabels(ph), { field: ph.volume, level: ph.level })).output;
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('windowed-sinc in sweeps of several steps', () => {
  it('an extracted mesh: neighbours within a short span, so the steps overlap in one sweep', async () => {
    const m = await phantomSphere();
    const nv = m.positions.length / 3;
    const topo = sweepTopology(buildEdgeTable(m.indices, nv), new Uint8Array(nv));
    expect(topo.span).toBeGreaterThan(0);
    expect(4 * (topo.span + 1)).toBeLessThan(nv);
  });

  it('makes its lists where it is told (shared memory for a pool: made there, not copied there), the same lists', async () => {
    const m = await phantomSphere();
    const nv = m.positions.length / 3;
    const et = buildEdgeTable(m.indices, nv);
    const held = new Uint8Array(nv);
    for (let v = 0; v < nv; v += 7) held[v] = 1;
    const plain = sweepTopology(et, held);
    const made: number[] = [];
    const shared = sweepTopology(et, held, (n) => {
      made.push(n);
      return new Uint32Array(new SharedArrayBuffer(4 * n));
    });
    expect(made).toEqual([nv + 1, plain.nbr3.length]);
    expect(shared.start.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.nbr3.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(plain.start.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(shared.start)).toEqual(Array.from(plain.start));
    expect(Array.from(shared.nbr3)).toEqual(Array.from(plain.nbr3));
    expect(shared.span).toBe(plain.span);
  });

  it('gives the bytes of one step at a time over all vertices: ordered, shuffled, with held vertices', async () => {
    const m = await phantomSphere();
    const nv = m.positions.length / 3;
    const held = new Uint8Array(nv);
    for (let v = 0; v < nv; v += 5) held[v] = 1;
    for (const mesh of [m, shuffledVertices(m)]) {
      for (const [iterations, passBand] of [[40, 0.05], [7, 0.1]] as const) {
        const ref = stepByStep(mesh, iterations, passBand);
        expect(same(smoothMesh(mesh, { iterations, passBand }).output.positions, ref)).toBe(true);
      }
    }
    const heldRef = stepByStep(m, SMOOTH_DEFAULTS.iterations, SMOOTH_DEFAULTS.passBand, held);
    const r = smoothMesh(m, { fixed: held });
    expect(same(r.output.positions, heldRef)).toBe(true);
    expect(r.record.figures.verticesHeld).toBe(held.reduce((s, x) => s + x, 0));
  });

  it('an open mesh: vertices on its border are held, the rest as one step at a time', async () => {
    const m = await phantomSphere();
    const open: Mesh = { positions: m.positions, indices: m.indices.slice(0, m.indices.length - 3 * 40) };
    const nv = open.positions.length / 3;
    const fixed = openEdgeVertices(buildEdgeTable(open.indices, nv), nv);
    expect(fixed.some((f) => f === 1)).toBe(true);
    // the table's recorded uses (no pass over the edges when all are paired) give the same mask as a count
    for (const mesh of [open, m]) {
      const et = buildEdgeTable(mesh.indices, nv);
      expect(et.uses).toBeDefined();
      expect(openEdgeVertices(et, nv)).toEqual(openEdgeVertices({ ...et, uses: undefined }, nv));
    }
    expect(same(smoothMesh(open).output.positions, stepByStep(open, SMOOTH_DEFAULTS.iterations, SMOOTH_DEFAULTS.passBand))).toBe(true);
  });
});

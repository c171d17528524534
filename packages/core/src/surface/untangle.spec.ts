import { afterAll, describe, expect, it } from 'vitest';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import type { Mesh } from '../geometry/types.js';
import type { WorkerPool } from '../parallel/pool.js';
import { mulberry32 } from '../synthetic/random.js';
import { box, icosphere } from '../testing/meshes.js';
import { conditionMesh } from './condition.js';
import { buildTriangleGrid } from './distance.js';
import { findSelfIntersections } from './self-intersections.js';
import { FLAT_FANS_TASK, untangleMesh } from './untangle.js';
import { LOCAL_CROSSINGS_TASK } from './untangle-rounds.js';
import { countingPool } from '../../../../test/counting-pool.js';
import './tasks.js';

const crossings = (m: Mesh): number => findSelfIntersections(m.positions, m.indices).triangles;

/** Each vertex of `out` lies on the segment from its position in `input` to its safe one. */
function onWayBack(input: Float32Array, out: Float32Array, safe: Float32Array): boolean {
  for (let v = 0; v < input.length / 3; v++) {
    const d = [0, 1, 2].map((a) => safe[3 * v + a]! - input[3 * v + a]!);
    const m = [0, 1, 2].map((a) => out[3 * v + a]! - input[3 * v + a]!);
    const dd = d[0]! ** 2 + d[1]! ** 2 + d[2]! ** 2;
    if (dd === 0) {
      if (m.some((x) => x !== 0)) return false;
      continue;
    }
    const s = (m[0]! * d[0]! + m[1]! * d[1]! + m[2]! * d[2]!) / dd;
    if (s < -1e-6 || s > 1 + 1e-6) return false;
    for (let a = 0; a < 3; a++) if (Math.abs(m[a]! - s * d[a]!) > 1e-4) return false;
  }
  return true;
}

describe('untangleMesh', () => {
  it('undoes a fold: a vertex pushed through the far side of a sphere goes back until nothing crosses, and nothing else moves', async () => {
    const safe = icosphere(10, 3);
    const P = safe.positions.slice();
    const v = 0;
    for (let a = 0; a < 3; a++) P[3 * v + a] = -1.3 * safe.positions[3 * v + a]!; // 3 mm beyond the far side
    const folded = { positions: P, indices: safe.indices };
    expect(crossings(folded)).toBeGreaterThan(0);
    const r = await untangleMesh(folded, safe.positions);
    expect(crossings(r.output)).toBe(0);
    expect(r.remaining).toBe(0);
    expect(r.record.figures).toMatchObject({ remainingCrossingTriangles: 0 });
    expect(r.record.figures.crossingTrianglesFound).toBeGreaterThan(0);
    expect(onWayBack(P, r.output.positions, safe.positions)).toBe(true);
    // the far side's corners may step back (they are at their safe positions: they do not move); the rest keep their bytes
    let moved = 0;
    for (let w = 0; w < P.length / 3; w++) if ([0, 1, 2].some((a) => r.output.positions[3 * w + a] !== P[3 * w + a])) moved++;
    expect(moved).toBe(1);
    expect(r.record.figures.verticesMoved).toBe(1);
    // the input is not changed
    expect(P[0]).toBeCloseTo(-1.3 * safe.positions[0]!, 6);
  });

  it('undoes two faces of a thin wall moved past each other, by moving them back toward the safe wall', async () => {
    const safe = box([0, 0, 0], [20, 20, 1], 10); // a 1 mm slab, 2 mm triangles on its faces
    const P = safe.positions.slice();
    // the top face's inner vertices 1.6 mm down, through the bottom face (and a little aside,
    // so that edges do not meet the bottom face's edges exactly: touching is not crossing)
    const pushed: number[] = [];
    for (let w = 0; w < P.length / 3; w++) {
      const [x, y, z] = [P[3 * w]!, P[3 * w + 1]!, P[3 * w + 2]!];
      if (z === 1 && x > 5 && x < 15 && y > 5 && y < 15) {
        P.set([x + 0.3, y + 0.2, -0.6], 3 * w);
        pushed.push(w);
      }
    }
    const crossed = { positions: P, indices: safe.indices };
    expect(crossings(crossed)).toBeGreaterThan(0);
    const r = await untangleMesh(crossed, safe.positions);
    expect(crossings(r.output)).toBe(0);
    expect(onWayBack(P, r.output.positions, safe.positions)).toBe(true);
    // the pushed vertices are back above the bottom face
    expect(pushed.length).toBe(25);
    for (const w of pushed) expect(r.output.positions[3 * w + 2]).toBeGreaterThan(0);
  });

  it('a mesh that does not cross itself comes back as it went in, with a record of 0', async () => {
    const m = icosphere(10, 3);
    const r = await untangleMesh(m, m.positions.map((x) => x * 1.1));
    expect(r.output).toBe(m);
    expect(r.record.figures).toMatchObject({ crossingTrianglesFound: 0, verticesMoved: 0, remainingCrossingTriangles: 0 });
  });

  it('re-checks round by round until the full check finds nothing: sphere vertices thrown about, 40 seeds', async () => {
    let found = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rand = mulberry32(seed);
      const safe = icosphere(10, 3);
      const P = safe.positions.slice();
      // a few vertices thrown up to 30 mm in any direction: on their way back they cross
      // triangles they did not cross at first, which never moved
      for (let k = 0; k < 6; k++) {
        const w = Math.floor(rand() * (P.length / 3));
        for (let a = 0; a < 3; a++) P[3 * w + a] = safe.positions[3 * w + a]! + 30 * (rand() - 0.5);
      }
      const m = { positions: P, indices: safe.indices };
      const r = await untangleMesh(m, safe.positions);
      found += r.record.figures.crossingTrianglesFound as number;
      expect(crossings(r.output), `seed ${seed}`).toBe(0);
      expect(r.remaining).toBe(0);
      expect(onWayBack(P, r.output.positions, safe.positions)).toBe(true);
    }
    expect(found).toBeGreaterThan(100);
  });

  it('gives up after maxRounds and says what still crosses', async () => {
    const safe = icosphere(10, 3);
    const P = safe.positions.slice();
    for (let a = 0; a < 3; a++) P[a] = -4 * safe.positions[a]!; // one step leaves it 17.5 mm beyond the far side
    const r = await untangleMesh({ positions: P, indices: safe.indices }, safe.positions, { maxRounds: 1 });
    expect(r.remaining).toBeGreaterThan(0);
    expect(r.remaining).toBe(crossings(r.output));
    expect(r.record.findings?.[0]).toMatchObject({ code: 'SELF_INTERSECTIONS', severity: 'warn' });
  });
});

describe("buildTriangleGrid with cover (the repair's grid)", () => {
  it('reaches the other positions, and lists each triangle in the cells its box touches where it is', () => {
    const from = icosphere(10, 2);
    const rand = mulberry32(3);
    const to = from.positions.map((x) => x + 20 * (rand() - 0.5));
    const g = buildTriangleGrid(from, undefined, false, to);
    const [nx, ny, nz] = g.dims;
    for (let a = 0; a < 3; a++) {
      let lo = Infinity, hi = -Infinity;
      for (let v = a; v < to.length; v += 3) {
        lo = Math.min(lo, to[v]!);
        hi = Math.max(hi, to[v]!);
      }
      expect(g.origin[a]!).toBeLessThanOrEqual(lo);
      expect(g.origin[a]! + g.dims[a]! * g.cell).toBeGreaterThan(hi);
    }
    const cellOf = (x: number, a: number, n: number) => Math.min(n - 1, Math.floor((x - g.origin[a]!) / g.cell));
    let cells = 0;
    for (let t = 0; t < from.indices.length / 3; t++) {
      const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
      for (let k = 0; k < 3; k++)
        for (let a = 0; a < 3; a++) {
          const x = from.positions[3 * from.indices[3 * t + k]! + a]!;
          lo[a] = Math.min(lo[a]!, x);
          hi[a] = Math.max(hi[a]!, x);
        }
      for (let k = cellOf(lo[2]!, 2, nz); k <= cellOf(hi[2]!, 2, nz); k++)
        for (let j = cellOf(lo[1]!, 1, ny); j <= cellOf(hi[1]!, 1, ny); j++)
          for (let i = cellOf(lo[0]!, 0, nx); i <= cellOf(hi[0]!, 0, nx); i++) {
            const c = i + nx * (j + ny * k);
            expect(g.cellTri.subarray(g.cellStart[c]!, g.cellStart[c + 1]!).includes(t)).toBe(true);
            cells++;
          }
    }
    // where it is only: no other entries
    expect(g.cellTri.length).toBe(cells);
  });
});

describe('untangleMesh on a worker pool', () => {
  let pool: WorkerPool | undefined;
  afterAll(async () => {
    await pool?.close();
  });

  it('finds the same crossings and writes the same bytes as on one thread, with and without the flat fans', async () => {
    pool = createNodePool(2); // runs the compiled dist: `npm run build` first
    const safe = icosphere(10, 5); // 20k triangles: cells split over the workers
    const rand = mulberry32(7);
    const P = safe.positions.slice();
    for (let k = 0; k < 40; k++) {
      const w = Math.floor(rand() * (P.length / 3));
      const s = 1 - 2.5 * rand();
      for (let a = 0; a < 3; a++) P[3 * w + a] = s * safe.positions[3 * w + a]!;
    }
    const m = { positions: P, indices: safe.indices };
    const one = await untangleMesh(m, safe.positions);
    const two = await untangleMesh(m, safe.positions, {}, { pool });
    expect(one.record.figures.crossingTrianglesFound).toBeGreaterThan(0);
    expect(two.record.figures).toEqual(one.record.figures);
    expect(Buffer.from(two.output.positions.buffer).equals(Buffer.from(one.output.positions.buffer))).toBe(true);
    // The sphere is closed: with the flat fans skipped (worked out on a worker), the same again.
    const ran = new Map<string, number>();
    const three = await untangleMesh(m, safe.positions, { closed: true }, { pool: countingPool(pool, ran) });
    expect(ran.get(FLAT_FANS_TASK)).toBe(1);
    const four = await untangleMesh(m, safe.positions, { closed: true });
    for (const r of [three, four]) {
      expect(r.record.figures).toEqual(one.record.figures);
      expect(Buffer.from(r.output.positions.buffer).equals(Buffer.from(one.output.positions.buffer))).toBe(true);
    }
  });

  it('shares the large rounds after the full check with the workers, with the same result as one thread', async () => {
    pool ??= createNodePool(2);
    // 82k triangles with a fifth of the vertices jittered by up to 0.4 mm (edges ~0.2 mm): folds
    // everywhere, so the first rounds' cells list more than LOCAL_POOL_MIN_ENTRIES entries.
    const safe = icosphere(10, 6);
    const rand = mulberry32(11);
    const P = safe.positions.slice();
    for (let v = 0; v < P.length / 3; v++) if (rand() < 0.2) for (let a = 0; a < 3; a++) P[3 * v + a]! += 0.8 * (rand() - 0.5);
    const m = { positions: P, indices: safe.indices };
    const input = P.slice();
    const one = await untangleMesh(m, safe.positions);
    const ran = new Map<string, number>();
    const two = await untangleMesh(m, safe.positions, {}, { pool: countingPool(pool, ran) });
    expect(ran.get(LOCAL_CROSSINGS_TASK) ?? 0).toBeGreaterThan(0);
    expect(one.record.figures.rounds).toBeGreaterThan(1);
    expect(two.record.figures).toEqual(one.record.figures);
    expect(two.remaining).toBe(0);
    expect(Buffer.from(two.output.positions.buffer).equals(Buffer.from(one.output.positions.buffer))).toBe(true);
    expect(crossings(two.output)).toBe(0);
    // the input is left as it was (the rounds move a shared copy)
    expect(Buffer.from(P.buffer).equals(Buffer.from(input.buffer))).toBe(true);
    console.log(`local rounds on the pool: ${ran.get(LOCAL_CROSSINGS_TASK)} tasks; ${JSON.stringify(two.record.figures)}`);
  });

  it('the conditioning vouches for a closed mesh after smoothing: its repair skips the flat fans, with the same result', async () => {
    pool ??= createNodePool(2);
    const m = icosphere(10, 4);
    const ran = new Map<string, number>();
    const withPool = await conditionMesh(m, {}, { pool: countingPool(pool, ran) });
    expect(ran.get(FLAT_FANS_TASK)).toBe(1);
    const alone = await conditionMesh(m, {});
    expect(Buffer.from(withPool.output.positions.buffer).equals(Buffer.from(alone.output.positions.buffer))).toBe(true);
    expect(withPool.records[2]!.figures).toEqual(alone.records[2]!.figures);
  });
});

describe('conditionMesh repairs self-intersections after smoothing', () => {
  it('records the repair after smoothing; skipped with untangle: false', async () => {
    const m = icosphere(10, 3);
    const on = await conditionMesh(m, {});
    expect(on.records.map((x) => x.method)).toEqual(['cleanup', 'smooth-windowed-sinc', 'self-intersection-repair', 'cleanup', 'fill-cavities', 'printability-gate']);
    expect(on.records[2]!.params.towards).toBe('the positions before smoothing');
    const off = await conditionMesh(m, { untangle: false });
    expect(off.records.map((x) => x.method)).not.toContain('self-intersection-repair');
  });
});

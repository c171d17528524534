/**
 * Stages that run in slabs on a worker pool must give the single-thread bytes: on a real mesh
 * (ct/ge-head-tilt-variable-spacing at 2 mm, 226 HU) with two real worker threads. Windowed-sinc
 * smoothing (of the mesh cleaned as conditioning does): in sweeps of several steps per slab
 * (poolSweeps) and, for a mesh whose neighbours lie far apart in index, one step per pool
 * round. Edge placement: directions, the blur and density sample, profiles. The accuracy
 * against a reference surface, on a worker beside the gate. A decimation's Hausdorff distance,
 * on a worker beside the conditioning's last steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import { importSeries } from '../dicom/import.js';
import type { Grid } from '../geometry/grid.js';
import type { Mesh, Volume } from '../geometry/types.js';
import { createInlinePool, slabRanges, type WorkerPool } from '../parallel/pool.js';
import { resampleIsotropic } from '../segment/filters/resample.js';
import { shuffledVertices } from '../testing/meshes.js';
import { checkedTopology, cleanupMesh, type MeshTopology } from './cleanup.js';
import { extractSurface } from './isosurface/index.js';
import { buildEdgeTable } from './mesh-utils.js';
import { scanBorderVertices, smoothMesh, smoothMeshAsync, type SmoothParams } from './smooth.js';
import { openEdgeVertices, poolSweeps, sweepTopology } from './smooth-sweep.js';
import { placeVertices, placeVerticesAsync } from './edge/place.js';
import { measureSurfaceAccuracy } from './accuracy.js';
import { startAccuracy, type AccuracyTaskPayload } from './accuracy-pool.js';
import { conditionMesh } from './condition.js';
import { countingPool } from '../../../../test/counting-pool.js';
import './tasks.js';
import './edge/tasks.js';

let raw: Mesh;
let mesh: Mesh;
let grid: Grid;
let volume: Volume;
let pool: WorkerPool;

beforeAll(async () => {
  const dir = dataPath('ct/ge-head-tilt-variable-spacing');
  const sources = seriesSources(dir);
  const resampled = (await resampleIsotropic((await importSeries(sources)).output.volume, 2)).output;
  // on shared memory, as the importer's volumes are: placement runs on the pool only then
  volume = { grid: resampled.grid, data: new Float32Array(new SharedArrayBuffer(4 * resampled.data.length)) };
  volume.data.set(resampled.data);
  const data = new Uint8Array(volume.data.length);
  for (let v = 0; v < data.length; v++) data[v] = volume.data[v]! >= 226 ? 1 : 0;
  grid = volume.grid;
  raw = (await extractSurface({ grid, data }, { field: volume, level: 226 })).output;
  mesh = cleanupMesh(raw, { minShell_mm3: 1, keepShells: 'all' }).output;
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
});

afterAll(async () => {
  await pool?.close();
});

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Conditioning's parameters: the edge table given, the scan-border caps held. */
function params(m: Mesh): SmoothParams {
  return { edges: buildEdgeTable(m.indices, m.positions.length / 3), fixed: scanBorderVertices(m, grid) };
}

let single: { p: SmoothParams; one: ReturnType<typeof smoothMesh> } | undefined;
/**
 * Conditioning's parameters for `mesh` and its single-thread smoothing, worked out once for
 * the three tests that compare with it (they only read both).
 */
function singleThread(): { p: SmoothParams; one: ReturnType<typeof smoothMesh> } {
  if (!single) {
    const p = params(mesh);
    single = { p, one: smoothMesh(mesh, p) };
  }
  return single;
}

/** An inline pool of `size` that runs each round's tasks on this thread in reverse order. */
function reversingPool(size: number): WorkerPool {
  const inline = createInlinePool();
  let queue: Array<() => void> = [];
  return {
    size,
    run<R>(task: string, payload: unknown): Promise<R> {
      if (!queue.length) queueMicrotask(() => {
        const q = queue;
        queue = [];
        for (let i = q.length - 1; i >= 0; i--) q[i]!();
      });
      return new Promise<R>((resolve, reject) => queue.push(() => inline.run<R>(task, payload).then(resolve, reject)));
    },
    close: () => inline.close(),
  };
}

describe('windowed-sinc smoothing on a pool, ct/ge-head-tilt-variable-spacing at 2 mm', () => {
  it('plans each step of each vertex exactly once, slabs first, then the seams between them', () => {
    const nv = mesh.positions.length / 3;
    expect(nv).toBeGreaterThan(50_000);
    const topo = sweepTopology(buildEdgeTable(mesh.indices, nv), openEdgeVertices(buildEdgeTable(mesh.indices, nv), nv));
    for (const parts of [2, 3]) {
      const plan = poolSweeps(nv, topo.span, slabRanges(nv, parts), 2, 40)!;
      expect(plan.map((s) => s.k)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 3]);
      for (const { k, rounds } of plan) {
        expect(rounds.map((r) => r.length)).toEqual([parts, parts - 1]);
        const times = new Uint8Array(k * nv);
        for (const { lo, hi } of rounds.flat()) for (let m = 0; m < k; m++) for (let v = lo[m]!; v < hi[m]!; v++) times[m * nv + v]!++;
        expect(times.every((t) => t === 1)).toBe(true);
      }
    }
    // neighbours far apart in index: slabs too narrow for sweeps
    const far = shuffledVertices(mesh);
    expect(poolSweeps(nv, sweepTopology(buildEdgeTable(far.indices, nv), new Uint8Array(nv)).span, slabRanges(nv, 2), 2, 40)).toBeUndefined();
  });

  it('gives the single-thread bytes on 2 worker threads, in sweeps', async () => {
    const { p, one } = singleThread();
    const two = await smoothMeshAsync(mesh, p, { pool }, 0);
    expect(two.record.params.workers).toBe(2);
    expect(one.record.figures.verticesHeld).toBeGreaterThan(0);
    expect(bytes(two.output.positions).equals(bytes(one.output.positions))).toBe(true);
    expect(two.record.figures).toEqual(one.record.figures);
  });

  it('gives the same bytes whichever part of a round runs first (3 and 4 slabs, reversed)', async () => {
    const { p, one: ref } = singleThread();
    const one = bytes(ref.output.positions);
    for (const size of [3, 4]) {
      const r = await smoothMeshAsync(mesh, p, { pool: reversingPool(size) }, 0);
      expect(bytes(r.output.positions).equals(one), `${size} slabs`).toBe(true);
    }
  });

  it('gives the single-thread bytes one step per round when neighbours lie far apart in index', async () => {
    const far = shuffledVertices(mesh);
    const p = params(far);
    const one = smoothMesh(far, p);
    const two = await smoothMeshAsync(far, p, { pool }, 0);
    expect(bytes(two.output.positions).equals(bytes(one.output.positions))).toBe(true);
  });
});

describe('edge placement on a pool, ct/ge-head-tilt-variable-spacing at 2 mm', () => {
  it('gives the single-thread positions, rules and figures on 2 worker threads', async () => {
    const one = placeVertices(raw, volume);
    const two = await placeVerticesAsync(raw, volume, {}, { pool }, { minParallelVertices: 0 });
    expect(two.record.params.workers).toBe(2);
    expect(two.output.positions.buffer instanceof SharedArrayBuffer).toBe(true); // the accuracy's reference: posted without a copy
    expect(one.record.figures.vertices_edge as number).toBeGreaterThan(10_000);
    expect(one.record.figures.blur_profiles as number).toBeGreaterThan(1000);
    expect(bytes(two.output.positions).equals(bytes(one.output.positions))).toBe(true);
    expect(Buffer.from(two.rules).equals(Buffer.from(one.rules))).toBe(true);
    expect(two.record.figures).toEqual(one.record.figures);
  });

  it("works out the triangles' topology beside the profiles: the one worked out after, and the first clean-up with it gives the same mesh and figures", async () => {
    // counts the pool's tasks in flight, to see that `beside` runs while slabs run
    let inFlight = 0;
    const counting: WorkerPool = {
      size: pool.size,
      run: <R>(task: string, payload: unknown) => {
        inFlight++;
        return pool.run<R>(task, payload).finally(() => inFlight--);
      },
      close: () => pool.close(),
    };
    let beside: MeshTopology | undefined;
    let tasksDuring = 0;
    const placed = await placeVerticesAsync(raw, volume, {}, { pool: counting }, {
      minParallelVertices: 0,
      beside: () => {
        tasksDuring = inFlight;
        beside = checkedTopology(raw);
      },
    });
    expect(tasksDuring).toBe(2);
    const after = checkedTopology(placed.output);
    expect(placed.output.indices).toBe(raw.indices);
    expect(beside!.shellCount).toBe(after.shellCount);
    expect(beside!.shellCount).toBeGreaterThan(1);
    expect(beside!.faces).toEqual(after.faces);
    for (const k of ['edgeStart', 'edgeHe', 'heEdge', 'edgeV'] as const) expect(Buffer.from(beside!.edges[k].buffer).equals(Buffer.from(after.edges[k].buffer)), k).toBe(true);
    expect(Buffer.from(beside!.shellOf.buffer).equals(Buffer.from(after.shellOf.buffer))).toBe(true);
    const cleanup = { minShell_mm3: 1, keepShells: 'all' as const };
    const own = cleanupMesh(placed.output, cleanup);
    const given = cleanupMesh(placed.output, cleanup, beside);
    expect(own.record.figures.shellsDropped as number).toBeGreaterThan(0);
    expect(given.record.figures).toEqual({ ...own.record.figures, topologyReused: true });
    expect(own.record.figures.topologyReused).toBe(false);
    expect(bytes(given.output.positions).equals(bytes(own.output.positions))).toBe(true);
    expect(Buffer.from(given.output.indices.buffer).equals(Buffer.from(own.output.indices.buffer))).toBe(true);
    expect(given.shells).toEqual(own.shells);
    // (shells turned here: the output's topology is left to the caller, with or without)
    expect(given.topology?.edges.edgeV).toEqual(own.topology?.edges.edgeV);
  });
});

describe('accuracy against a reference surface on a worker, ct/ge-head-tilt-variable-spacing at 2 mm', () => {
  it('gives the figures measured on this thread', async () => {
    const tasks: string[] = [];
    const payloads: AccuracyTaskPayload[] = [];
    const recording: WorkerPool = {
      size: pool.size,
      run: (task, payload) => (tasks.push(task), payloads.push(payload as AccuracyTaskPayload), pool.run(task, payload)),
      close: () => pool.close(),
    };
    const reference = { labels: { grid, data: new Uint8Array(volume.data.length) }, surface: raw };
    const smoothed = singleThread().one.output;
    const here = measureSurfaceAccuracy(smoothed, reference, { samples: 20_000 });
    const there = await startAccuracy(smoothed, reference, { samples: 20_000 }, recording)();
    expect(tasks).toEqual(['surface.accuracy']);
    // the reference surface goes on shared memory (the extractor's arrays are not): posting it copies nothing
    expect(raw.indices.buffer instanceof SharedArrayBuffer).toBe(false);
    expect(payloads[0]!.surface.indices.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(payloads[0]!.surface.positions.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(payloads[0]!.surface.indices).toEqual(raw.indices);
    expect(here.samples_from_reference_mesh).toBe(20_000);
    expect(here.mean_mm).toBeGreaterThan(0);
    expect(there.accuracy).toEqual(here);
  });
});

describe("a decimation's Hausdorff distance on a worker, ct/ge-head-tilt-variable-spacing at 2 mm", () => {
  it('gives the figures measured on this thread, in the same order, and the conditioning waits for it', async () => {
    const ran = new Map<string, number>();
    const targetFaces = Math.round(raw.indices.length / 3 / 4);
    const p = { grid, decimate: { targetFaces } };
    const here = await conditionMesh(raw, p, {});
    const there = await conditionMesh(raw, p, { pool: countingPool(pool, ran) });
    expect(ran.get('surface.hausdorff')).toBe(1);
    const dec = (r: typeof here) => r.records.find((x) => x.method === 'decimate-quadric')!;
    // measured, not left as the places the figures were given beforehand
    expect(dec(there).figures.hausdorff_mm as number).toBeGreaterThan(0);
    expect((dec(there).figures.beforeToAfter as { samples: number }).samples).toBeGreaterThan(0);
    expect(JSON.stringify(dec(there).figures)).toBe(JSON.stringify(dec(here).figures));
    expect(bytes(there.output.positions).equals(bytes(here.output.positions))).toBe(true);
    expect(Array.from(there.output.indices)).toEqual(Array.from(here.output.indices));
  });
});

/**
 * floodJoint on a synthetic hip: a ball (cancellous, 300 HU) on a neck running down, sitting in
 * a cup of dense bone (800 HU) with a 1-cell joint space (80 HU) between, the whole joined in
 * one label as a threshold and marrow fill join them. The neck's end is named head; the flood
 * gives the ball and the neck to the head and leaves the cup to the socket.
 */
import { describe, expect, it } from 'vitest';
import { coarseGridOf } from './coarse-grid.js';
import { chamferFromHead, floodJoint, splitJoint } from './ball-joint.js';
import { mulberry32 } from '../synthetic/random.js';
import { IDENTITY_DIRECTION } from '../geometry/grid.js';

const N = 40;
const H = 1;
const S = 2;
function hip() {
  const grid = { dims: [N, N, N] as [number, number, number], spacing_mm: [2, 2, 2] as [number, number, number], origin_mm: [0, 0, 0] as [number, number, number], direction: IDENTITY_DIRECTION };
  const cg = coarseGridOf(grid, 2);
  const hu = new Float32Array(N * N * N).fill(0);
  const lab = new Int32Array(N * N * N);
  const c = [20, 20, 22];
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < N; j++) {
      for (let i = 0; i < N; i++) {
        const q = i + j * N + k * N * N;
        const d = Math.hypot(i - c[0]!, j - c[1]!, k - c[2]!) * 2; // mm
        const neck = Math.hypot(i - c[0]!, j - c[1]!) * 2 <= 10 && k < c[2]!;
        if (d <= 22 || neck) {
          hu[q] = 300; // head and neck
          lab[q] = S;
        } else if (d <= 24.5 && k >= c[2]! - 4) {
          hu[q] = 80; // joint space, filled into the mask
          lab[q] = S;
        } else if (d <= 34 && k >= c[2]! - 4) {
          hu[q] = 800; // the cup
          lab[q] = S;
        }
        if (neck && k <= 8) lab[q] = H; // the femur named below the joint (its neck, within a head diameter of the ball)
      }
    }
  }
  return { cg, hu, lab, c };
}

describe('floodJoint', () => {
  it('gives the ball and neck to the head and the cup to the socket', () => {
    const { cg, hu, lab, c } = hip();
    const renamed = floodJoint(lab, hu, cg, H, S, 60);
    expect(renamed).toBeGreaterThan(0);
    let ballHead = 0;
    let ball = 0;
    let cupHead = 0;
    let cup = 0;
    for (let q = 0; q < lab.length; q++) {
      if (!lab[q]) continue;
      const i = q % N;
      const j = Math.floor(q / N) % N;
      const k = Math.floor(q / (N * N));
      const d = Math.hypot(i - c[0]!, j - c[1]!, k - c[2]!) * 2;
      if (d <= 20) {
        ball++;
        if (lab[q] === H) ballHead++;
      } else if (d >= 27 && d <= 34 && k >= c[2]! - 4 && hu[q] === 800) {
        cup++;
        if (lab[q] === H) cupHead++;
      }
    }
    expect(ballHead / ball).toBeGreaterThan(0.95);
    expect(cupHead / cup).toBeLessThan(0.05);
  });

  it('renames nothing when the head structure has no cells', () => {
    const { cg, hu, lab } = hip();
    for (let q = 0; q < lab.length; q++) if (lab[q] === H) lab[q] = S;
    expect(floodJoint(lab, hu, cg, H, S, 60)).toBe(0);
  });
});

/**
 * The chamfer distance as written first (a tuple per neighbour, the cell's place by division, every neighbour checked
 * against the box): chamferFromHead must give the same float32 distances, bit for bit, since the flood's seeds and so
 * the joint split depend on them.
 */
function chamferReference(cellStructure: Int32Array, dims: [number, number, number], spacing: [number, number, number], head: number, socket: number): Float32Array {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const dist = new Float32Array(cellStructure.length).fill(Infinity);
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  for (let q = 0; q < cellStructure.length; q++) {
    const s = cellStructure[q]!;
    if (s !== head && s !== socket) continue;
    const at = [q % nx, Math.floor(q / nx) % ny, Math.floor(q / plane)];
    for (let t = 0; t < 3; t++) {
      lo[t] = Math.min(lo[t]!, at[t]!);
      hi[t] = Math.max(hi[t]!, at[t]!);
    }
    if (s === head) dist[q] = 0;
  }
  const nb: Array<[number, number, number, number]> = [];
  for (let dk = -1; dk <= 0; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
    if (dk === 0 && (dj > 0 || (dj === 0 && di >= 0))) continue;
    nb.push([di, dj, dk, Math.hypot(di * spacing[0], dj * spacing[1], dk * spacing[2])]);
  }
  const [bx, by, bz] = [hi[0]! - lo[0]! + 1, hi[1]! - lo[1]! + 1, hi[2]! - lo[2]! + 1];
  const m = bx * by * bz;
  for (const dir of [1, -1]) {
    for (let c = 0; c < m; c++) {
      const b = dir > 0 ? c : m - 1 - c;
      const i = lo[0]! + (b % bx), j = lo[1]! + (Math.floor(b / bx) % by), k = lo[2]! + Math.floor(b / (bx * by));
      const q = i + j * nx + k * plane;
      let d = dist[q]!;
      for (const [di, dj, dk, w] of nb) {
        const ii = i + dir * di, jj = j + dir * dj, kk = k + dir * dk;
        if (ii < lo[0]! || jj < lo[1]! || kk < lo[2]! || ii > hi[0]! || jj > hi[1]! || kk > hi[2]!) continue;
        const v = dist[ii + jj * nx + kk * plane]! + w;
        if (v < d) d = v;
      }
      dist[q] = d;
    }
  }
  return dist;
}

describe('chamferFromHead', () => {
  it('gives the first implementation\'s distances bit for bit: 40 random joints on anisotropic grids, boxes touching the grid\'s faces or not', () => {
    const rand = mulberry32(5);
    let compared = 0;
    for (let trial = 0; trial < 40; trial++) {
      const { dims, spacing, lab, cg } = randomJoint(rand, 0.1);
      const got = chamferFromHead(lab, cg, H, S);
      const want = chamferReference(lab, dims, spacing, H, S);
      if (!got.heads) continue;
      expect(Buffer.from(got.dist.buffer).equals(Buffer.from(want.buffer)), `trial ${trial}`).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(30);
  });
});


/**
 * floodJoint as written first (whole-grid passes, a tuple per heap entry), over chamferReference's distances: the
 * reach-cut chamfer, the box-only passes and the typed-array heap must rename the same cells, since the heap's order
 * (HU, then entry) is a total order and the seeds are queued in the same raster order.
 */
function floodReference(lab: Int32Array, hu: Float32Array, dims: [number, number, number], spacing: [number, number, number], head: number, socket: number, reach: number): number {
  const [nx, ny, nz] = dims;
  const plane = nx * ny;
  const n = lab.length;
  const dist = chamferReference(lab, dims, spacing, head, socket);
  if (!lab.some((s) => s === head)) return 0;
  const owner = new Int32Array(n);
  const contested = new Uint8Array(n);
  let any = 0;
  for (let q = 0; q < n; q++) {
    if (lab[q] === head) owner[q] = head;
    else if (lab[q] === socket) {
      if (dist[q]! > reach) owner[q] = socket;
      else {
        contested[q] = 1;
        any++;
      }
    }
  }
  if (!any) return 0;
  const heap: Array<[number, number, number, number]> = [];
  let order = 0;
  const before = (a: [number, number, number, number], b: [number, number, number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: [number, number, number, number]) => {
    heap.push(e);
    let c = heap.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (before(heap[p]!, heap[c]!)) break;
      [heap[p], heap[c]] = [heap[c]!, heap[p]!];
      c = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        const r = l + 1;
        let m = c;
        if (l < heap.length && !before(heap[m]!, heap[l]!)) m = l;
        if (r < heap.length && !before(heap[m]!, heap[r]!)) m = r;
        if (m === c) break;
        [heap[m], heap[c]] = [heap[c]!, heap[m]!];
        c = m;
      }
    }
    return top;
  };
  const steps = [1, -1, nx, -nx, plane, -plane];
  const spread = (q: number, l: number) => {
    const i = q % nx, j = Math.floor(q / nx) % ny, k = Math.floor(q / plane);
    const ok = [i + 1 < nx, i > 0, j + 1 < ny, j > 0, k + 1 < nz, k > 0];
    for (let t = 0; t < 6; t++) {
      const r = q + steps[t]!;
      if (ok[t] && contested[r] === 1) {
        contested[r] = 2;
        push([hu[r]!, order++, r, l]);
      }
    }
  };
  for (let q = 0; q < n; q++) if (owner[q]) spread(q, owner[q]!);
  let renamed = 0;
  while (heap.length) {
    const [, , q, l] = pop();
    owner[q] = l;
    if (l === head) {
      lab[q] = head;
      renamed++;
    }
    spread(q, l);
  }
  return renamed;
}

/** A blob of socket cells with head cells in it, somewhere in a random anisotropic grid (sometimes at its faces), and random HU. */
function randomJoint(rand: () => number, headShare: number) {
  const dims: [number, number, number] = [5 + Math.floor(rand() * 20), 5 + Math.floor(rand() * 20), 3 + Math.floor(rand() * 15)];
  const spacing: [number, number, number] = [0.5 + rand() * 3, 0.5 + rand() * 3, 0.5 + rand() * 5];
  const n = dims[0] * dims[1] * dims[2];
  const lab = new Int32Array(n);
  const hu = new Float32Array(n);
  const c = dims.map((d) => rand() * d);
  const r = 1 + rand() * Math.min(...dims) * 0.6;
  for (let q = 0; q < n; q++) {
    const i = q % dims[0], j = Math.floor(q / dims[0]) % dims[1], k = Math.floor(q / (dims[0] * dims[1]));
    // a few HU values only, so that the heap meets ties and orders them by entry
    hu[q] = 100 * Math.floor(rand() * 8);
    if (Math.hypot(i - c[0]!, j - c[1]!, k - c[2]!) > r) continue;
    lab[q] = rand() < headShare ? H : S;
  }
  const cg = { dims, factors: [1, 1, 1] as [number, number, number], spacing_mm: spacing, centre: new Float32Array(3 * n) };
  return { dims, spacing, lab, hu, cg };
}

describe('chamferFromHead and floodJoint within a reach', () => {
  it('give the whole-box distances up to the reach bit for bit, and rename what the first flood renamed: 60 random joints', () => {
    const rand = mulberry32(11);
    let renamedSome = 0;
    let cut = 0;
    for (let trial = 0; trial < 60; trial++) {
      const { dims, spacing, lab, hu, cg } = randomJoint(rand, 0.03 + 0.1 * rand());
      const reach = 1 + rand() * 12;
      const want = chamferReference(lab, dims, spacing, H, S);
      const got = chamferFromHead(lab, cg, H, S, reach);
      let beyond = 0;
      for (let q = 0; q < lab.length; q++) {
        if (want[q]! <= reach) expect(got.dist[q], `trial ${trial} cell ${q}`).toBe(want[q]);
        else {
          expect(got.dist[q]!, `trial ${trial} cell ${q}`).toBeGreaterThan(reach);
          if (got.dist[q] !== want[q]) beyond++;
        }
      }
      if (beyond) cut++;
      const mine = lab.slice();
      const theirs = lab.slice();
      const a = floodJoint(mine, hu, cg, H, S, reach);
      const b = floodReference(theirs, hu, dims, spacing, H, S, reach);
      expect(a, `trial ${trial}`).toBe(b);
      expect(Buffer.from(mine.buffer).equals(Buffer.from(theirs.buffer)), `trial ${trial}`).toBe(true);
      if (a > 0) renamedSome++;
    }
    // the trials reach past the cut box, and floods that rename cells
    expect(cut).toBeGreaterThan(10);
    expect(renamedSome).toBeGreaterThan(20);
  });
});

describe('splitJoint', () => {
  it('undoes the pass that would give the head more than a ball, as the first implementation (a copy of the labels per pass) did: 60 random joints', () => {
    const rand = mulberry32(23);
    let undone = 0;
    for (let trial = 0; trial < 60; trial++) {
      const { dims, spacing, lab, hu, cg } = randomJoint(rand, 0.01 + 0.05 * rand());
      const reach = 2 + rand() * 6;
      const ball = 1 + rand() * 5; // radius (mm) bounding the head
      const cell_mm3 = spacing[0] * spacing[1] * spacing[2];
      // the first implementation: the labels copied before each pass after the first, restored when it went too far
      const theirs = lab.slice();
      let want = 0;
      for (;;) {
        const before = want > 0 ? theirs.slice() : null;
        const c = floodReference(theirs, hu, dims, spacing, H, S, reach);
        if (c === 0) break;
        if ((want + c) * cell_mm3 > (4 / 3) * Math.PI * ball ** 3 && before) {
          theirs.set(before);
          undone++;
          break;
        }
        want += c;
      }
      const mine = lab.slice();
      expect(splitJoint(mine, hu, cg, H, S, [ball / 2, ball], reach), `trial ${trial}`).toBe(want);
      expect(Buffer.from(mine.buffer).equals(Buffer.from(theirs.buffer)), `trial ${trial}`).toBe(true);
    }
    expect(undone).toBeGreaterThan(5);
  });
});

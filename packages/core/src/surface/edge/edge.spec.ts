import { describe, expect, it } from 'vitest';
import { analyseProfile, KIND_AMBIGUOUS, KIND_PEAK, KIND_STEP, P_BONE, P_EDGE, P_SLOTS, P_T_OUT, phi } from './plateau.js';
import { fitSlab, S_FACE, S_OK, S_SLOTS, S_WIDTH, slabDensity } from './slab.js';
import { fitBlur } from './blur.js';
import { combineEstimate, type EstimateSamples } from './estimate.js';
import { placeVertices, placeVerticesAsync, RULE_EDGE, RULE_OUTSIDE, RULE_THRESHOLD } from './place.js';
import { surfacePoints } from './sample-points.js';
import { getTask } from '../../parallel/registry.js';
import type { WorkerPool } from '../../parallel/pool.js';
import './tasks.js';
import { interpCurvatureC, INTERP_CURVATURE_K, INTERP_CURVATURE_MAX } from './place-slab.js';
import { extractSurfaceMesh } from '../isosurface/extract.js';
import { makePhantom, phantomLabels, shapeSignedDistance, type Phantom } from '../../testing/phantoms.js';
import { checkMesh } from '../topology.js';
import type { Mesh, Volume } from '../../geometry/types.js';
import { thresholdVolume } from '../../segment/threshold.js';

const lim = { minContrast: 100, plateau_mm: 1, minPlateau_mm: 0.4 };
const T = 40;
const B = 1200;

/** f[k] at s = (k − K)h of a blurred slab [s1, s2] (s2 = Infinity: a step), tissue T, bone B. */
function profile(K: number, h: number, sigma: number, s1: number, s2: number): Float64Array {
  const f = new Float64Array(2 * K + 1);
  for (let k = 0; k <= 2 * K; k++) {
    const s = (k - K) * h;
    f[k] = T + (B - T) * (phi((s2 - s) / sigma) - phi((s1 - s) / sigma));
  }
  return f;
}

describe('profile model', () => {
  it('a blurred step: the edge half-way between the plateaus, wherever the threshold put the vertex', () => {
    const p = new Float64Array(P_SLOTS);
    for (const edge of [-0.7, -0.3, 0, 0.25]) {
      analyseProfile(profile(25, 0.2, 0.6, -50, edge), 25, 0.2, 0.6, lim, p);
      expect(p[0]).toBe(KIND_STEP);
      expect(Math.abs(p[P_EDGE]! - edge)).toBeLessThan(0.01);
      expect(Math.abs(p[P_T_OUT]! - T)).toBeLessThan(25); // 2 % of the contrast: both plateaus feel the tails alike
      expect(Math.abs(p[P_BONE]! - B)).toBeLessThan(10); // the window's edge still feels the blur's tail
    }
  });

  it('a wall thinner than the blur: a peak, and the slab model gives its face and thickness', () => {
    const p = new Float64Array(P_SLOTS);
    const s = new Float64Array(S_SLOTS);
    for (const w of [0.5, 1.0, 1.5]) {
      const face = -0.4;
      const f = profile(25, 0.2, 0.65, face - w, face);
      analyseProfile(f, 25, 0.2, 0.65, lim, p);
      expect(p[0]).toBe(KIND_PEAK);
      expect(p[P_BONE]!).toBeLessThan(B - 100); // the peak never reaches the bone: no level is right
      fitSlab(f, 25, 0.2, 0.65, B, lim.plateau_mm, p, s);
      expect(s[S_OK]).toBe(1);
      expect(Math.abs(s[S_WIDTH]! - w)).toBeLessThan(0.01);
      expect(Math.abs(s[S_FACE]! - face)).toBeLessThan(0.01);
    }
  });

  it('the slab density from area and peak when the blur is known; NaN where thickness and density cannot be told apart', () => {
    const sigma = 0.6;
    for (const w of [1.2, 2]) {
      const peak = (B - T) * (2 * phi(w / (2 * sigma)) - 1);
      expect(Math.abs(slabDensity((B - T) * w, peak, sigma) - (B - T))).toBeLessThan(1);
    }
    const w = 0.2;
    expect(slabDensity((B - T) * w, (B - T) * (2 * phi(w / (2 * sigma)) - 1), sigma)).toBeNaN();
  });

  it('no edge: a flat profile, or another structure in the tissue window, is ambiguous', () => {
    const p = new Float64Array(P_SLOTS);
    analyseProfile(new Float64Array(51).fill(300), 25, 0.2, 0.6, lim, p);
    expect(p[0]).toBe(KIND_AMBIGUOUS);
    const f = profile(25, 0.2, 0.6, -50, 0);
    for (let k = 33; k <= 40; k++) f[k] = f[k]! + (k % 2 ? 500 : 0); // a neighbour 1.6–3 mm out
    analyseProfile(f, 25, 0.2, 0.6, lim, p);
    expect(p[0]).toBe(KIND_AMBIGUOUS);
  });

  it('the blur per axis from edge widths, the voxel share kept where a direction is missing', () => {
    const spacing = [0.5, 0.5, 1.25];
    const psf = 0.5;
    const sig2 = new Float64Array(300);
    const dirs = new Float64Array(900);
    for (let i = 0; i < 300; i++) {
      const a = [i % 3 === 0 ? 1 : 0, i % 3 === 1 ? 1 : 0, 0]; // no profile along z
      dirs.set(a, 3 * i);
      sig2[i] = psf * psf + 0.185 * (a[0]! * 0.25 + a[1]! * 0.25);
    }
    const b = fitBlur(sig2, dirs, 200, 0.4, spacing);
    expect(b.median_mm).toBeCloseTo(psf, 3);
    expect(b.sigma_mm[0]).toBeCloseTo(Math.sqrt(psf * psf + 0.185 * 0.25), 3);
    expect(b.sigma_mm[2]).toBeCloseTo(Math.sqrt(psf * psf + 0.185 * 1.5625), 2);
  });

  it('the blur per axis follows the bulk of the profiles, not their wide tail', () => {
    // a third of the profiles read 1.6× wide (a neighbour in a window, a rim), most of them
    // leaning toward the slice axis, as on thick slices: least squares of σ² followed them
    const spacing = [0.5, 0.5, 3];
    const psf = [0.6, 0.6, 1.5];
    const n = 900;
    const sig2 = new Float64Array(n);
    const dirs = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const t = (i % 10) / 10; // the share along z: 0 … 0.9
      const u = ((i * 7) % 13) / 13;
      const a = [(1 - t) * u, (1 - t) * (1 - u), t];
      dirs.set(a, 3 * i);
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[k]! * (psf[k]! ** 2 + 0.185 * spacing[k]! ** 2);
      sig2[i] = i % 3 === 0 && t > 0 ? 2.56 * s : s;
    }
    const b = fitBlur(sig2, dirs, n, 0.5, spacing);
    // least squares gave 1.23 mm in-plane for 0.64 (+93 %); this +7 % (the tail is a third of
    // every leaning direction's profiles)
    for (let k = 0; k < 3; k++) expect(Math.abs(b.sigma_mm[k]! / Math.sqrt(psf[k]! ** 2 + 0.185 * spacing[k]! ** 2) - 1)).toBeLessThan(0.08);
  });
});

function meanAbsSdf(mesh: Mesh, ph: Phantom): { mean: number; signed: number } {
  const P = mesh.positions;
  let s = 0;
  let a = 0;
  for (let v = 0; v < P.length / 3; v++) {
    const d = shapeSignedDistance(ph.shape, P[3 * v]! - ph.centre_mm[0], P[3 * v + 1]! - ph.centre_mm[1], P[3 * v + 2]! - ph.centre_mm[2]);
    s += d;
    a += Math.abs(d);
  }
  return { mean: a / (P.length / 3), signed: s / (P.length / 3) };
}

describe('combineEstimate', () => {
  // σ² samples along x (axis2 = 1, 0, 0): thick edges at σ 0.5 mm, walls between two faces widened to 0.7 mm
  const samples = (thick: number, walls: number, wallBone: number): EstimateSamples => {
    const n = thick + walls;
    const wall = Uint8Array.from({ length: n }, (_, i) => (i % 2 === 1 && i < 2 * walls ? 1 : 0));
    if (walls > thick) wall.fill(1, 2 * thick);
    const sig2 = Float64Array.from(wall, (w) => (w ? 0.49 : 0.25));
    const axis2 = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) axis2[3 * i] = 1;
    const bones = Float64Array.from(wall, (w) => (w ? wallBone : B));
    return { sig2, axis2, sig2Wall: wall, bones, bonesWall: wall.slice(), bonesSolid: new Uint8Array(n), peakBones: new Float64Array(0) };
  };
  // thick steps at `step` HU (the first `solid` of them hold across), and thin walls' peaks at `peak` HU
  const withPeaks = (steps: number, step: number, solid: number, peaks: number, peak: number): EstimateSamples => ({
    sig2: new Float64Array(steps).fill(0.25),
    axis2: Float64Array.from({ length: 3 * steps }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    sig2Wall: new Uint8Array(steps),
    bones: Float64Array.from({ length: steps }, (_, i) => step + (i % 7) - 3),
    bonesWall: new Uint8Array(steps),
    bonesSolid: Uint8Array.from({ length: steps }, (_, i) => (i < solid ? 1 : 0)),
    peakBones: Float64Array.from({ length: peaks }, (_, i) => peak + (i % 5) - 2),
  });

  it('takes the blur and the bone density from thick edges only when it has enough of them', () => {
    const e = combineEstimate([samples(40, 200, 1260)]);
    expect(e.count).toBe(40);
    expect([...e.sig2].every((x) => x === 0.25)).toBe(true);
    expect(e.bone).toBe(B);
  });

  it('uses the walls too where thick edges are too few to stand alone (a scan of thin bone only)', () => {
    const e = combineEstimate([samples(10, 200, 1260)]);
    expect(e.count).toBe(210);
    expect(e.bone).toBe(1260);
  });

  it('thin walls’ peaks above the thick edges win unless solid bone backs the edges', () => {
    // no solid plateau: the steps may be rims of the walls, below the bone
    const rims = combineEstimate([withPeaks(200, 1100, 0, 300, 1300)]);
    expect(rims).toMatchObject({ bone: 1300, boneFrom: 'thin walls', solidSamples: 0, solidBacked: false });
    expect(rims.solidBone).toBeNaN();
    // solid bone as dense as the steps, in two ranges: the peaks (16 % above) are the blur model's misreading
    const solid = combineEstimate([withPeaks(100, 1190, 20, 150, 1395), withPeaks(100, 1190, 20, 150, 1395)]);
    expect(solid).toMatchObject({ bone: 1192, boneFrom: 'thick edges', solidSamples: 40, solidBacked: true });
    expect(solid.solidBone).toBe(1192);
    // fewer than MIN_THICK solid samples do not count
    expect(combineEstimate([withPeaks(200, 1190, 15, 300, 1395)]).boneFrom).toBe('thin walls');
    // solid plateaus below the steps' level are not what the steps read: the peaks win
    expect(combineEstimate([withPeaks(200, 1190, 0, 300, 1395), withPeaks(40, 900, 40, 0, 0)])).toMatchObject({ boneFrom: 'thin walls', solidBacked: false });
    // nor do they back steps that win over the peaks (rims of thin walls passing for solid)
    expect(combineEstimate([withPeaks(200, 1190, 0, 300, 900), withPeaks(40, 1100, 40, 0, 0)])).toMatchObject({ boneFrom: 'thick edges', solidBacked: false });
    expect(combineEstimate([withPeaks(200, 1190, 0, 300, 900), withPeaks(40, 1140, 40, 0, 0)])).toMatchObject({ boneFrom: 'thick edges', solidBacked: true });
    // peaks far above the solid bone (thin cortex over cancellous bone) size the walls themselves
    expect(combineEstimate([withPeaks(200, 500, 200, 300, 1100)])).toMatchObject({ bone: 1100, boneFrom: 'thin walls' });
    // below them the steps win as before, solid or not
    expect(combineEstimate([withPeaks(200, 1200, 0, 300, 900)])).toMatchObject({ bone: 1202, boneFrom: 'thick edges' });
  });
});

describe('placeVertices', () => {
  // a sphere r 8 at 0.8 mm, blurred 0.5 mm, noise 10 HU, meshed at a low threshold (226 HU)
  const ph = makePhantom({ kind: 'sphere', radius_mm: 8 }, { spacing_mm: [0.8, 0.8, 0.8], background_hu: T, object_hu: B, blurSigma_mm: 0.5, noiseSigma_hu: 10, seed: 5 });
  const raw = extractSurfaceMesh(phantomLabels(ph, 226), { field: ph.volume, level: 226 });

  it('moves the vertices from the 226 HU iso-surface onto the edge, within the clamp, topology untouched', () => {
    const before = meanAbsSdf(raw, ph);
    const r = placeVertices(raw, ph.volume);
    const after = meanAbsSdf(r.output, ph);
    expect(before.signed).toBeGreaterThan(0.4); // the threshold sits outward
    expect(Math.abs(after.signed)).toBeLessThan(0.05);
    expect(after.mean).toBeLessThan(before.mean / 4);
    expect(r.output.indices).toBe(raw.indices);
    const f = r.record.figures as Record<string, number>;
    expect(f.vertices_edge! + f.vertices_slab! + f.vertices_threshold_fallback! + f.vertices_outside_scan!).toBe(raw.positions.length / 3);
    expect(f.vertices_edge).toBeGreaterThan(0.9 * f.vertices!); // the rest: profiles leaving the small grid
    let edges = 0;
    for (const x of r.rules) if (x === RULE_EDGE) edges++;
    expect(edges).toBe(f.vertices_edge);
    expect(f.shift_max_mm).toBeLessThanOrEqual(1.5 * 0.8 * Math.sqrt(3) + 1e-6);
    const c = checkMesh(r.output);
    expect(c).toMatchObject({ closed: true, manifold: true, oriented: true, shells: 1 });
  });

  it('is deterministic, and the threshold rule keeps the positions', () => {
    const a = placeVertices(raw, ph.volume);
    const b = placeVertices(raw, ph.volume);
    expect(Buffer.from(a.output.positions.buffer).equals(Buffer.from(b.output.positions.buffer))).toBe(true);
    const t = placeVertices(raw, ph.volume, { placement: 'threshold' });
    expect(t.output.positions).toBe(raw.positions);
    expect(t.record.method).toBe('threshold-level-placement');
  });

  it('in slabs on a pool: the same bytes and figures as one thread', async () => {
    // a pool of 3 that runs each slab inline, in reverse order of submission, on a volume in shared memory
    const calls: string[] = [];
    const pool: WorkerPool = {
      size: 3,
      async run<R>(task: string, payload: unknown): Promise<R> {
        calls.push(task);
        await new Promise((r) => setTimeout(r, 3 - (calls.length % 3)));
        return (await getTask(task)(payload)) as R;
      },
      async close() {},
    };
    const data = new Float32Array(new SharedArrayBuffer(ph.volume.data.byteLength));
    data.set(ph.volume.data);
    const one = placeVertices(raw, ph.volume);
    const many = await placeVerticesAsync(raw, { grid: ph.volume.grid, data }, {}, { pool }, { minParallelVertices: 0 });
    const three = (t: string): string[] => [t, t, t];
    expect(calls).toEqual([...three('surface.edge.directions'), ...three('surface.edge.estimate'), ...three('surface.edge.estimate'), ...three('surface.edge.place')]);
    expect(Buffer.from(many.output.positions.buffer).equals(Buffer.from(one.output.positions.buffer))).toBe(true);
    expect(Buffer.from(many.rules).equals(Buffer.from(one.rules))).toBe(true);
    expect(Buffer.from(many.rims).equals(Buffer.from(one.rims))).toBe(true);
    expect(many.record.figures).toEqual(one.record.figures);
    expect(many.record.params.workers).toBe(3);
  });

  it('places a vertex whose profile leaves the scan from the edge voxels repeated outward; a vertex outside the scan stays', () => {
    // the same sphere in a scan that ends 1.2 mm above its top: its top vertices' profiles (±3σ and
    // more) leave the scan. Their edge is still there: the last slice holds the tissue plateau.
    const [nx, ny] = ph.volume.grid.dims;
    const kCentre = (ph.volume.grid.dims[2] - 1) / 2;
    const nz = Math.floor(kCentre + (8 + 1.2) / 0.8) + 1;
    const cut: Volume = { grid: { ...ph.volume.grid, dims: [nx, ny, nz] }, data: ph.volume.data.slice(0, nx * ny * nz) };
    const mesh = extractSurfaceMesh(thresholdVolume(cut, 226, 3071), { field: cut, level: 226 });
    const r = placeVertices(mesh, cut);
    const f = r.record.figures as Record<string, number>;
    expect(f.vertices_outside_scan).toBe(0);
    expect(f.vertices_edge).toBe(f.vertices);
    // the top cap (within 2 mm of the pole) on the edge, where the threshold level lies 0.4 mm out
    const top = (m: Mesh) => {
      const P = m.positions;
      let s = 0, n = 0;
      for (let v = 0; v < P.length / 3; v++) {
        if (P[3 * v + 2]! - ph.centre_mm[2] < 6) continue;
        s += shapeSignedDistance(ph.shape, P[3 * v]! - ph.centre_mm[0], P[3 * v + 1]! - ph.centre_mm[1], P[3 * v + 2]! - ph.centre_mm[2]);
        n++;
      }
      return { signed: s / n, n };
    };
    expect(top(mesh).n).toBeGreaterThan(50);
    expect(top(mesh).signed).toBeGreaterThan(0.3);
    expect(Math.abs(top(r.output).signed)).toBeLessThan(0.08);
    // a scan that ends inside the sphere: the cap the extraction closes it with lies outside the
    // sampled grid (half a voxel beyond the last slice) and stays where it is
    const nzIn = Math.floor(kCentre) + 1;
    const half: Volume = { grid: { ...ph.volume.grid, dims: [nx, ny, nzIn] }, data: ph.volume.data.slice(0, nx * ny * nzIn) };
    const capped = extractSurfaceMesh(thresholdVolume(half, 226, 3071), { field: half, level: 226 });
    const rc = placeVertices(capped, half);
    const fc = rc.record.figures as Record<string, number>;
    expect(fc.vertices_outside_scan).toBeGreaterThan(0);
    for (let v = 0; v < rc.rules.length; v++) {
      if (rc.rules[v] !== RULE_OUTSIDE) continue;
      for (let c = 0; c < 3; c++) expect(rc.output.positions[3 * v + c]).toBe(capped.positions[3 * v + c]);
    }
    expect(checkMesh(rc.output)).toMatchObject({ closed: true, manifold: true, oriented: true });
  });

  it('falls back to the threshold where the profile shows no edge (low contrast), and counts it', () => {
    const low = makePhantom({ kind: 'sphere', radius_mm: 8 }, { spacing_mm: [0.8, 0.8, 0.8], background_hu: 0, object_hu: 80, blurSigma_mm: 0.5, seed: 5 });
    const m = extractSurfaceMesh(phantomLabels(low, 40), { field: low.volume, level: 40 });
    const r = placeVertices(m, low.volume);
    const f = r.record.figures as Record<string, number>;
    expect(f.vertices_edge! + f.vertices_slab!).toBe(0);
    expect(f.vertices_threshold_fallback).toBeGreaterThan(0.9 * f.vertices!);
    for (const x of r.rules) expect(x === RULE_THRESHOLD || x === RULE_OUTSIDE).toBe(true);
    expect(Buffer.from(r.output.positions.buffer).equals(Buffer.from(m.positions.buffer))).toBe(true);
    expect(r.record.findings?.[0]?.code).toBe('EDGE_PLACEMENT_FALLBACK');
  });
});

describe('surfacePoints: where the estimation pass reads its profiles', () => {
  // two triangles in z = 0, areas 3 : 1, directions +z (the last vertex has none)
  const positions = new Float32Array([0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0]);
  const mesh = { positions, indices: new Uint32Array([0, 1, 2, 3, 4, 5]) };
  const up = new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
  const f32 = (n: number): Float32Array => new Float32Array(n);

  it('spreads the points by area, each inside its triangle, the same every time', () => {
    expect(surfacePoints(mesh.positions, mesh.indices, up, 400, f32).count).toBe(2); // no more points than triangles
    // a strip of 1000 triangles, areas growing linearly, all facing +z
    const strip = stripMesh(1000);
    const stripUp = new Float32Array(strip.positions.length).map((_, i) => (i % 3 === 2 ? 1 : 0));
    const q = surfacePoints(strip.positions, strip.indices, stripUp, 500, f32);
    expect(q.count).toBe(500);
    // the triangle of unit width at x ∈ [k, k + 1] has area ∝ k + ½: a point's x is where the running area passes its share
    let firstHalf = 0;
    for (let j = 0; j < q.count; j++) {
      const x = q.positions[3 * j]!, y = q.positions[3 * j + 1]!;
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(x + 1e-4); // inside the strip's triangles (below y = x)
      if (x < 500) firstHalf++;
      expect(q.dirs[3 * j + 2]).toBeCloseTo(1, 6);
    }
    // area below x = 500 is a quarter of the whole (∫x dx): by vertex count it would be half
    expect(Math.abs(firstHalf - 125)).toBeLessThanOrEqual(2);
    const again = surfacePoints(strip.positions, strip.indices, stripUp, 500, f32);
    expect(Buffer.from(again.positions.buffer).equals(Buffer.from(q.positions.buffer))).toBe(true);
  });

  it('gives a point a zero direction (skipped) where a vertex of its triangle has none', () => {
    const d = up.slice();
    d.fill(0, 6, 9); // vertex 2: no direction
    // the small triangle first: one point in each
    const p = surfacePoints(mesh.positions, new Uint32Array([3, 4, 5, 0, 1, 2]), d, 2, f32);
    expect(p.dirs[2]).toBeCloseTo(1, 6);
    expect([p.dirs[3], p.dirs[4], p.dirs[5]]).toEqual([0, 0, 0]);
  });

  it('makes the blur estimate independent of the threshold that placed the vertices', () => {
    // vertices at a threshold lie on grid edges at one distance from the edge, so profiles
    // through them met the voxel centres at one phase of the edge: on this sphere the point-spread
    // σ read 0.560, 0.499, 0.533 and 0.563 mm at 101, 226, 400 and 662 HU; now 0.528 to 0.536
    const ph = makePhantom({ kind: 'sphere', radius_mm: 12 }, { spacing_mm: [0.8, 0.8, 0.8], background_hu: T, object_hu: B, blurSigma_mm: 0.5, seed: 5 });
    const psf = [101, 226, 400, 662].map((level) => {
      const m = extractSurfaceMesh(phantomLabels(ph, level), { field: ph.volume, level });
      return placeVertices(m, ph.volume).record.figures.blur_psf_sigma_mm as number;
    });
    expect(Math.max(...psf) - Math.min(...psf)).toBeLessThan(0.02);
  });
});

/** Triangles (k, 0) (k + 1, 0) (k + 1, k + 1), k = 0 … n − 1: areas (k + 1)/2. */
function stripMesh(n: number): Mesh {
  const positions = new Float32Array(9 * n);
  const indices = new Uint32Array(3 * n);
  for (let k = 0; k < n; k++) {
    positions.set([k, 0, 0, k + 1, 0, 0, k + 1, k + 1, 0], 9 * k);
    indices.set([3 * k, 3 * k + 1, 3 * k + 2], 3 * k);
  }
  return { positions, indices };
}

describe('the grid’s share of the curvature correction (interpCurvatureC)', () => {
  it('grows as the scanner’s blur along the edge narrows against the voxel, up to its cap', () => {
    // psf_t / s_t = ρ: K / ρ above ρ = K / MAX, MAX below it (and for a fit at or under the voxel's share)
    expect(interpCurvatureC(0.5 ** 2, 1)).toBeCloseTo(INTERP_CURVATURE_K / 0.5, 12);
    expect(interpCurvatureC(0.8 ** 2 * 1.5625, 1.5625)).toBeCloseTo(INTERP_CURVATURE_K / 0.8, 12);
    expect(interpCurvatureC(0.1 ** 2, 1)).toBe(INTERP_CURVATURE_MAX);
    expect(interpCurvatureC(-0.2, 1)).toBe(INTERP_CURVATURE_MAX);
    expect(interpCurvatureC(0.3, 0)).toBe(INTERP_CURVATURE_MAX);
    // continuous at the cap, and never above it
    const rhoCap = INTERP_CURVATURE_K / INTERP_CURVATURE_MAX;
    expect(interpCurvatureC(rhoCap ** 2 * (1 + 1e-9), 1)).toBeCloseTo(INTERP_CURVATURE_MAX, 6);
    for (let r = 0.05; r < 3; r += 0.05) expect(interpCurvatureC(r * r, 1)).toBeLessThanOrEqual(INTERP_CURVATURE_MAX);
  });
});

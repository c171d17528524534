/**
 * The per-vertex passes of edge placement as slab kernels: each vertex reads only the volume,
 * its own position and direction (and its own curvature), and writes only its own entries, so
 * a range of vertices runs on any worker and the output is the same bytes whatever the pool
 * size. Statistics (sums, counts) are taken afterwards on the calling thread in vertex order.
 */
import { analyseProfile, KIND_PEAK, KIND_STEP, P_EDGE, P_S_OUT, P_SLOTS, profileHalfLength, profileReach, type ProfileLimits } from './plateau.js';
import { gradientAt, sampleProfile, worldDirToIndex, type ProfileSampler } from './profile.js';
import { fitSlab, S_AREA, S_FACE, S_OK, S_SLOTS, S_TISSUE, S_WIDTH, S_WIN_A, S_WIN_B } from './slab.js';
import { hypot3 } from './hypot.js';
import { acrossDirections } from './across.js';
import { VOXEL_BLUR_C } from './blur.js';

export const EDGE_DIRECTIONS_TASK = 'surface.edge.directions';
export const EDGE_PLACE_TASK = 'surface.edge.place';

/** Per-vertex rule codes (PlaceResult.rules). */
export const RULE_THRESHOLD = 0;
export const RULE_EDGE = 1;
export const RULE_SLAB = 2;
export const RULE_OUTSIDE = 3;

/**
 * Rim flags (PlaceResult.rims), for the conditioning's refinement there: RIM_END at a thin wall's
 * end (the peak's outer half-maximum, ruled RULE_EDGE); RIM_BESIDE on a face within ~σ of it (a
 * lateral probe left the wall: wallEnds' WALL_FACE, ruled RULE_SLAB). Why the second: where a
 * 2 mm wall's corners read as steps, few of its end's vertices are peaks (README).
 */
export const RIM_END = 1;
export const RIM_BESIDE = 2;

/** Curvature correction σ²H only where σ|H| ≤ this (spheres down to ~4σ radius; sharp edges are clamped). */
const MAX_SIGMA_H = 0.15;

/**
 * The sampled grid's own share of the curvature shift, per mm² of the voxel's mean squared side
 * across the profile (s_t²): the correction is (σ² + C·s_t²)·H. Why: σ (from the 25–75 % widths
 * along the profile, voxel share 0.185·s²) is the blur across the edge, but a curved edge's
 * half-way surface moves with the blur along it, and there the grid blurs more: trilinear
 * interpolation of a field that is concave across the profile reads low by ½·t(1−t)·s²·f''
 * (t the phase in the cell), on top of the voxel's box.
 *
 * C = min(INTERP_CURVATURE_MAX, INTERP_CURVATURE_K / ρ), ρ = the scanner's own blur along the
 * edge over s_t (psf_t² = σ_t² − 0.185·s_t² on the profile's two tangent directions): that
 * formula holds where the field is smooth over a cell; where the scanner's blur is narrow
 * against the voxel, the field between two samples astride the edge is far from its
 * second-order expansion and the interpolant cuts the curve deeper. Measured on spheres r 15
 * under the exact blur (bench/results/fidelity-grid-exact.md, noise 5-15 HU) with C fixed at
 * 0.25: at σ 0.3 mm the spheres sat −0.43 / −0.63 % on 1 / 1.25 mm voxels, at σ 0.8 +0.13 /
 * +0.10 %: the C each needed was ~0.55 above the voxel's box at ρ 0.24-0.3, ~0.3 at ρ 0.4-0.5,
 * ~0.15-0.2 at ρ 0.64-0.8 (K / ρ with K 0.15). A single constant could only trade one end
 * for the other (0.35: grid 111 of 114, but spheres r 10 at σ 0.7 on 1.25 mm voxels +0.84 %).
 * With this rule: exact grid 110 → 112 of 114 rows within, the planar-blur grid 62 → 64; on
 * another set (seed 11, noise 12 HU, σ 0.4 / 0.7, spheres r 10 and 20, 0.6-1.25 mm voxels) every
 * sphere within ±0.3 % (r 10 at σ 0.4 on 1.25 mm: −0.50 → −0.10 %), plates 2.5 mm within
 * 0.3 % of before; shells r 20 with a 3 mm wall at σ 0.4 on 1-1.25 mm voxels lose 0.1 % more
 * (−1.45 / −1.75 → −1.54 / −1.86 %: their concave inner face moves in as the outer moves out).
 * Real data: the Philips phantom's 1 mm scan +0.05 % in volume; its rescan offsets (core
 * surfaceOffset, 40 000 samples) −0.0153 / +0.0119 → −0.0165 / +0.0114 mm (its 2.4 mm tilted
 * scan keeps C 0.25, INTERP_CURVATURE_MAX_ASPECT).
 */
export const INTERP_CURVATURE_K = 0.15;
export const INTERP_CURVATURE_MAX = 0.6;
/**
 * Voxels longer than this against their shortest side (thick slices) keep C = 0.25: there the
 * rule above would take C to its cap on every profile across the slices (psf_t ≪ s_t along
 * them) and moved phantoms at 0.5×0.5×3-5 mm further out (sphere r 15 +0.91 → +2.08 %, plate
 * 6 mm +7.4 → +9.5 % at 4 mm slices), where C 0.25 already overshoots: the Gaussian blur
 * model does not hold for a 3-5 mm box (issue 8's note; thick slices are an open gap).
 */
export const INTERP_CURVATURE_MAX_ASPECT = 2.5;
export const INTERP_CURVATURE_C_THICK = 0.25;

/** C of the curvature correction for a voxel side s_t² and the scanner's blur psf_t² along the edge (INTERP_CURVATURE_K). */
export function interpCurvatureC(psfT2: number, st2: number): number {
  if (!(st2 > 0)) return INTERP_CURVATURE_MAX;
  // a blur fit at or under the voxel's own share: the sharpest edge
  const rho = Math.sqrt(Math.max(psfT2, 0) / st2);
  return rho * INTERP_CURVATURE_MAX > INTERP_CURVATURE_K ? INTERP_CURVATURE_K / rho : INTERP_CURVATURE_MAX;
}

/**
 * The slab model takes the profile to cross a wall that runs on sideways. At the end of a thin
 * structure (a plate's rim) the profile runs along the wall or across its corner, and the model
 * read the short stretch of bone it saw as a thin wall of full density: the rims of plates
 * 1.5-2 mm retracted 0.25-0.5 mm (plates 4-8 % short). So three profiles parallel to the first,
 * LATERAL_SIGMA σ aside at 120° from each other, must hold LATERAL_MIN of its area: beside a wall
 * they hold all of it, beside a wall's end one of them leaves the wall. Where one does not, the
 * edge is the structure's own half-way level, the peak's outer half-maximum, as for a step whose
 * plateau is the thin structure's own level. (The surface's curvature told rims from faces
 * without noise, but at 20-30 HU a face's curvature is noise: walls +0.1-0.2 mm.)
 */
export const LATERAL_SIGMA = 1.2;
export const LATERAL_MIN = 0.75;

/** A face beside a rim (wallEnds): probes holding over FACE_PROBE_MIN of this profile's area have the wall's centroid within FACE_SHIFT_SIGMA σ of its own. */
export const FACE_PROBE_MIN = 0.5;
export const FACE_SHIFT_SIGMA = 0.5;

/**
 * A face beside a rim reads the wall FACE_FAR_SIGMA σ and one σ more farther in as well, where the
 * three probes' areas say the wall goes on (their first harmonic round the vertex). Within ~σ of
 * the end the probes at LATERAL_SIGMA σ still lose area to the blur at the end; and the profile
 * there leans toward the end (the threshold surface is rounded), so along it the wall is fuller
 * the deeper it goes and its centroid lies too deep (faces 0.1-0.2 mm inside within 1 mm of a
 * 1.5 mm plate's end). The first far probe's area counts for the wall's (its centroid may lie up to
 * FACE_FAR_SHIFT_SIGMA σ along the profile: the lean); where the two hold the same area, the line
 * through their centroids, taken back to this profile, is the wall's centre there. Measured on the
 * exact fidelity grid: the area alone 109 → 110 of 114 rows (plate 1.5 mm at σ 0.8 mm, 1 mm voxels,
 * noise 15: −3.07 → −2.85 %); the centre: 110 still, its 54 plates' median |volume error|
 * 1.11 → 0.78 %, mean −1.08 → −0.75 % (that plate −2.03 %).
 */
export const FACE_FAR_SIGMA = 2;
export const FACE_FAR_SHIFT_SIGMA = 1.5;

export interface DirectionsSlab {
  S: ProfileSampler;
  positions: Float32Array;
  normals: Float64Array;
  /** Output: unit profile directions (zero where undefined). */
  dirs: Float32Array;
  v0: number;
  v1: number;
}

/**
 * The profile direction per vertex: minus the field gradient (bone is bright, so it points
 * out of the bone), where it agrees with the mesh normal within 60°; else the mesh normal.
 * Zero where neither is defined.
 */
export function directionsSlab(w: DirectionsSlab): void {
  const { S, positions: P, normals, dirs: out } = w;
  const q = new Float64Array(3);
  const g = new Float64Array(3);
  const [d0, d1, d2, d3, d4, d5, d6, d7, d8] = S.direction as number[];
  const [ox, oy, oz] = S.origin, [sx, sy, sz] = S.spacing;
  for (let v = w.v0; v < w.v1; v++) {
    let mx = normals[3 * v]!, my = normals[3 * v + 1]!, mz = normals[3 * v + 2]!;
    const ml = hypot3(mx, my, mz);
    if (!(ml > 0)) continue;
    mx /= ml;
    my /= ml;
    mz /= ml;
    // worldToIndex, written out
    const px = P[3 * v]! - ox, py = P[3 * v + 1]! - oy, pz = P[3 * v + 2]! - oz;
    q[0] = (px * d0 + py * d1 + pz * d2) / sx;
    q[1] = (px * d3 + py * d4 + pz * d5) / sy;
    q[2] = (px * d6 + py * d7 + pz * d8) / sz;
    gradientAt(S, q, g);
    const gl = hypot3(g[0]!, g[1]!, g[2]!);
    let nx = mx, ny = my, nz = mz;
    if (gl > 0) {
      const gx = -g[0]! / gl, gy = -g[1]! / gl, gz = -g[2]! / gl;
      if (gx * mx + gy * my + gz * mz >= 0.5) {
        nx = gx;
        ny = gy;
        nz = gz;
      }
    }
    out[3 * v] = nx;
    out[3 * v + 1] = ny;
    out[3 * v + 2] = nz;
  }
}

export interface PlaceSlab {
  S: ProfileSampler;
  positions: Float32Array;
  dirs: Float32Array;
  curv: Float32Array;
  sigma: [number, number, number];
  bone: number;
  K: number;
  h: number;
  lim: ProfileLimits;
  maxShiftVox: number;
  /** The clamp is at least this many σ along the direction (PlaceParams.maxShift_sigma). */
  maxShiftSigma: number;
  /** Outputs per vertex: position, rule, shift along the direction (mm, after the clamp), clamped flag. */
  out: Float32Array;
  rules: Uint8Array;
  shift: Float64Array;
  clamped: Uint8Array;
  /** RIM_END where the vertex was placed at a thin wall's end, RIM_BESIDE on a face beside it; else 0. */
  rims: Uint8Array;
  v0: number;
  v1: number;
}

export function sigmaAlong(S: ProfileSampler, sigma: number[], nx: number, ny: number, nz: number): number {
  const d = S.direction;
  let s2 = 0;
  for (let i = 0; i < 3; i++) {
    const a = nx * d[3 * i]! + ny * d[3 * i + 1]! + nz * d[3 * i + 2]!;
    s2 += a * a * sigma[i]! * sigma[i]!;
  }
  return Math.sqrt(s2);
}

/** The mean of per-axis values x (squared sides or blurs) over the two directions across a profile whose direction has grid components a. */
function acrossProfile(a0: number, a1: number, a2: number, x0: number, x1: number, x2: number): number {
  return (x0 + x1 + x2 - (a0 * a0 * x0 + a1 * a1 * x1 + a2 * a2 * x2)) / 2;
}

/** A blurred curved edge's half-way surface lies σ²·H inside the edge (H the mean curvature; σ² with the grid's share along it, interpCurvatureC). */
export function placeSlab(w: PlaceSlab): void {
  const { S, positions: P, dirs, curv, sigma, bone, K, h, lim, maxShiftVox, maxShiftSigma, out, rules, shift, clamped, rims } = w;
  const f = new Float64Array(2 * K + 1);
  const p = new Float64Array(P_SLOTS);
  const sl = new Float64Array(S_SLOTS);
  const q = new Float64Array(3);
  const di = new Float64Array(3);
  const g = new Float64Array(2 * K + 1);
  const lat = new Float64Array(3);
  const anchor = new Float64Array(3);
  const face = new Float64Array(2);
  const [d0, d1, d2, d3, d4, d5, d6, d7, d8] = S.direction as number[];
  const [ox, oy, oz] = S.origin, [sx, sy, sz] = S.spacing;
  const s0 = sigma[0], s1 = sigma[1], s2 = sigma[2];
  const sx2 = sx * sx, sy2 = sy * sy, sz2 = sz * sz;
  // the scanner's blur per axis, squared: σ² less the voxel's share (blur.ts)
  const p0 = s0 * s0 - VOXEL_BLUR_C * sx2, p1 = s1 * s1 - VOXEL_BLUR_C * sy2, p2 = s2 * s2 - VOXEL_BLUR_C * sz2;
  const thick = Math.max(sx, sy, sz) > INTERP_CURVATURE_MAX_ASPECT * Math.min(sx, sy, sz);
  for (let v = w.v0; v < w.v1; v++) {
    const x = P[3 * v]!, y = P[3 * v + 1]!, z = P[3 * v + 2]!;
    out[3 * v] = x;
    out[3 * v + 1] = y;
    out[3 * v + 2] = z;
    const nx = dirs[3 * v]!, ny = dirs[3 * v + 1]!, nz = dirs[3 * v + 2]!;
    // worldToIndex, worldDirToIndex and sigmaAlong written out: the same sums, the direction's
    // components along the grid axes computed once for the last two
    const px = x - ox, py = y - oy, pz = z - oz;
    q[0] = (px * d0 + py * d1 + pz * d2) / sx;
    q[1] = (px * d3 + py * d4 + pz * d5) / sy;
    q[2] = (px * d6 + py * d7 + pz * d8) / sz;
    const a0 = nx * d0 + ny * d1 + nz * d2;
    const a1 = nx * d3 + ny * d4 + nz * d5;
    const a2 = nx * d6 + ny * d7 + nz * d8;
    di[0] = a0 / sx;
    di[1] = a1 / sy;
    di[2] = a2 / sz;
    let ss = 0;
    ss += a0 * a0 * s0 * s0;
    ss += a1 * a1 * s1 * s1;
    ss += a2 * a2 * s2 * s2;
    const sn = Math.sqrt(ss);
    // the profile up to the end of the tissue window first (all that a step needs, ~3/4 of
    // it); the rest only for a peak's slab model
    const k = Math.min(K, profileHalfLength(sn, h));
    const reach = profileReach(k, h, sn, lim);
    if (!(nx * nx + ny * ny + nz * nz > 0.5) || !sampleProfile(S, q, di, h, k, f, 0, reach)) {
      rules[v] = RULE_OUTSIDE;
      continue;
    }
    analyseProfile(f, k, h, sn, lim, p, false);
    let d = NaN;
    let rule = RULE_THRESHOLD;
    let rim = 0;
    if (p[0] === KIND_STEP) {
      const hc = Math.max(-MAX_SIGMA_H / sn, Math.min(MAX_SIGMA_H / sn, curv[v]!));
      // the voxel's mean squared side across the profile, and the scanner's own blur there
      const st2 = acrossProfile(a0, a1, a2, sx2, sy2, sz2);
      const c = thick ? INTERP_CURVATURE_C_THICK : interpCurvatureC(acrossProfile(a0, a1, a2, p0, p1, p2), st2);
      d = p[P_EDGE]! + (sn * sn + c * st2) * hc;
      rule = RULE_EDGE;
    } else if (p[0] === KIND_PEAK && Number.isFinite(bone)) {
      sampleProfile(S, q, di, h, k, f, reach + 1, 2 * k);
      fitSlab(f, k, h, sn, bone, lim.plateau_mm, p, sl);
      // without a slab the threshold level stays
      if (sl[S_OK] === 1) {
        const ends = wallEnds(S, q, di, nx, ny, nz, sn, h, k, sl, g, lat, anchor, face);
        if (ends === WALL_ENDS) {
          d = p[P_S_OUT]!;
          rule = RULE_EDGE;
          rim = RIM_END;
        } else {
          // a face beside the rim: the wall's full thickness (the fullest probe's area) about its centre
          d = ends === WALL_FACE ? face[0]! + (sl[S_WIDTH]! * face[1]!) / 2 : sl[S_FACE]!;
          rule = RULE_SLAB;
          if (ends === WALL_FACE) rim = RIM_BESIDE;
        }
      }
    }
    if (!Number.isFinite(d)) {
      rules[v] = RULE_THRESHOLD;
      continue;
    }
    const vox = maxShiftVox / hypot3(di[0]!, di[1]!, di[2]!);
    const maxShift = vox > maxShiftSigma * sn ? vox : maxShiftSigma * sn;
    if (d > maxShift || d < -maxShift) {
      d = d > 0 ? maxShift : -maxShift;
      clamped[v] = 1;
    }
    out[3 * v] = x + d * nx;
    out[3 * v + 1] = y + d * ny;
    out[3 * v + 2] = z + d * nz;
    rules[v] = rule;
    rims[v] = rim;
    shift[v] = d;
  }
}

/** wallEnds' answers. */
const WALL_HOLDS = 0;
const WALL_ENDS = 1;
const WALL_FACE = 2;

/** wallEnds' two directions across the profile (scratch: synchronous, one per thread). */
const ACROSS = new Float64Array(6);

/**
 * Whether the wall the profile crossed ends beside it (see LATERAL_MIN): the area above the
 * tissue level of three parallel profiles, over the window fitSlab summed (its slots in `sl`),
 * against the first's. q: the vertex, di: the profile direction (index units per mm); n: the
 * same direction in world units; g, lat, anchor: scratch. A probe that leaves the scan counts as
 * holding the wall.
 *
 * Returns WALL_HOLDS, WALL_ENDS (a rim: the profile runs along the wall's end or across its
 * corner), or WALL_FACE (a face near a rim) with face[0] the wall's centre along the profile (mm)
 * and face[1] the ratio of the fullest probe's area to this profile's (> 1). Why the third: within ~2σ of a thin plate's rim a profile across the face still crosses
 * the wall square, but the blur along the plate takes part of its area past the rim, so the slab
 * it fits is thin and the peak's half-maximum (the rim rule) lies outside the face: rims of
 * 1.5 mm plates at σ 0.8 mm read +0.4 mm out, plates +5-7 % in volume. A face tells itself from
 * a rim by its probes: every probe holding much of the wall has it at the same place along the
 * profile (a profile across the end or a corner sees the wall shift along it beside it), and the
 * probe toward the plate's inside holds more than this one. That probe's area is the wall's full
 * thickness, centred where this profile has its centre.
 */
function wallEnds(S: ProfileSampler, q: Float64Array, di: Float64Array, nx: number, ny: number, nz: number, sigma: number, h: number, K: number, sl: Float64Array, g: Float64Array, lat: Float64Array, anchor: Float64Array, face: Float64Array): number {
  const area = sl[S_AREA]!;
  const centre = sl[S_FACE]! - sl[S_WIDTH]! / 2;
  // two unit vectors across the direction
  acrossDirections(nx, ny, nz, ACROSS);
  const e1x = ACROSS[0]!, e1y = ACROSS[1]!, e1z = ACROSS[2]!, e2x = ACROSS[3]!, e2y = ACROSS[4]!, e2z = ACROSS[5]!;
  const r = LATERAL_SIGMA * sigma;
  let ends = false;
  let slanted = false;
  let most = area;
  // the areas' first harmonic round the vertex: it points to where the wall goes on
  let gc = 0, gs = 0;
  for (let k = 0; k < 3; k++) {
    const c = Math.cos((2 * Math.PI * k) / 3), s = Math.sin((2 * Math.PI * k) / 3);
    const sum = probeArea(S, q, di, h, K, sl, g, lat, anchor, r * (c * e1x + s * e2x), r * (c * e1y + s * e2y), r * (c * e1z + s * e2z));
    if (Number.isNaN(sum)) continue;
    gc += sum * c;
    gs += sum * s;
    if (sum < LATERAL_MIN * area) ends = true;
    if (sum > FACE_PROBE_MIN * area) {
      if (Math.abs(lat[0]! - centre) > FACE_SHIFT_SIGMA * sigma) slanted = true;
      if (sum > most) most = sum;
    }
  }
  if (!ends) return WALL_HOLDS;
  if (slanted || !(most > area)) return WALL_ENDS;
  face[0] = centre;
  const gl = Math.hypot(gc, gs);
  if (gl > 0) {
    // two probes farther in, where the wall goes on
    const ex = (gc * e1x + gs * e2x) / gl, ey = (gc * e1y + gs * e2y) / gl, ez = (gc * e1z + gs * e2z) / gl;
    const r2 = FACE_FAR_SIGMA * sigma, r3 = r2 + sigma;
    const a2 = probeArea(S, q, di, h, K, sl, g, lat, anchor, r2 * ex, r2 * ey, r2 * ez);
    const c2 = lat[0]!;
    if (a2 > most && Math.abs(c2 - centre) <= FACE_FAR_SHIFT_SIGMA * sigma) most = a2;
    const a3 = a2 > 0 ? probeArea(S, q, di, h, K, sl, g, lat, anchor, r3 * ex, r3 * ey, r3 * ez) : NaN;
    // where both hold the whole wall (areas within 10 %), their centroids' line back to this profile
    if (Math.abs(a3 - a2) < 0.1 * a2) {
      const c0 = c2 - (r2 * (lat[0]! - c2)) / (r3 - r2);
      if (Math.abs(c0 - centre) < sigma) face[0] = c0;
    }
  }
  face[1] = most / area;
  return WALL_FACE;
}

/**
 * The area above fitSlab's tissue level, over its window, of the profile parallel to this one
 * through the vertex moved by (wx, wy, wz) mm; NaN where that profile leaves the scan. Its
 * centroid (mm along the profile) is left in lat[0].
 */
function probeArea(S: ProfileSampler, q: Float64Array, di: Float64Array, h: number, K: number, sl: Float64Array, g: Float64Array, lat: Float64Array, anchor: Float64Array, wx: number, wy: number, wz: number): number {
  const a = sl[S_WIN_A]!, b = sl[S_WIN_B]!;
  const t = sl[S_TISSUE]!;
  worldDirToIndex(S, wx, wy, wz, lat);
  anchor[0] = q[0]! + lat[0]!;
  anchor[1] = q[1]! + lat[1]!;
  anchor[2] = q[2]! + lat[2]!;
  if (!sampleProfile(S, anchor, di, h, K, g, a, b)) return NaN;
  let sum = 0;
  let moment = 0;
  for (let j = a; j <= b; j++) {
    const v = (g[j]! - t) * (j === a || j === b ? 0.5 : 1);
    sum += v;
    moment += v * (j - K);
  }
  lat[0] = (moment * h) / sum;
  return sum * h;
}

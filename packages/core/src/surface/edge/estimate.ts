/**
 * Edge placement's estimation pass: the scan's blur and bone density from the profiles at a
 * deterministic sample of surface points (sample-points.ts: spread by area, not at the
 * vertices). Each point reads only the volume, its own position and direction, so a range of
 * points runs on any worker; the ranges' samples, joined in point order (combineEstimate), are
 * the one-thread pass's samples in its order, so the blur fit and the bone density are the
 * same numbers.
 */
import { analyseProfile, KIND_PEAK, KIND_STEP, P_BONE, P_S25, P_S_IN, P_S_OUT, P_S75, P_SLOTS, P_T_OUT, profileHalfLength, profileReach, type ProfileLimits } from './plateau.js';
import { sampleClamped, sampleProfile, worldDirToIndex, worldToIndex, type ProfileSampler } from './profile.js';
import { fitSlab, S_AREA, S_OK, S_SLOTS, S_TISSUE, slabDensity } from './slab.js';
import { sigmaAlong } from './place-slab.js';
import { acrossDirections } from './across.js';

export const EDGE_ESTIMATE_TASK = 'surface.edge.estimate';

/**
 * The blur a thin wall's peak shows, as a fraction of the σ its edges' 25–75 % widths give.
 * The profile's kernel (the point spread, the voxel's box and the linear interpolation
 * between voxels) has lighter tails than a Gaussian of the same quartiles, so a blurred slab's
 * peak stands higher than the Gaussian slab model with that σ predicts, and the density read
 * from it came out high. Measured on plates 1.5–3 mm scanned with the exact blur, σ 0.3–0.8 mm,
 * voxels 0.5×0.5×1 to 1.25 mm, no noise, thresholds 226 and 662 HU: the σ that gives each
 * wall's true density is 0.92–0.98 of the edges' (median 0.95).
 */
export const PEAK_SIGMA_RATIO = 0.95;

/** One range of the estimation pass: points v0 ≤ v < v1 (positions and unit directions; a zero direction is skipped). */
export interface EstimateSlab {
  S: ProfileSampler;
  positions: Float32Array;
  dirs: Float32Array;
  h: number;
  sigma: [number, number, number];
  /** Longest profile half-length in samples (each profile takes profileHalfLength of its own σ, ≤ K). */
  K: number;
  lim: ProfileLimits;
  v0: number;
  v1: number;
}

/** A range's samples, in point order. */
export interface EstimateSamples {
  /** Per thick edge (step profile with a width): σ² along the direction, and the direction's squared index-axis components. */
  sig2: Float64Array;
  axis2: Float64Array;
  /** 1 where that step's profile drops again inside (a wall between two faces), per sig2 sample. */
  sig2Wall: Uint8Array;
  /** Bone plateau of every step profile. */
  bones: Float64Array;
  /** 1 where that step is a wall between two faces, per bones sample. */
  bonesWall: Uint8Array;
  /** 1 where that step's plateau holds across the direction too (solid bone, not a wall's rim), per bones sample. */
  bonesSolid: Uint8Array;
  /** Density of every thin wall (peak profile) the slab model fits. */
  peakBones: Float64Array;
}

export function estimateSlab(w: EstimateSlab): EstimateSamples {
  const { S, positions: P, dirs, h, sigma, K, lim } = w;
  const cap = Math.max(0, w.v1 - w.v0);
  const sig2 = new Float64Array(cap);
  const axis2 = new Float64Array(3 * cap);
  const bones = new Float64Array(cap);
  const bonesWall = new Uint8Array(cap);
  const bonesSolid = new Uint8Array(cap);
  const sig2Wall = new Uint8Array(cap);
  const peakBones = new Float64Array(cap);
  const sl = new Float64Array(S_SLOTS);
  const f = new Float64Array(2 * K + 1);
  const p = new Float64Array(P_SLOTS);
  const q = new Float64Array(3);
  const di = new Float64Array(3);
  const da = new Float64Array(3);
  const across = new Float64Array(6);
  const d = S.direction;
  let count = 0;
  let nb = 0;
  let np = 0;
  for (let v = w.v0; v < w.v1; v++) {
    const nx = dirs[3 * v]!, ny = dirs[3 * v + 1]!, nz = dirs[3 * v + 2]!;
    if (!(nx * nx + ny * ny + nz * nz > 0.5)) continue;
    worldToIndex(S, P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!, q);
    worldDirToIndex(S, nx, ny, nz, di);
    // the profile up to the end of the tissue window first (all that analyseProfile reads);
    // the rest only for a peak's slab model
    const sn = sigmaAlong(S, sigma, nx, ny, nz);
    const k = Math.min(K, profileHalfLength(sn, h));
    const reach = profileReach(k, h, sn, lim);
    if (!sampleProfile(S, q, di, h, k, f, 0, reach)) continue;
    analyseProfile(f, k, h, sn, lim, p);
    if (p[0] === KIND_PEAK) {
      sampleProfile(S, q, di, h, k, f, reach + 1, 2 * k);
      // a thin wall: its density from area and peak with the blur known (bone = 0: the peak itself)
      fitSlab(f, k, h, sn, 0, lim.plateau_mm, p, sl);
      if (sl[S_OK] === 1) {
        const top = peakMean(f, k, h, p[P_S_IN]!, p[P_S_OUT]!);
        const sp = PEAK_SIGMA_RATIO * sn;
        const b = sl[S_TISSUE]! + slabDensity(sl[S_AREA]!, top - sl[S_TISSUE]!, Math.sqrt(sp * sp + PEAK_WINDOW_MM ** 2 / 12));
        if (Number.isFinite(b)) peakBones[np++] = b;
      }
      continue;
    }
    if (p[0] !== KIND_STEP) continue;
    const wall = Number.isFinite(p[P_S_IN]!) ? 1 : 0;
    bonesWall[nb] = wall;
    if (!wall) {
      // the centre of analyseProfile's bone window (plateau_mm long, ending 2σ inside the outer crossing)
      const sBone = p[P_S_OUT]! - 2 * sn - Math.max(2 * h, lim.plateau_mm) / 2;
      bonesSolid[nb] = solidAcross(S, q, di, nx, ny, nz, sBone, p[P_T_OUT]!, p[P_BONE]!, da, across) ? 1 : 0;
    }
    bones[nb++] = p[P_BONE]!;
    const wd = p[P_S25]! - p[P_S75]!;
    if (!(wd > 0)) continue;
    sig2Wall[count] = wall;
    sig2[count] = (wd / 1.349) ** 2;
    for (let i = 0; i < 3; i++) {
      const a = nx * d[3 * i]! + ny * d[3 * i + 1]! + nz * d[3 * i + 2]!;
      axis2[3 * count + i] = a * a;
    }
    count++;
  }
  return {
    sig2: sig2.slice(0, count),
    axis2: axis2.slice(0, 3 * count),
    sig2Wall: sig2Wall.slice(0, count),
    bones: bones.slice(0, nb),
    bonesWall: bonesWall.slice(0, nb),
    bonesSolid: bonesSolid.slice(0, nb),
    peakBones: peakBones.slice(0, np),
  };
}

/** How far across the profile a solid plateau must hold (mm): a wall up to twice this thick fails. */
const SOLID_ACROSS_MM = 1.5;
/** The fraction of the plateau's contrast over the tissue that it must keep there. */
const SOLID_KEEP = 0.9;

/**
 * Whether the bone plateau at s mm along the profile (q, di: the point and the direction in
 * index units per mm) keeps SOLID_KEEP of its contrast SOLID_ACROSS_MM to either side, along the
 * two directions square to the world direction (nx, ny, nz) that acrossDirections gives (d and
 * across: scratch): thick bone does, while the rim of a wall thinner than 2·SOLID_ACROSS_MM seen
 * edgewise reads a plateau (lowered by the blur across the wall) that falls away across it.
 */
function solidAcross(S: ProfileSampler, q: Float64Array, di: Float64Array, nx: number, ny: number, nz: number, s: number, tissue: number, bone: number, d: Float64Array, across: Float64Array): boolean {
  const ci = q[0]! + s * di[0]!, cj = q[1]! + s * di[1]!, ck = q[2]! + s * di[2]!;
  acrossDirections(nx, ny, nz, across);
  const floor = tissue + SOLID_KEEP * (bone - tissue);
  const r = SOLID_ACROSS_MM;
  for (let pass = 0; pass < 2; pass++) {
    worldDirToIndex(S, across[3 * pass]!, across[3 * pass + 1]!, across[3 * pass + 2]!, d);
    const oi = r * d[0]!, oj = r * d[1]!, ok = r * d[2]!;
    if (!(sampleClamped(S, ci - oi, cj - oj, ck - ok) >= floor && sampleClamped(S, ci + oi, cj + oj, ck + ok) >= floor)) return false;
  }
  return true;
}

/**
 * Width of the window a thin wall's peak is averaged over for its density (mm). The profile's
 * maximum is biased up by the noise (at 15 HU a 3 mm plate's walls read 1219 HU for 1200: the
 * plate 3 % thin); the mean over a window of width a around the wall's centre is far less so,
 * and is the peak of the profile blurred further by a box of width a, i.e. σ² + a²/12.
 */
const PEAK_WINDOW_MM = 1;

/** Mean of the profile over PEAK_WINDOW_MM centred half-way between the wall's two half-maximum crossings (s in mm). */
function peakMean(f: Float64Array, K: number, h: number, sIn: number, sOut: number): number {
  const c = Math.round((sIn + sOut) / 2 / h) + K;
  const m = Math.max(1, Math.round(PEAK_WINDOW_MM / 2 / h));
  const a = Math.max(0, c - m), b = Math.min(f.length - 1, c + m);
  let s = 0;
  for (let k = a; k <= b; k++) s += f[k]!;
  return s / (b - a + 1);
}

/** The ranges' arrays end to end, in a new array from `make`. */
function joinWith<T extends Float64Array | Uint8Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of parts) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

const join = (parts: Float64Array[]): Float64Array => joinWith(parts, (n) => new Float64Array(n));
const joinU8 = (parts: Uint8Array[]): Uint8Array => joinWith(parts, (n) => new Uint8Array(n));

/** Fewest samples of thick edges (no inner face within reach) that the estimates use alone. */
const MIN_THICK = 16;

/**
 * How far above solid bone's density the thin walls' peaks may read and still be taken for the
 * same bone misread by the blur model (peaks read up to 17 % high where a wall lies flat across
 * 2 mm slices; see combineEstimate). Further above, the walls are a denser bone than any thick
 * one (thin cortex over cancellous bone) and size themselves.
 */
const PEAKS_OVER_SOLID_MAX = 1.25;

/**
 * Solid bone backs the steps' level when its own reads at least this fraction of it; else the
 * density came from thin walls (their peaks or their rims' plateaus), which edge placement's
 * finding BONE_DENSITY_FROM_THIN_WALLS says. On the four CT series solid / steps is 1.00-1.59
 * (philips 1 mm 802 / 802 HU); where rims of thin plates passed for solid (phantoms without
 * thick bone, 2-3 mm slices) 0.62-0.94. Keeping the peaks out (stepsHold) asks for the steps'
 * full level, the rule measured over the 48 plates.
 */
const SOLID_BACKS = 0.95;

/**
 * The ranges' samples joined in point order (`parts` in range order), and the bone density:
 * the upper (80th percentile) plateau of thick edges, as thin structures' rims show plateaus
 * below the bone's density and nothing shows one above it; or the thin walls' own estimates
 * when these are higher (a scan with thin bone only).
 *
 * Steps of walls between two faces (the profile drops again inside, yet a plateau fits) count
 * only where the scan has fewer than MIN_THICK thick ones: a wall's 25–75 % width is widened by
 * its other face, so σ came out high (plates 2–2.5 mm at σ 0.5 mm, 0.6×0.6×1.25 mm voxels: σ
 * 0.646 mm in x for 0.565), and the wall's plateau, corrected for both faces' blur with that σ,
 * read 1257 HU for 1200: the slab rule, thickness = area / contrast, then made the plates 5 %
 * thin (−0.098 mm, volume −4.8 %).
 *
 * Peaks above the steps do not win where solid bone backs the steps: MIN_THICK plateaus that
 * hold across their direction too (solidAcross), at least as dense as the steps' level, with the
 * peaks at most PEAKS_OVER_SOLID_MAX above them. The peaks' density is a blur model's reading and
 * can be far off where a wall lies flat across coarse slices: validatePhantom's flat 3 mm plate
 * at 0.8×0.8×2 mm (exact blur σ 0.5 mm, noise 20 HU, its 5 mm density insert) read 1 395 HU from
 * its peaks (σ across the plate 1.21 mm from the edges; there the density moves ~1.4 % per % of
 * σ, and the slices' phase sets the peak) against 1 190 from the steps and 1 198 from the solid
 * plateaus (the insert), and came out 2.56 mm, −17 %; now 3.01 mm, −2.7 %. Without solid bone
 * the steps may be thin walls' rims, below the bone (the phantom without its insert: 3 mm
 * plates at 1.25 and 2 mm slices read steps 1 142 and 1 117 HU, peaks 1 340 and 1 184, and
 * no plateau held across), and the peaks still win. Of 48 plates (1.5/2/3 mm, 0°/30°, voxels
 * 0.5×0.5×1 to 0.7×0.7×3 mm, with and without the insert) only that one changed. The four CT
 * series in ../shared/data are unchanged (their steps are above their peaks: same bytes).
 * Two rules measured before and not kept: the steps whenever MIN_THICK of them are thick, and
 * only peaks whose density moves at most 1 % per % of σ (issue 8's note of the thirty-ninth
 * session: each moved plates without thick bone; the second a flat 2 mm plate −3.9 % → +18.8 %).
 */
export function combineEstimate(parts: EstimateSamples[]): CombinedEstimate {
  const sig2All = join(parts.map((x) => x.sig2));
  const axis2All = join(parts.map((x) => x.axis2));
  const sig2Wall = joinU8(parts.map((x) => x.sig2Wall));
  const bonesAll = join(parts.map((x) => x.bones));
  const bonesWall = joinU8(parts.map((x) => x.bonesWall));
  const { sig2, axis2 } = thickSig2(sig2All, axis2All, sig2Wall);
  const solid = solidOnly(bonesAll, joinU8(parts.map((x) => x.bonesSolid))).sort();
  // a copy: thickOnly returns bonesAll itself when nothing is a wall
  const b = thickOnly(bonesAll, bonesWall).slice().sort();
  const pb = join(parts.map((x) => x.peakBones)).sort();
  const nb = b.length, np = pb.length, ns = solid.length;
  const fromSteps = nb >= MIN_THICK ? b[Math.floor(0.8 * (nb - 1))]! : NaN;
  const fromPeaks = np >= MIN_THICK ? pb[np >> 1]! : NaN;
  const fromSolid = ns >= MIN_THICK ? solid[Math.floor(0.8 * (ns - 1))]! : NaN;
  // solid bone at least as dense as the steps' level: the steps are bone, not rims, and the
  // peaks (a blur model's reading) do not override them unless far above (another, denser bone)
  const solidBacked = fromSolid >= SOLID_BACKS * fromSteps;
  const stepsHold = fromSolid >= fromSteps && fromPeaks <= PEAKS_OVER_SOLID_MAX * fromSolid;
  const boneFrom: CombinedEstimate['boneFrom'] =
    Number.isFinite(fromSteps) && Number.isFinite(fromPeaks)
      ? stepsHold || fromSteps >= fromPeaks
        ? 'thick edges'
        : 'thin walls'
      : Number.isFinite(fromSteps)
        ? 'thick edges'
        : Number.isFinite(fromPeaks)
          ? 'thin walls'
          : 'none';
  const bone = boneFrom === 'thick edges' ? fromSteps : fromPeaks;
  return { sig2, axis2, count: sig2.length, bone, boneFrom, solidBone: fromSolid, solidSamples: ns, solidBacked };
}

export interface CombinedEstimate {
  sig2: Float64Array;
  axis2: Float64Array;
  count: number;
  /** The bone density (HU); NaN when neither thick edges nor thin walls were sampled enough. */
  bone: number;
  /** Which samples gave it. */
  boneFrom: 'thick edges' | 'thin walls' | 'none';
  /** The solid plateaus' density (80th percentile; NaN below MIN_THICK samples) and their count. */
  solidBone: number;
  solidSamples: number;
  /** Whether solid bone reads at least SOLID_BACKS of the steps' level: else the steps are thin walls' rims. */
  solidBacked: boolean;
}

/** The bone plateaus flagged solid (they hold across their direction too). */
function solidOnly(v: Float64Array, solid: Uint8Array): Float64Array {
  let n = 0;
  for (let i = 0; i < solid.length; i++) n += solid[i]!;
  return flaggedAs(v, solid, 1, n);
}

/** The values not flagged as walls, when there are MIN_THICK of them; else all. */
function thickOnly(v: Float64Array, wall: Uint8Array): Float64Array {
  let n = 0;
  for (let i = 0; i < wall.length; i++) n += wall[i] ? 0 : 1;
  if (n < MIN_THICK || n === v.length) return v;
  return flaggedAs(v, wall, 0, n);
}

/** The n values of v whose flag is `want` (flags 0 or 1), in order. */
function flaggedAs(v: Float64Array, flags: Uint8Array, want: 0 | 1, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0, o = 0; i < v.length; i++) if (flags[i] === want) out[o++] = v[i]!;
  return out;
}

/** thickOnly for the blur samples (σ² and the three axis components of each). */
function thickSig2(sig2: Float64Array, axis2: Float64Array, wall: Uint8Array): { sig2: Float64Array; axis2: Float64Array } {
  const s = thickOnly(sig2, wall);
  if (s === sig2) return { sig2, axis2 };
  const a = new Float64Array(3 * s.length);
  for (let i = 0, o = 0; i < sig2.length; i++) {
    if (wall[i]) continue;
    a[3 * o] = axis2[3 * i]!;
    a[3 * o + 1] = axis2[3 * i + 1]!;
    a[3 * o + 2] = axis2[3 * i + 2]!;
    o++;
  }
  return { sig2: s, axis2: a };
}

/**
 * Analytic phantoms of known geometry, voxelised as CT-like volumes: spheres, spherical
 * shells and a plate, with partial-volume values (voxel coverage by supersampling), an
 * optional Gaussian blur (the scanner's point spread) and deterministic noise. Used by the
 * surface accuracy tests and by `scan2print validate`. Pure TypeScript (no fs).
 *
 * The object is defined in patient millimetres by a signed distance function (negative
 * inside), so any grid, anisotropic or with a tilted direction, samples the same shape.
 * Values: background_hu outside, object_hu inside, so the unbiased iso level is halfway.
 */
import type { Grid, Vec3 } from '../geometry/grid.js';
import { IDENTITY_DIRECTION, indexToPhysical } from '../geometry/grid.js';
import type { LabelMap, Volume } from '../geometry/types.js';
import { gaussian, mulberry32 } from '../synthetic/random.js';
import { phi } from '../surface/edge/plateau.js';

export type PhantomShape =
  | { kind: 'sphere'; radius_mm: number }
  | { kind: 'shell'; outerRadius_mm: number; wall_mm: number }
  /** A square plate, its thickness along the z axis of patient space, tilted by tilt_deg about the x axis (default 0). */
  | { kind: 'plate'; thickness_mm: number; width_mm: number; tilt_deg?: number };

export interface PhantomOptions {
  spacing_mm: Vec3;
  /** Object centre in LPS mm (default [0.31, −0.17, 0.23]). The grid is centred 0.31, −0.17, 0.23 mm away from it, so the object never sits symmetrically on the voxel lattice. */
  centre_mm?: Vec3;
  direction?: Grid['direction'];
  background_hu?: number;
  object_hu?: number;
  /** Sub-samples per axis for the voxel coverage (default 4: 64 per voxel). */
  supersample?: number;
  /** Gaussian blur sigma in mm (default 0: coverage only). */
  blurSigma_mm?: number;
  /** Gaussian noise sigma in HU (default 0), from a seeded generator. */
  noiseSigma_hu?: number;
  seed?: number;
}

export interface Phantom {
  name: string;
  shape: PhantomShape;
  volume: Volume;
  /** Halfway between background and object values: the unbiased threshold. */
  level: number;
  centre_mm: Vec3;
  /** The shape's exact volume in mm³. */
  trueVolume_mm3: number;
}

/** Where the object sits relative to the grid's centre: off every symmetry of the lattice. */
const SUBVOXEL_OFFSET_MM: Vec3 = [0.31, -0.17, 0.23];

/** Signed distance (mm, negative inside) from a point, relative to the shape's centre. */
export function shapeSignedDistance(shape: PhantomShape, x: number, y: number, z: number): number {
  switch (shape.kind) {
    case 'sphere':
      return Math.sqrt(x * x + y * y + z * z) - shape.radius_mm;
    case 'shell': {
      const rho = Math.sqrt(x * x + y * y + z * z);
      const mid = shape.outerRadius_mm - shape.wall_mm / 2;
      return Math.abs(rho - mid) - shape.wall_mm / 2;
    }
    case 'plate': {
      if (shape.tilt_deg) {
        // into the plate's own frame: rotate by −tilt about x
        const t = (shape.tilt_deg * Math.PI) / 180;
        const c = Math.cos(t), sn = Math.sin(t);
        [y, z] = [c * y + sn * z, -sn * y + c * z];
      }
      const qx = Math.abs(x) - shape.width_mm / 2;
      const qy = Math.abs(y) - shape.width_mm / 2;
      const qz = Math.abs(z) - shape.thickness_mm / 2;
      const ox = Math.max(qx, 0), oy = Math.max(qy, 0), oz = Math.max(qz, 0);
      return Math.sqrt(ox * ox + oy * oy + oz * oz) + Math.min(Math.max(qx, qy, qz), 0);
    }
  }
}

const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** The ball of radius r (centre at the origin) blurred by an isotropic Gaussian σ, at distance ρ from its centre. */
function blurredBall(r: number, rho: number, sigma: number): number {
  const a = (r - rho) / sigma, b = (r + rho) / sigma;
  // (σ/ρ)(φ(a) − φ(b)) → 2(r/σ)φ(r/σ) as ρ → 0 (a = b there)
  const curved = rho > 1e-9 * sigma ? (sigma / rho) * (normalPdf(a) - normalPdf(b)) : 2 * (r / sigma) * normalPdf(r / sigma);
  return phi(a) - phi(-b) - curved;
}

/** An interval [−h, h] blurred by a Gaussian σ, at u. */
const blurredInterval = (h: number, u: number, sigma: number): number => phi((h - u) / sigma) - phi((-h - u) / sigma);

/**
 * The shape's indicator convolved with an isotropic Gaussian point spread σ (mm), at a point
 * relative to the centre: the fraction of the object a scanner of that blur sees there. Exact:
 * a ball's is the non-central χ₃ distribution's CDF, a shell the difference of two balls, a
 * plate (a box) the product of three blurred intervals in its own frame. (Φ(−sdf/σ), exact only
 * for a single planar edge, gives a thin plate the blur of one face only: a 2 mm plate at σ 0.8 mm
 * holds 4 % more material than its geometry, 1.5 mm 10 %; and a sphere no shrinkage from its
 * curvature.)
 */
export function shapeBlurredFraction(shape: PhantomShape, x: number, y: number, z: number, sigma: number): number {
  if (!(sigma > 0)) return shapeSignedDistance(shape, x, y, z) < 0 ? 1 : 0;
  switch (shape.kind) {
    case 'sphere':
      return blurredBall(shape.radius_mm, Math.sqrt(x * x + y * y + z * z), sigma);
    case 'shell': {
      const rho = Math.sqrt(x * x + y * y + z * z);
      return blurredBall(shape.outerRadius_mm, rho, sigma) - blurredBall(shape.outerRadius_mm - shape.wall_mm, rho, sigma);
    }
    case 'plate': {
      if (shape.tilt_deg) {
        const t = (shape.tilt_deg * Math.PI) / 180;
        const c = Math.cos(t), sn = Math.sin(t);
        [y, z] = [c * y + sn * z, -sn * y + c * z];
      }
      const w = shape.width_mm / 2;
      return blurredInterval(w, x, sigma) * blurredInterval(w, y, sigma) * blurredInterval(shape.thickness_mm / 2, z, sigma);
    }
  }
}

export function shapeVolume_mm3(shape: PhantomShape): number {
  switch (shape.kind) {
    case 'sphere':
      return (4 / 3) * Math.PI * shape.radius_mm ** 3;
    case 'shell':
      return (4 / 3) * Math.PI * (shape.outerRadius_mm ** 3 - (shape.outerRadius_mm - shape.wall_mm) ** 3);
    case 'plate':
      return shape.width_mm * shape.width_mm * shape.thickness_mm;
  }
}

function boundingRadius(shape: PhantomShape): number {
  switch (shape.kind) {
    case 'sphere':
      return shape.radius_mm;
    case 'shell':
      return shape.outerRadius_mm;
    case 'plate':
      return Math.hypot(shape.width_mm / 2, shape.width_mm / 2, shape.thickness_mm / 2);
  }
}

export function shapeName(shape: PhantomShape): string {
  switch (shape.kind) {
    case 'sphere':
      return `sphere r=${shape.radius_mm}`;
    case 'shell':
      return `shell r=${shape.outerRadius_mm} wall=${shape.wall_mm}`;
    case 'plate':
      return `plate ${shape.width_mm}×${shape.width_mm}×${shape.thickness_mm}${shape.tilt_deg ? ` tilted ${shape.tilt_deg}°` : ''}`;
  }
}

/** The phantoms named in the surface accuracy requirements. */
export const STANDARD_PHANTOMS: PhantomShape[] = [
  { kind: 'sphere', radius_mm: 5 },
  { kind: 'sphere', radius_mm: 15 },
  { kind: 'sphere', radius_mm: 40 },
  { kind: 'shell', outerRadius_mm: 20, wall_mm: 2 },
  { kind: 'shell', outerRadius_mm: 20, wall_mm: 6 },
  { kind: 'plate', thickness_mm: 3, width_mm: 30 },
];

export const STANDARD_SPACINGS: Vec3[] = [
  [0.5, 0.5, 0.5],
  [1, 1, 1],
  [2, 2, 2],
  [0.45, 0.45, 1.25],
];

/** Voxelises a shape with partial volume, optional blur and noise. Deterministic. */
export function makePhantom(shape: PhantomShape, opts: PhantomOptions): Phantom {
  const sp = opts.spacing_mm;
  const centre: Vec3 = opts.centre_mm ?? [...SUBVOXEL_OFFSET_MM];
  const direction = opts.direction ?? IDENTITY_DIRECTION;
  const bg = opts.background_hu ?? 0;
  const obj = opts.object_hu ?? 1000;
  const ss = Math.max(1, Math.round(opts.supersample ?? 4));
  const blur = opts.blurSigma_mm ?? 0;
  const maxSp = Math.max(sp[0], sp[1], sp[2]);
  const reach = boundingRadius(shape) + Math.hypot(...SUBVOXEL_OFFSET_MM) + 3 * maxSp + 3 * blur;
  const dims: Vec3 = [0, 1, 2].map((a) => 2 * Math.ceil(reach / sp[a]!) + 1) as Vec3;
  // Grid centred at centre − SUBVOXEL_OFFSET_MM.
  const origin: Vec3 = [0, 1, 2].map((a) => centre[a]! - SUBVOXEL_OFFSET_MM[a]!) as Vec3;
  for (let a = 0; a < 3; a++) {
    const half = ((dims[a]! - 1) / 2) * sp[a]!;
    for (let r = 0; r < 3; r++) origin[r] = origin[r]! - half * direction[3 * a + r]!;
  }
  const grid: Grid = { dims, spacing_mm: [...sp] as Vec3, origin_mm: origin, direction: [...direction] as Grid['direction'] };
  const [nx, ny, nz] = dims;
  const data = new Float32Array(nx * ny * nz);
  const halfDiag = 0.5 * Math.hypot(sp[0], sp[1], sp[2]);
  const p: Vec3 = [0, 0, 0];
  const sub = 1 / ss;
  for (let k = 0, v = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, v++) {
        indexToPhysical(grid, i, j, k, p);
        const d = shapeSignedDistance(shape, p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]);
        let cover: number;
        if (d >= halfDiag) cover = 0;
        else if (d <= -halfDiag) cover = 1;
        else {
          let inside = 0;
          for (let c = 0; c < ss; c++)
            for (let b = 0; b < ss; b++)
              for (let a = 0; a < ss; a++) {
                indexToPhysical(grid, i - 0.5 + (a + 0.5) * sub, j - 0.5 + (b + 0.5) * sub, k - 0.5 + (c + 0.5) * sub, p);
                if (shapeSignedDistance(shape, p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]) < 0) inside++;
              }
          cover = inside / (ss * ss * ss);
        }
        data[v] = bg + (obj - bg) * cover;
      }
    }
  }
  if (blur > 0) gaussianBlur(data, dims, [blur / sp[0], blur / sp[1], blur / sp[2]]);
  const noise = opts.noiseSigma_hu ?? 0;
  if (noise > 0) {
    const g = gaussian(mulberry32(opts.seed ?? 1));
    for (let v = 0; v < data.length; v++) data[v] = data[v]! + noise * g();
  }
  return {
    name: `${shapeName(shape)} @ ${sp.join('×')} mm`,
    shape,
    volume: { grid, data },
    level: (bg + obj) / 2,
    centre_mm: centre,
    trueVolume_mm3: shapeVolume_mm3(shape),
  };
}

/** Label 1 where the phantom's value is at or above `level` (default: the phantom's level). */
export function phantomLabels(ph: Phantom, level = ph.level): LabelMap {
  const src = ph.volume.data;
  const out = new Uint8Array(src.length);
  for (let v = 0; v < src.length; v++) out[v] = src[v]! >= level ? 1 : 0;
  return { grid: ph.volume.grid, data: out, labels: { 1: ph.name } };
}

/** Separable Gaussian blur in place, sigma in voxels per axis, edges clamped. */
function gaussianBlur(data: Float32Array, dims: Vec3, sigma: Vec3): void {
  const [nx, ny, nz] = dims;
  const strides = [1, nx, nx * ny];
  for (let a = 0; a < 3; a++) {
    const s = sigma[a]!;
    if (!(s > 0)) continue;
    const r = Math.ceil(3 * s);
    const w = new Float64Array(2 * r + 1);
    let sum = 0;
    for (let x = -r; x <= r; x++) sum += w[x + r] = Math.exp((-0.5 * x * x) / (s * s));
    for (let x = 0; x < w.length; x++) w[x] = w[x]! / sum;
    const n = dims[a]!;
    const st = strides[a]!;
    const line = new Float64Array(n);
    const outer = (nx * ny * nz) / n;
    for (let l = 0; l < outer; l++) {
      // Start of line l along axis a.
      let base: number;
      if (a === 0) base = l * nx;
      else if (a === 1) base = (l % nx) + Math.floor(l / nx) * nx * ny;
      else base = l;
      for (let x = 0; x < n; x++) line[x] = data[base + x * st]!;
      for (let x = 0; x < n; x++) {
        let acc = 0;
        for (let t = -r; t <= r; t++) {
          const y = x + t < 0 ? 0 : x + t >= n ? n - 1 : x + t;
          acc += w[t + r]! * line[y]!;
        }
        data[base + x * st] = acc;
      }
    }
  }
}

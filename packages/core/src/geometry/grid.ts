/**
 * A regular 3D sampling grid in DICOM patient coordinates (LPS, millimetres).
 *
 * physical(i, j, k) = origin_mm + i·spacing_mm[0]·axisI + j·spacing_mm[1]·axisJ + k·spacing_mm[2]·axisK
 *
 * `direction` holds the three axis unit vectors one after another:
 * [axisI.x, axisI.y, axisI.z, axisJ.x, axisJ.y, axisJ.z, axisK.x, axisK.y, axisK.z].
 * For an axial DICOM series axisI is the row direction (first triplet of
 * ImageOrientationPatient), axisJ the column direction and axisK the slice normal.
 * Voxel (i, j, k) is stored at data[i + j·dims[0] + k·dims[0]·dims[1]].
 */
export type Vec3 = [number, number, number];

export interface Grid {
  dims: Vec3;
  spacing_mm: Vec3;
  origin_mm: Vec3;
  direction: [number, number, number, number, number, number, number, number, number];
}

export const IDENTITY_DIRECTION: Grid['direction'] = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function voxelCount(grid: Grid): number {
  return grid.dims[0] * grid.dims[1] * grid.dims[2];
}

/** Continuous index (i, j, k) → LPS millimetres. */
export function indexToPhysical(grid: Grid, i: number, j: number, k: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const d = grid.direction;
  const a = i * grid.spacing_mm[0];
  const b = j * grid.spacing_mm[1];
  const c = k * grid.spacing_mm[2];
  out[0] = grid.origin_mm[0] + a * d[0] + b * d[3] + c * d[6];
  out[1] = grid.origin_mm[1] + a * d[1] + b * d[4] + c * d[7];
  out[2] = grid.origin_mm[2] + a * d[2] + b * d[5] + c * d[8];
  return out;
}

/**
 * LPS millimetres → continuous index. Assumes an orthonormal direction (every grid
 * scan2print produces is orthogonal: tilted input is resampled on import).
 */
export function physicalToIndex(grid: Grid, x: number, y: number, z: number, out: Vec3 = [0, 0, 0]): Vec3 {
  const d = grid.direction;
  const px = x - grid.origin_mm[0];
  const py = y - grid.origin_mm[1];
  const pz = z - grid.origin_mm[2];
  out[0] = (px * d[0] + py * d[1] + pz * d[2]) / grid.spacing_mm[0];
  out[1] = (px * d[3] + py * d[4] + pz * d[5]) / grid.spacing_mm[1];
  out[2] = (px * d[6] + py * d[7] + pz * d[8]) / grid.spacing_mm[2];
  return out;
}

/** Volume of one voxel in mm³. */
export function voxelVolume_mm3(grid: Grid): number {
  return grid.spacing_mm[0] * grid.spacing_mm[1] * grid.spacing_mm[2];
}

/** Axis-aligned (in LPS) bounding box of the voxel centres of the whole grid. */
export function gridBounds_mm(grid: Grid): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  const p: Vec3 = [0, 0, 0];
  for (let c = 0; c < 8; c++) {
    indexToPhysical(grid, c & 1 ? grid.dims[0] - 1 : 0, c & 2 ? grid.dims[1] - 1 : 0, c & 4 ? grid.dims[2] - 1 : 0, p);
    for (let a = 0; a < 3; a++) {
      if (p[a]! < min[a]!) min[a] = p[a]!;
      if (p[a]! > max[a]!) max[a] = p[a]!;
    }
  }
  return { min, max };
}

export function sameGrid(a: Grid, b: Grid, tol_mm = 1e-3): boolean {
  for (let i = 0; i < 3; i++) {
    if (a.dims[i] !== b.dims[i]) return false;
    if (Math.abs(a.spacing_mm[i]! - b.spacing_mm[i]!) > tol_mm) return false;
    if (Math.abs(a.origin_mm[i]! - b.origin_mm[i]!) > tol_mm) return false;
  }
  for (let i = 0; i < 9; i++) if (Math.abs(a.direction[i]! - b.direction[i]!) > 1e-5) return false;
  return true;
}

export function cloneGrid(g: Grid): Grid {
  return {
    dims: [...g.dims] as Vec3,
    spacing_mm: [...g.spacing_mm] as Vec3,
    origin_mm: [...g.origin_mm] as Vec3,
    direction: [...g.direction] as Grid['direction'],
  };
}

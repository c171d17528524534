/**
 * What smoothing holds in place: the caps where the anatomy leaves the scanned volume, and
 * shells too small for the filter (SMALL_SHELL_K). smooth.ts applies both.
 */
import { physicalToIndex, type Grid, type Vec3 } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';
import { vertexCount } from './mesh-utils.js';

/**
 * Vertices on the outer faces of a grid (continuous index −0.5 or dims − 0.5 along an axis):
 * the flat caps an extractor puts where the anatomy leaves the scanned volume. Smoothing them
 * would shrink the model away from the true cut, so they are held.
 */
export function scanBorderVertices(mesh: Mesh, grid: Grid, tolerance_voxels = 1e-3): Uint8Array {
  const nv = vertexCount(mesh);
  const out = new Uint8Array(nv);
  const q: Vec3 = [0, 0, 0];
  const p = mesh.positions;
  for (let v = 0; v < nv; v++) {
    physicalToIndex(grid, p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!, q);
    for (let a = 0; a < 3; a++) {
      if (q[a]! <= -0.5 + tolerance_voxels || q[a]! >= grid.dims[a]! - 0.5 - tolerance_voxels) {
        out[v] = 1;
        break;
      }
    }
  }
  return out;
}

/**
 * Shells under SMALL_SHELL_K / k_pb triangles (k_pb the filter's pass band: windowed-sinc's, or
 * Taubin's 1/λ + 1/μ) are held whole. A closed shell's size and shape live in its lowest modes,
 * at k ≈ 30 / triangles (a sphere-like shell); a low-pass filter passes k < k_pb, so a small shell
 * is all stop band and the filter draws it to its centroid. Measured on the bone of
 * labelled/totalsegmentator/example_ct_dicom (1.5 mm voxels) at pass band 0.05: every shell under
 * ~200 triangles (1-4 mm³ fragments the clean-up keeps) smoothed to zero volume (its vertices
 * coincident: the decimation then could not stay manifold and was skipped, and the second clean-up
 * dropped the fragments); shells of 250-1800 triangles lost 3-80 %. Held, they keep the edge
 * placement's positions. 100: 2000 triangles at 0.05, 20 000 at 3D Slicer's 0.01.
 */
export const SMALL_SHELL_K = 100;

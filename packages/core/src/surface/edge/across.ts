/**
 * Two unit vectors square to a unit direction n, and to each other: the world axis n is least
 * along, made orthogonal to n (e1), and n × e1 (e2). The probes beside a profile use them: a
 * thin wall's lateral probes (place-slab.ts, wallEnds) and the solid-bone samples of the
 * estimation pass (estimate.ts, solidAcross). Written into `out` (e1 then e2, six values) so
 * the per-vertex loops allocate nothing.
 */
import { hypot3 } from './hypot.js';

export function acrossDirections(nx: number, ny: number, nz: number, out: Float64Array): void {
  const ax = Math.abs(nx), ay = Math.abs(ny), az = Math.abs(nz);
  const ux = ax <= ay && ax <= az ? 1 : 0, uy = ux === 0 && ay <= az ? 1 : 0, uz = ux === 0 && uy === 0 ? 1 : 0;
  const dot = ux * nx + uy * ny + uz * nz;
  let e1x = ux - dot * nx, e1y = uy - dot * ny, e1z = uz - dot * nz;
  const l1 = hypot3(e1x, e1y, e1z);
  e1x /= l1;
  e1y /= l1;
  e1z /= l1;
  out[0] = e1x;
  out[1] = e1y;
  out[2] = e1z;
  out[3] = ny * e1z - nz * e1y;
  out[4] = nz * e1x - nx * e1z;
  out[5] = nx * e1y - ny * e1x;
}

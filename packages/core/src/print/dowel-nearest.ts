/**
 * Nearest points between parts of one mesh, for dowels and drain holes: a uniform grid over a
 * chosen set of vertices (counting sort into cells), searched in growing rings with the best
 * distance so far as the bound, so a query costs the few cells around it once a close pair is
 * known (not O(n²) over vertex pairs). The vertex pair is then refined onto the triangles
 * around it (exact closest point on each incident triangle), which removes most of the
 * vertex-spacing error (~0.5 mm on a CT surface) from the recorded length.
 */
import type { Mesh } from '../geometry/types.js';

export type Vec3 = [number, number, number];

export class VertexGrid {
  readonly origin: Vec3;
  readonly cell: number;
  readonly dims: Vec3;
  private readonly start: Uint32Array;
  private readonly items: Uint32Array;

  /** `verts`: vertex indices of `mesh` to index. */
  constructor(private readonly mesh: Mesh, verts: Uint32Array, cell_mm?: number) {
    const p = mesh.positions;
    const lo: Vec3 = [Infinity, Infinity, Infinity], hi: Vec3 = [-Infinity, -Infinity, -Infinity];
    for (const v of verts) for (let k = 0; k < 3; k++) {
      const x = p[3 * v + k]!;
      if (x < lo[k]!) lo[k] = x;
      if (x > hi[k]!) hi[k] = x;
    }
    if (verts.length === 0) { lo.fill(0); hi.fill(0); }
    const size = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    // About 8 vertices per occupied cell on a surface; never below 0.5 mm nor above 1e6 cells.
    const vol = Math.max(1e-9, size[0]! * size[1]! * size[2]!);
    let cell = cell_mm ?? Math.max(0.5, Math.sqrt((size[0]! * size[1]! + size[1]! * size[2]! + size[0]! * size[2]!) * 8 / Math.max(1, verts.length)));
    while (Math.ceil(vol / cell ** 3) > 1e6) cell *= 1.26;
    this.origin = lo;
    this.cell = cell;
    this.dims = size.map((s) => Math.max(1, Math.floor(s / cell) + 1)) as Vec3;
    const [nx, ny] = this.dims;
    const n = this.dims[0] * this.dims[1] * this.dims[2];
    const cellOf = new Uint32Array(verts.length);
    this.start = new Uint32Array(n + 1);
    for (let i = 0; i < verts.length; i++) {
      const v = verts[i]!;
      const c = this.clamp(p[3 * v]!, 0) + nx * (this.clamp(p[3 * v + 1]!, 1) + ny * this.clamp(p[3 * v + 2]!, 2));
      cellOf[i] = c;
      this.start[c + 1]!++;
    }
    for (let c = 0; c < n; c++) this.start[c + 1]! += this.start[c]!;
    const fill = this.start.slice(0, n);
    this.items = new Uint32Array(verts.length);
    for (let i = 0; i < verts.length; i++) this.items[fill[cellOf[i]!]!++] = verts[i]!;
  }

  private clamp(x: number, k: number): number {
    const c = Math.floor((x - this.origin[k]!) / this.cell);
    return c < 0 ? 0 : c >= this.dims[k]! ? this.dims[k]! - 1 : c;
  }

  /** The nearest indexed vertex closer than `bound` mm, or -1; `out[0]` gets its squared distance. */
  nearest(x: number, y: number, z: number, bound: number, out: Float64Array): number {
    const p = this.mesh.positions;
    const [nx, ny, nz] = this.dims;
    const ci = this.clamp(x, 0), cj = this.clamp(y, 1), ck = this.clamp(z, 2);
    // Distance from the point to the grid box: rings closer than that hold nothing.
    let best = bound * bound, bestV = -1;
    const maxR = Math.max(nx, ny, nz);
    for (let r = 0; r <= maxR; r++) {
      // Every cell of ring r is at least (r − 1) cells away (the point may sit anywhere in its cell,
      // or outside the grid, clamped: then farther still).
      const reach = Math.max(0, r - 1) * this.cell;
      if (reach * reach >= best) break;
      for (let k = Math.max(0, ck - r); k <= Math.min(nz - 1, ck + r); k++) {
        const onK = k === ck - r || k === ck + r;
        for (let j = Math.max(0, cj - r); j <= Math.min(ny - 1, cj + r); j++) {
          const onJ = onK || j === cj - r || j === cj + r;
          for (let i = Math.max(0, ci - r); i <= Math.min(nx - 1, ci + r); i++) {
            if (!onJ && i !== ci - r && i !== ci + r) continue;
            const c = i + nx * (j + ny * k);
            for (let s = this.start[c]!; s < this.start[c + 1]!; s++) {
              const v = this.items[s]!;
              const dx = p[3 * v]! - x, dy = p[3 * v + 1]! - y, dz = p[3 * v + 2]! - z;
              const d2 = dx * dx + dy * dy + dz * dz;
              if (d2 < best || (d2 === best && bestV !== -1 && v < bestV)) { best = d2; bestV = v; }
            }
          }
        }
      }
    }
    out[0] = best;
    return bestV;
  }
}

/** Closest point on triangle (a, b, c) to q (Ericson, Real-Time Collision Detection, 5.1.5). */
export function closestOnTriangle(p: Float32Array, a: number, b: number, c: number, q: Vec3): Vec3 {
  const ax = p[a]!, ay = p[a + 1]!, az = p[a + 2]!;
  const abx = p[b]! - ax, aby = p[b + 1]! - ay, abz = p[b + 2]! - az;
  const acx = p[c]! - ax, acy = p[c + 1]! - ay, acz = p[c + 2]! - az;
  const apx = q[0] - ax, apy = q[1] - ay, apz = q[2] - az;
  const d1 = abx * apx + aby * apy + abz * apz, d2 = acx * apx + acy * apy + acz * apz;
  if (d1 <= 0 && d2 <= 0) return [ax, ay, az];
  const bpx = q[0] - p[b]!, bpy = q[1] - p[b + 1]!, bpz = q[2] - p[b + 2]!;
  const d3 = abx * bpx + aby * bpy + abz * bpz, d4 = acx * bpx + acy * bpy + acz * bpz;
  if (d3 >= 0 && d4 <= d3) return [p[b]!, p[b + 1]!, p[b + 2]!];
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) { const v = d1 / (d1 - d3); return [ax + v * abx, ay + v * aby, az + v * abz]; }
  const cpx = q[0] - p[c]!, cpy = q[1] - p[c + 1]!, cpz = q[2] - p[c + 2]!;
  const d5 = abx * cpx + aby * cpy + abz * cpz, d6 = acx * cpx + acy * cpy + acz * cpz;
  if (d6 >= 0 && d5 <= d6) return [p[c]!, p[c + 1]!, p[c + 2]!];
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) { const w = d2 / (d2 - d6); return [ax + w * acx, ay + w * acy, az + w * acz]; }
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
    const w = (d4 - d3) / (d4 - d3 + (d5 - d6));
    return [p[b]! + w * (p[c]! - p[b]!), p[b + 1]! + w * (p[c + 1]! - p[b + 1]!), p[b + 2]! + w * (p[c + 2]! - p[b + 2]!)];
  }
  const denom = 1 / (va + vb + vc);
  const v = vb * denom, w = vc * denom;
  return [ax + abx * v + acx * w, ay + aby * v + acy * w, az + abz * v + acz * w];
}

// Triangles around each vertex (CSR): mesh-utils' vertexTriangles, used here to refine a vertex onto its faces.
export { vertexTriangles } from '../surface/mesh-utils.js';

/** The closest point to q on the triangles around vertex v. */
export function closestAroundVertex(mesh: Mesh, vt: { start: Uint32Array; tris: Uint32Array }, v: number, q: Vec3): Vec3 {
  const p = mesh.positions, ix = mesh.indices;
  let best: Vec3 = [p[3 * v]!, p[3 * v + 1]!, p[3 * v + 2]!];
  let bd = dist2(best, q);
  for (let s = vt.start[v]!; s < vt.start[v + 1]!; s++) {
    const t = vt.tris[s]!;
    const c = closestOnTriangle(p, 3 * ix[3 * t]!, 3 * ix[3 * t + 1]!, 3 * ix[3 * t + 2]!, q);
    const d = dist2(c, q);
    if (d < bd) { bd = d; best = c; }
  }
  return best;
}

export function dist2(a: readonly number[], b: readonly number[]): number {
  const dx = a[0]! - b[0]!, dy = a[1]! - b[1]!, dz = a[2]! - b[2]!;
  return dx * dx + dy * dy + dz * dz;
}

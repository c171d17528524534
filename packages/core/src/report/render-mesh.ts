/**
 * A small software rasteriser for the report's model view: orthographic, z-buffered,
 * Lambert-shaded. Deterministic and pure TypeScript (no WebGL), so the report is the
 * same in Node and in a browser worker. Views are named from the patient's frame (LPS).
 */
import type { Mesh } from '../geometry/types.js';
import type { RgbImage } from './png.js';

export type MeshView = 'anterior' | 'left' | 'superior';

/** Screen basis per view: screen-right vector, screen-up vector, towards-camera vector (LPS). */
const VIEWS: Record<MeshView, { right: number[]; up: number[]; toward: number[] }> = {
  // Facing the patient: the patient's left (+x) is on the viewer's right, superior (+z) up, camera anterior (−y).
  anterior: { right: [1, 0, 0], up: [0, 0, 1], toward: [0, -1, 0] },
  left: { right: [0, -1, 0], up: [0, 0, 1], toward: [1, 0, 0] },
  superior: { right: [1, 0, 0], up: [0, -1, 0], toward: [0, 0, 1] },
};

export function renderMesh(mesh: Mesh, view: MeshView = 'anterior', size = 384): RgbImage {
  const { right, up, toward } = VIEWS[view];
  const P = mesh.positions;
  const nv = P.length / 3;
  const sx = new Float64Array(nv);
  const sy = new Float64Array(nv);
  const sz = new Float64Array(nv);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let v = 0; v < nv; v++) {
    const x = P[3 * v]!, y = P[3 * v + 1]!, z = P[3 * v + 2]!;
    sx[v] = x * right[0]! + y * right[1]! + z * right[2]!;
    sy[v] = x * up[0]! + y * up[1]! + z * up[2]!;
    sz[v] = x * toward[0]! + y * toward[1]! + z * toward[2]!;
    if (sx[v]! < minX) minX = sx[v]!;
    if (sx[v]! > maxX) maxX = sx[v]!;
    if (sy[v]! < minY) minY = sy[v]!;
    if (sy[v]! > maxY) maxY = sy[v]!;
  }
  const width = size;
  const height = size;
  const rgb = new Uint8Array(width * height * 3).fill(250);
  if (nv === 0) return { width, height, rgb };
  const margin = 8;
  const scale = (size - 2 * margin) / Math.max(maxX - minX, maxY - minY, 1e-9);
  const ox = margin + ((size - 2 * margin) - (maxX - minX) * scale) / 2;
  const oy = margin + ((size - 2 * margin) - (maxY - minY) * scale) / 2;
  for (let v = 0; v < nv; v++) {
    sx[v] = ox + (sx[v]! - minX) * scale;
    sy[v] = height - (oy + (sy[v]! - minY) * scale); // screen y grows downwards
  }
  const depth = new Float64Array(width * height).fill(-Infinity);
  const I = mesh.indices;
  const light = [0.35, 0.45, 0.82];
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]!, b = I[t + 1]!, c = I[t + 2]!;
    const x0 = sx[a]!, y0 = sy[a]!, x1 = sx[b]!, y1 = sy[b]!, x2 = sx[c]!, y2 = sy[c]!;
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (area === 0) continue;
    const xmin = Math.max(0, Math.floor(Math.min(x0, x1, x2))), xmax = Math.min(width - 1, Math.ceil(Math.max(x0, x1, x2)));
    const ymin = Math.max(0, Math.floor(Math.min(y0, y1, y2))), ymax = Math.min(height - 1, Math.ceil(Math.max(y0, y1, y2)));
    // The colour is worked out at the triangle's first visible pixel: most of a skull's 1.6 M
    // triangles cover no pixel centre or lie behind others, and the shading was half the time.
    let cr = -1, cg = 0, cb = 0;
    for (let py = ymin; py <= ymax; py++) {
      for (let px = xmin; px <= xmax; px++) {
        const qx = px + 0.5, qy = py + 0.5;
        const w0 = ((x1 - qx) * (y2 - qy) - (x2 - qx) * (y1 - qy)) / area;
        const w1 = ((x2 - qx) * (y0 - qy) - (x0 - qx) * (y2 - qy)) / area;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const d = w0 * sz[a]! + w1 * sz[b]! + w2 * sz[c]!;
        const o = py * width + px;
        if (d <= depth[o]!) continue;
        depth[o] = d;
        if (cr < 0) {
          // face normal in patient space, then towards-camera component for shading
          const ux = P[3 * b]! - P[3 * a]!, uy = P[3 * b + 1]! - P[3 * a + 1]!, uz = P[3 * b + 2]! - P[3 * a + 2]!;
          const vx = P[3 * c]! - P[3 * a]!, vy = P[3 * c + 1]! - P[3 * a + 1]!, vz = P[3 * c + 2]! - P[3 * a + 2]!;
          const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
          const len = Math.hypot(nx, ny, nz) || 1;
          const nr = (nx * right[0]! + ny * right[1]! + nz * right[2]!) / len;
          const nu = (nx * up[0]! + ny * up[1]! + nz * up[2]!) / len;
          const nt = (nx * toward[0]! + ny * toward[1]! + nz * toward[2]!) / len;
          const shade = Math.max(0.12, nr * light[0]! + nu * light[1]! + nt * light[2]!);
          const back = nt < 0; // back faces seen through a hole are tinted, which makes holes visible
          cr = Math.round((back ? 200 : 236) * shade);
          cg = Math.round((back ? 90 : 222) * shade);
          cb = Math.round((back ? 90 : 196) * shade);
        }
        rgb[3 * o] = cr;
        rgb[3 * o + 1] = cg;
        rgb[3 * o + 2] = cb;
      }
    }
  }
  return { width, height, rgb };
}

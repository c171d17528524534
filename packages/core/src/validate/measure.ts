/**
 * Measures a model against the analytic shape it was scanned from: volume error,
 * surface distance (|sdf| at every vertex and triangle centroid: mean, p95, max, and the
 * signed mean that shows a systematic inward/outward bias), and wall thickness along
 * rays through the wall (plate: along z through its centre region; shell: radial).
 */
import type { Mesh } from '../geometry/types.js';
import type { AnalyticShape } from './shapes.js';
import { signedVolume_mm3 } from '../surface/mesh-utils.js';

export interface PhantomMeasures {
  volume_mm3: number;
  volumeTrue_mm3: number;
  volumeErrorPercent: number;
  surfaceDistance: { mean_mm: number; p95_mm: number; max_mm: number; signedMean_mm: number; samples: number };
  wallThickness: { true_mm: number; measured_mm: number; error_mm: number; rays: number } | null;
}

function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

/** Parameters t of all intersections of the ray o + t·d with the mesh (Möller–Trumbore). */
export function rayHits(mesh: Mesh, o: number[], d: number[]): number[] {
  const P = mesh.positions;
  const I = mesh.indices;
  const hits: number[] = [];
  for (let t = 0; t < I.length; t += 3) {
    const a = 3 * I[t]!, b = 3 * I[t + 1]!, c = 3 * I[t + 2]!;
    const e1x = P[b]! - P[a]!, e1y = P[b + 1]! - P[a + 1]!, e1z = P[b + 2]! - P[a + 2]!;
    const e2x = P[c]! - P[a]!, e2y = P[c + 1]! - P[a + 1]!, e2z = P[c + 2]! - P[a + 2]!;
    const px = d[1]! * e2z - d[2]! * e2y, py = d[2]! * e2x - d[0]! * e2z, pz = d[0]! * e2y - d[1]! * e2x;
    const det = e1x * px + e1y * py + e1z * pz;
    if (Math.abs(det) < 1e-12) continue;
    const inv = 1 / det;
    const sx = o[0]! - P[a]!, sy = o[1]! - P[a + 1]!, sz = o[2]! - P[a + 2]!;
    const u = (sx * px + sy * py + sz * pz) * inv;
    if (u < 0 || u > 1) continue;
    const qx = sy * e1z - sz * e1y, qy = sz * e1x - sx * e1z, qz = sx * e1y - sy * e1x;
    const v = (d[0]! * qx + d[1]! * qy + d[2]! * qz) * inv;
    if (v < 0 || u + v > 1) continue;
    hits.push((e2x * qx + e2y * qy + e2z * qz) * inv);
  }
  return hits.sort((x, y) => x - y);
}

export function measureAgainstShape(mesh: Mesh, shape: AnalyticShape): PhantomMeasures {
  const P = mesh.positions;
  const I = mesh.indices;
  const nv = P.length / 3;
  const nt = I.length / 3;
  const dist = new Float64Array(nv + nt);
  let signed = 0;
  for (let v = 0; v < nv; v++) {
    const s = shape.sdf(P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!);
    dist[v] = Math.abs(s);
    signed += s;
  }
  for (let t = 0; t < nt; t++) {
    const a = 3 * I[3 * t]!, b = 3 * I[3 * t + 1]!, c = 3 * I[3 * t + 2]!;
    const s = shape.sdf((P[a]! + P[b]! + P[c]!) / 3, (P[a + 1]! + P[b + 1]! + P[c + 1]!) / 3, (P[a + 2]! + P[b + 2]! + P[c + 2]!) / 3);
    dist[nv + t] = Math.abs(s);
    signed += s;
  }
  let sum = 0;
  for (const d of dist) sum += d;
  const sorted = Float64Array.from(dist).sort();
  const volume = signedVolume_mm3(mesh);
  return {
    volume_mm3: volume,
    volumeTrue_mm3: shape.volume_mm3,
    volumeErrorPercent: ((volume - shape.volume_mm3) / shape.volume_mm3) * 100,
    surfaceDistance: {
      mean_mm: dist.length ? sum / dist.length : NaN,
      p95_mm: percentile(sorted, 0.95),
      max_mm: sorted.length ? sorted[sorted.length - 1]! : NaN,
      signedMean_mm: dist.length ? signed / dist.length : NaN,
      samples: dist.length,
    },
    wallThickness: measureWall(mesh, shape),
  };
}

/** Mean wall thickness along rays crossing the wall once in and once out. */
function measureWall(mesh: Mesh, shape: AnalyticShape): PhantomMeasures['wallThickness'] {
  if (shape.wallThickness_mm === null) return null;
  const c = shape.describe.centre_mm;
  const rays: Array<{ o: number[]; d: number[] }> = [];
  if (shape.kind === 'plate') {
    const w = shape.describe.width_mm as number;
    // along the plate's normal (0, −sin t, cos t), from points spread over its central region
    const t = (((shape.describe.tilt_deg as number | undefined) ?? 0) * Math.PI) / 180;
    const n = [0, -Math.sin(t), Math.cos(t)];
    const v = [0, Math.cos(t), Math.sin(t)];
    for (let i = -2; i <= 2; i++)
      for (let j = -2; j <= 2; j++) {
        const a = (i * w) / 10 + 0.173, b = (j * w) / 10 + 0.131;
        rays.push({ o: [c[0] + a, c[1] + b * v[1]! - 50 * n[1]!, c[2] + b * v[2]! - 50 * n[2]!], d: n });
      }
  } else {
    // radial rays from the centre in 26 directions (shell): first two hits bound the wall
    for (let i = -1; i <= 1; i++)
      for (let j = -1; j <= 1; j++)
        for (let k = -1; k <= 1; k++) {
          if (!i && !j && !k) continue;
          const n = Math.hypot(i + 0.013, j + 0.021, k + 0.017);
          rays.push({ o: [...c], d: [(i + 0.013) / n, (j + 0.021) / n, (k + 0.017) / n] });
        }
  }
  const values: number[] = [];
  for (const r of rays) {
    const hits = rayHits(mesh, r.o, r.d).filter((t) => t > 0);
    if (hits.length >= 2) values.push(hits[1]! - hits[0]!);
  }
  if (!values.length) return { true_mm: shape.wallThickness_mm, measured_mm: NaN, error_mm: NaN, rays: 0 };
  const measured = values.reduce((s, v) => s + v, 0) / values.length;
  return { true_mm: shape.wallThickness_mm, measured_mm: measured, error_mm: measured - shape.wallThickness_mm, rays: values.length };
}

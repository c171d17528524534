/**
 * Analytic test meshes (closed, outward-oriented unless said otherwise) for the conditioning
 * and format specs: icosphere, UV sphere, torus, box, and helpers to flip or join them.
 */
import type { Mesh } from '../geometry/types.js';
import { pointTriangleDistance2 } from '../surface/distance.js';
import { concatMeshes } from '../surface/mesh-utils.js';

/** Icosphere of the given radius: 20·4^subdivisions triangles, vertices exactly on the sphere. */
export function icosphere(radius: number, subdivisions: number, center: [number, number, number] = [0, 0, 0]): Mesh {
  const t = (1 + Math.sqrt(5)) / 2;
  let verts: number[][] = [
    [-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0],
    [0, -1, t], [0, 1, t], [0, -1, -t], [0, 1, -t],
    [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1],
  ].map((v) => normalise(v));
  let faces: number[][] = [
    [0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
    [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
    [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
    [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1],
  ];
  for (let s = 0; s < subdivisions; s++) {
    const mid = new Map<string, number>();
    const midpoint = (a: number, b: number): number => {
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      let m = mid.get(key);
      if (m === undefined) {
        m = verts.length;
        verts.push(normalise([verts[a]![0]! + verts[b]![0]!, verts[a]![1]! + verts[b]![1]!, verts[a]![2]! + verts[b]![2]!]));
        mid.set(key, m);
      }
      return m;
    };
    const next: number[][] = [];
    for (const [a, b, c] of faces) {
      const ab = midpoint(a!, b!), bc = midpoint(b!, c!), ca = midpoint(c!, a!);
      next.push([a!, ab, ca], [b!, bc, ab], [c!, ca, bc], [ab, bc, ca]);
    }
    faces = next;
  }
  verts = verts.map((v) => [center[0] + radius * v[0]!, center[1] + radius * v[1]!, center[2] + radius * v[2]!]);
  return { positions: Float32Array.from(verts.flat()), indices: Uint32Array.from(faces.flat()) };
}

/** UV sphere with poles (segments around × rings from pole to pole). */
export function uvSphere(radius: number, segments: number, rings: number, center: [number, number, number] = [0, 0, 0]): Mesh {
  const pos: number[] = [center[0], center[1], center[2] + radius];
  for (let r = 1; r < rings; r++) {
    const th = (Math.PI * r) / rings;
    for (let s = 0; s < segments; s++) {
      const ph = (2 * Math.PI * s) / segments;
      pos.push(center[0] + radius * Math.sin(th) * Math.cos(ph), center[1] + radius * Math.sin(th) * Math.sin(ph), center[2] + radius * Math.cos(th));
    }
  }
  pos.push(center[0], center[1], center[2] - radius);
  const south = pos.length / 3 - 1;
  const idx: number[] = [];
  const ring = (r: number, s: number): number => 1 + (r - 1) * segments + (s % segments);
  for (let s = 0; s < segments; s++) idx.push(0, ring(1, s), ring(1, s + 1));
  for (let r = 1; r < rings - 1; r++) {
    for (let s = 0; s < segments; s++) {
      idx.push(ring(r, s), ring(r + 1, s), ring(r + 1, s + 1));
      idx.push(ring(r, s), ring(r + 1, s + 1), ring(r, s + 1));
    }
  }
  for (let s = 0; s < segments; s++) idx.push(south, ring(rings - 1, s + 1), ring(rings - 1, s));
  return { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
}

/** Torus around z: major radius R, minor radius r. */
export function torus(R: number, r: number, nu: number, nv: number): Mesh {
  const pos: number[] = [];
  for (let i = 0; i < nu; i++) {
    const u = (2 * Math.PI * i) / nu;
    for (let j = 0; j < nv; j++) {
      const v = (2 * Math.PI * j) / nv;
      pos.push((R + r * Math.cos(v)) * Math.cos(u), (R + r * Math.cos(v)) * Math.sin(u), r * Math.sin(v));
    }
  }
  const id = (i: number, j: number): number => (i % nu) * nv + (j % nv);
  const idx: number[] = [];
  for (let i = 0; i < nu; i++) {
    for (let j = 0; j < nv; j++) {
      idx.push(id(i, j), id(i + 1, j), id(i + 1, j + 1));
      idx.push(id(i, j), id(i + 1, j + 1), id(i, j + 1));
    }
  }
  return { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
}

/** Axis-aligned box, each face split into n×n quads (2 triangles each). */
export function box(min: [number, number, number], max: [number, number, number], n = 1): Mesh {
  const parts: Mesh[] = [];
  // Each face: origin corner, two edge vectors (u × v points outward).
  const d = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
  const faces: [number[], number[], number[]][] = [
    [[min[0], min[1], min[2]], [0, d[1]!, 0], [d[0]!, 0, 0]], // z = min, normal −z
    [[min[0], min[1], max[2]], [d[0]!, 0, 0], [0, d[1]!, 0]], // z = max, +z
    [[min[0], min[1], min[2]], [d[0]!, 0, 0], [0, 0, d[2]!]], // y = min, −y
    [[min[0], max[1], min[2]], [0, 0, d[2]!], [d[0]!, 0, 0]], // y = max, +y
    [[min[0], min[1], min[2]], [0, 0, d[2]!], [0, d[1]!, 0]], // x = min, −x
    [[max[0], min[1], min[2]], [0, d[1]!, 0], [0, 0, d[2]!]], // x = max, +x
  ];
  for (const [o, u, v] of faces) {
    const pos: number[] = [];
    const idx: number[] = [];
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        for (let a = 0; a < 3; a++) pos.push(o[a]! + (u[a]! * i) / n + (v[a]! * j) / n);
      }
    }
    const id = (i: number, j: number): number => i * (n + 1) + j;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        idx.push(id(i, j), id(i + 1, j), id(i + 1, j + 1), id(i, j), id(i + 1, j + 1), id(i, j + 1));
      }
    }
    parts.push({ positions: Float32Array.from(pos), indices: Uint32Array.from(idx) });
  }
  // Faces share edge vertices only by position: weld them (exact, the grid values coincide).
  return weldExact(concatMeshes(parts));
}

/** Reverses the winding of every triangle. */
export function flipped(mesh: Mesh): Mesh {
  const indices = mesh.indices.slice();
  for (let t = 0; t < indices.length; t += 3) {
    indices[t + 1] = mesh.indices[t + 2]!;
    indices[t + 2] = mesh.indices[t + 1]!;
  }
  return { positions: mesh.positions.slice(), indices };
}

/** Welds vertices with identical coordinates (a small, test-only helper). */
export function weldExact(mesh: Mesh): Mesh {
  const map = new Map<string, number>();
  const pos: number[] = [];
  const remap: number[] = [];
  for (let v = 0; v < mesh.positions.length / 3; v++) {
    const key = `${mesh.positions[3 * v]},${mesh.positions[3 * v + 1]},${mesh.positions[3 * v + 2]}`;
    let id = map.get(key);
    if (id === undefined) {
      id = pos.length / 3;
      map.set(key, id);
      pos.push(mesh.positions[3 * v]!, mesh.positions[3 * v + 1]!, mesh.positions[3 * v + 2]!);
    }
    remap.push(id);
  }
  return { positions: Float32Array.from(pos), indices: mesh.indices.map((i) => remap[i]!) };
}

/** Splits every vertex per triangle (a "triangle soup", as an STL file stores it). */
export function unweld(mesh: Mesh): Mesh {
  const positions = new Float32Array(mesh.indices.length * 3);
  for (let i = 0; i < mesh.indices.length; i++) positions.set(mesh.positions.subarray(3 * mesh.indices[i]!, 3 * mesh.indices[i]! + 3), 3 * i);
  return { positions, indices: Uint32Array.from({ length: mesh.indices.length }, (_, i) => i) };
}

export function translate(mesh: Mesh, d: [number, number, number]): Mesh {
  const positions = mesh.positions.slice();
  for (let i = 0; i < positions.length; i += 3) {
    positions[i]! += d[0];
    positions[i + 1]! += d[1];
    positions[i + 2]! += d[2];
  }
  return { positions, indices: mesh.indices.slice() };
}

function normalise(v: number[]): number[] {
  const l = Math.hypot(v[0]!, v[1]!, v[2]!);
  return [v[0]! / l, v[1]! / l, v[2]! / l];
}

/**
 * The same mesh with its vertices renumbered by a fixed shuffle, so that neighbours lie far
 * apart in index (for code that works on vertex slabs or cache-sized blocks).
 */
export function shuffledVertices(mesh: Mesh): Mesh {
  const nv = mesh.positions.length / 3;
  const perm = Array.from({ length: nv }, (_, i) => i);
  let seed = 12345;
  for (let i = nv - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % (i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const positions = new Float32Array(3 * nv);
  for (let v = 0; v < nv; v++) for (let a = 0; a < 3; a++) positions[3 * perm[v]! + a] = mesh.positions[3 * v + a]!;
  return { positions, indices: mesh.indices.map((v) => perm[v]!) };
}

/** The exact distance from (x, y, z) to `m`, by trying every triangle: the reference the fast searches are checked against. */
export function bruteDistance(m: Mesh, x: number, y: number, z: number): number {
  let best = Infinity;
  for (let t = 0; t < m.indices.length / 3; t++) {
    const d2 = pointTriangleDistance2(m.positions, 3 * m.indices[3 * t]!, 3 * m.indices[3 * t + 1]!, 3 * m.indices[3 * t + 2]!, x, y, z);
    if (d2 < best) best = d2;
  }
  return Math.sqrt(best);
}

/**
 * Our Mesh ↔ manifold-3d's Manifold, and the few rigid transforms the print stages use.
 * The Manifold constructor only accepts an oriented closed 2-manifold with shared vertices,
 * so vertices at the same float32 position are merged first (readers of STL give one vertex
 * per corner); a mesh it still refuses is an input error naming the file.
 */
import { inputError } from '../errors.js';
import type { Mesh } from '../geometry/types.js';
import { manifoldModule } from '../surface/gate.js';
import { coincidentRep } from '../surface/cleanup.js';

export type ManifoldModule = Awaited<ReturnType<typeof manifoldModule>>;
export type Manifold = InstanceType<ManifoldModule['Manifold']>;
export type CrossSection = InstanceType<ManifoldModule['CrossSection']>;
export type Vec3 = [number, number, number];
export type Mat4 = Parameters<Manifold['transform']>[0];

/** A rotation (row-major 3×3, a signed axis permutation here) and a translation: x' = R·x + t. */
export interface RigidTransform {
  rotation: number[];
  translation: Vec3;
}

export function toManifold(m: ManifoldModule, mesh: Mesh, file: string): Manifold {
  const { rep, coincident } = coincidentRep(mesh.positions);
  let indices = mesh.indices;
  if (coincident > 0) {
    indices = new Uint32Array(mesh.indices.length);
    for (let i = 0; i < indices.length; i++) indices[i] = rep[mesh.indices[i]!]!;
  }
  try {
    const man = new m.Manifold(new m.Mesh({ numProp: 3, vertProperties: mesh.positions, triVerts: indices }));
    if (man.status() !== 'NoError') {
      const s = man.status();
      man.delete();
      throw new Error(s);
    }
    return man;
  } catch (e) {
    const why = (e as { code?: string })?.code ?? (e as Error)?.message ?? String(e);
    throw inputError('MODEL_NOT_MANIFOLD', `the model is not a closed, oriented 2-manifold (manifold-3d: ${why}); repair it (scan2print mesh builds closed ones) before preparing it for print`, file, e);
  }
}

export function fromManifold(man: Manifold): Mesh {
  const g = man.getMesh();
  const n = g.numProp;
  const verts = g.vertProperties;
  const positions = new Float32Array((verts.length / n) * 3);
  for (let v = 0, o = 0; o < positions.length; v += n, o += 3) {
    positions[o] = verts[v]!;
    positions[o + 1] = verts[v + 1]!;
    positions[o + 2] = verts[v + 2]!;
  }
  return { positions, indices: new Uint32Array(g.triVerts) };
}

/** manifold-3d's column-major 4×4 of x' = R·x + t. */
export function mat4(t: RigidTransform): Mat4 {
  const r = t.rotation;
  return [r[0]!, r[3]!, r[6]!, 0, r[1]!, r[4]!, r[7]!, 0, r[2]!, r[5]!, r[8]!, 0, t.translation[0], t.translation[1], t.translation[2], 1] as Mat4;
}

export function applyPoint(t: RigidTransform, p: readonly number[]): Vec3 {
  const r = t.rotation;
  return [
    r[0]! * p[0]! + r[1]! * p[1]! + r[2]! * p[2]! + t.translation[0],
    r[3]! * p[0]! + r[4]! * p[1]! + r[5]! * p[2]! + t.translation[1],
    r[6]! * p[0]! + r[7]! * p[1]! + r[8]! * p[2]! + t.translation[2],
  ];
}

/** The inverse of a rigid transform (R orthonormal: Rᵀ, −Rᵀt). */
export function invert(t: RigidTransform): RigidTransform {
  const r = t.rotation;
  const rt = [r[0]!, r[3]!, r[6]!, r[1]!, r[4]!, r[7]!, r[2]!, r[5]!, r[8]!];
  const x = applyPoint({ rotation: rt, translation: [0, 0, 0] }, t.translation);
  return { rotation: rt, translation: [-x[0] || 0, -x[1] || 0, -x[2] || 0] };
}

/** Applies a rigid transform to a mesh (positions only), flipping nothing: a proper rotation keeps the winding. */
export function transformMesh(mesh: Mesh, t: RigidTransform): Mesh {
  const p = mesh.positions;
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const q = applyPoint(t, [p[i]!, p[i + 1]!, p[i + 2]!]);
    out[i] = q[0];
    out[i + 1] = q[1];
    out[i + 2] = q[2];
  }
  return { positions: out, indices: mesh.indices };
}

/** Deletes WASM objects (manifold-3d does not collect them). */
export function free(...objs: ({ delete(): void } | undefined)[]): void {
  for (const o of objs) o?.delete();
}

/**
 * The clean-up's compaction in one pass: the kept triangles (whole shells), turned where the
 * orientation said so, the vertices they use renumbered in order of first use, and the kept
 * shells' labels. The same arrays as orienting (copy of the indices with the turns applied),
 * compactMesh and keptShells one after the other, without the intermediate copies.
 */
import type { Mesh } from '../geometry/types.js';
import { vertexCount, type MeshShells } from './mesh-utils.js';
import { withRoom } from './room.js';

export interface CompactedShells extends MeshShells {
  mesh: Mesh;
  /** New id of every old shell, −1 where it was dropped. */
  newId: Int32Array;
}

/**
 * `keep`: 1 for every kept triangle (whole shells); `turnShell`: 1 for every shell whose
 * triangles are written with corners 1 and 2 swapped; `vertexRemap` receives the new index of
 * every old vertex (−1 where unused), as compactMesh's. `room`: the output's arrays are views of
 * buffers with room for that many more vertices and triangles (split-edges.ts grownView).
 */
export function compactShells(
  mesh: Mesh,
  keep: Uint8Array,
  shells: MeshShells,
  turnShell?: Uint8Array,
  vertexRemap?: Int32Array,
  room: { vertices: number; triangles: number } = { vertices: 0, triangles: 0 },
): CompactedShells {
  const { shellOf, shellCount } = shells;
  const ix = mesh.indices;
  const nTri = keep.length;
  const remap = vertexRemap ?? new Int32Array(vertexCount(mesh));
  remap.fill(-1);
  let nt = 0;
  for (let t = 0; t < nTri; t++) nt += keep[t]!;
  const rt = room.triangles;
  const indices = withRoom(Uint32Array, 3 * nt, 3 * rt);
  const outShellOf = withRoom(Uint32Array, nt, rt);
  const src = mesh.groups;
  const groups = src ? withRoom(Uint32Array, nt, rt) : undefined;
  const newId = new Int32Array(shellCount).fill(-1);
  let shellCountOut = 0;
  let nv = 0;
  let o = 0;
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    if (!keep[t]) continue;
    const s = shellOf[t]!;
    let id = newId[s]!;
    if (id === -1) id = newId[s] = shellCountOut++;
    const k = o / 3;
    outShellOf[k] = id;
    if (groups) groups[k] = src![t]!;
    const a = ix[h]!;
    let b = ix[h + 1]!;
    let c = ix[h + 2]!;
    if (turnShell && turnShell[s]) {
      const x = b;
      b = c;
      c = x;
    }
    let r = remap[a]!;
    if (r === -1) r = remap[a] = nv++;
    indices[o++] = r;
    r = remap[b]!;
    if (r === -1) r = remap[b] = nv++;
    indices[o++] = r;
    r = remap[c]!;
    if (r === -1) r = remap[c] = nv++;
    indices[o++] = r;
  }
  const p = mesh.positions;
  const positions = withRoom(Float32Array, 3 * nv, 3 * room.vertices);
  for (let v = 0, i = 0; v < remap.length; v++, i += 3) {
    const r = remap[v]!;
    if (r < 0) continue;
    positions[3 * r] = p[i]!;
    positions[3 * r + 1] = p[i + 1]!;
    positions[3 * r + 2] = p[i + 2]!;
  }
  const out: Mesh = groups ? { positions, indices, groups } : { positions, indices };
  return { mesh: out, shellOf: outShellOf, shellCount: shellCountOut, newId };
}

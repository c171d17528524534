/**
 * Orientation: every shell wound consistently and facing out, cavity walls facing in.
 */
import type { Mesh } from '../geometry/types.js';
import { nestingDepth, shellEnclosures } from './cavities.js';
import { buildEdgeTable, edgeUses, labelShells, pairedOpposite, triangleCount, tripleProduct, vertexCount, type EdgeTable, type MeshShells } from './mesh-utils.js';

export interface OrientResult {
  mesh: Mesh;
  flipped: number;
  shellsFlipped: number;
  conflicts: number;
  enclosures: Uint32Array;
  /**
   * Signed volume of every shell before turning (shellVolumes_mm3's sums, in its order), when the
   * pieces are the shells (consistent winding); turning a shell negates it exactly, so the
   * magnitudes are the output's too.
   */
  shellVolumes?: Float64Array;
  /**
   * With `deferTurn` and consistent winding: 1 for every shell to turn, the mesh left as it was
   * (the caller applies the turns while it copies the triangles anyway: compactShells).
   */
  turnShell?: Uint8Array;
}

/**
 * Consistent winding by breadth-first search over edges used exactly twice, then each
 * connected piece is turned so its signed volume is positive, or negative for the wall of a
 * cavity (odd nesting depth), so the enclosed material is on the inside of every face.
 * When every edge is already used twice in opposite directions (an extractor's output), the
 * search is skipped: the pieces are the shells and only whole shells may need turning.
 */
export function orientShells(
  mesh: Mesh,
  edges?: EdgeTable,
  shells?: MeshShells,
  opts: { deferTurn?: boolean } = {},
): OrientResult {
  const ix = mesh.indices;
  const nTri = triangleCount(mesh);
  const et = edges ?? buildEdgeTable(ix, vertexCount(mesh));
  const consistent = pairedOpposite(edgeUses(ix, et));
  const { shellOf, shellCount } = shells ?? labelShells(mesh, et);
  if (consistent) return turnWholeShells(mesh, shellOf, shellCount, opts.deferTurn ?? false);
  const flip = new Uint8Array(nTri);
  let conflicts = 0;
  const comp = new Int32Array(nTri).fill(-1);
  let compCount = 0;
  const queue = new Uint32Array(nTri);
  for (let seed = 0; seed < nTri; seed++) {
    if (comp[seed] !== -1) continue;
    const id = compCount++;
    comp[seed] = id;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    while (head < tail) {
      const t = queue[head++]!;
      for (let k = 0; k < 3; k++) {
        const h = 3 * t + k;
        const e = et.heEdge[h]!;
        const s = et.edgeStart[e]!;
        if (et.edgeStart[e + 1]! - s !== 2) continue;
        const h2 = et.edgeHe[s] === h ? et.edgeHe[s + 1]! : et.edgeHe[s]!;
        const t2 = (h2 / 3) | 0;
        const effTail = flip[t] ? ix[3 * t + ((k + 1) % 3)]! : ix[h]!;
        const want = ix[h2] === effTail ? 1 : 0; // same direction → t2 must be flipped
        if (comp[t2] === -1) {
          comp[t2] = id;
          flip[t2] = want;
          queue[tail++] = t2;
        } else if (t2 !== t && flip[t2] !== want) {
          conflicts++;
        }
      }
    }
  }
  // Signed volume of every piece with the flips applied.
  const p = mesh.positions;
  const vol = new Float64Array(compCount);
  for (let t = 0; t < nTri; t++) {
    const v = tripleProduct(p, 3 * ix[3 * t]!, 3 * ix[3 * t + 1]!, 3 * ix[3 * t + 2]!) / 6;
    vol[comp[t]!]! += flip[t] ? -v : v;
  }
  // which shell encloses which: kept for a later step on the same triangles (fillCavities)
  const enclosures = shellEnclosures(mesh, shellOf, shellCount);
  const depth = nestingDepth(enclosures, shellCount);
  const compShell = new Int32Array(compCount).fill(-1);
  for (let t = 0; t < nTri; t++) if (compShell[comp[t]!] === -1) compShell[comp[t]!] = shellOf[t]!;
  const turn = new Uint8Array(compCount);
  let shellsFlipped = 0;
  for (let k = 0; k < compCount; k++) {
    const wantPositive = depth[compShell[k]!]! % 2 === 0;
    if (vol[k]! !== 0 && vol[k]! > 0 !== wantPositive) {
      turn[k] = 1;
      shellsFlipped++;
    }
  }
  let flipped = 0;
  for (let t = 0; t < nTri; t++) flipped += flip[t]! ^ turn[comp[t]!]!;
  if (flipped === 0) return { mesh, flipped, shellsFlipped, conflicts: conflicts >> 1, enclosures };
  const indices = ix.slice();
  for (let t = 0; t < nTri; t++) {
    if ((flip[t]! ^ turn[comp[t]!]!) === 1) {
      indices[3 * t + 1] = ix[3 * t + 2]!;
      indices[3 * t + 2] = ix[3 * t + 1]!;
    }
  }
  return { mesh: withIndices(mesh, indices), flipped, shellsFlipped, conflicts: conflicts >> 1, enclosures };
}

/**
 * orientShells of a mesh whose winding is known to be consistent (every edge used twice, in
 * opposite directions) with its shells known: the same result, without an edge table.
 */
export function orientWoundShells(mesh: Mesh, shells: MeshShells, opts: { deferTurn?: boolean } = {}): OrientResult {
  return turnWholeShells(mesh, shells.shellOf, shells.shellCount, opts.deferTurn ?? false);
}

/**
 * orientShells when the winding is consistent: the pieces are the shells, so one pass sums
 * every shell's signed volume and counts its triangles, and whole shells turn (no per-triangle
 * flips, no second pass to count them).
 */
function turnWholeShells(mesh: Mesh, shellOf: Uint32Array, shellCount: number, deferTurn: boolean): OrientResult {
  const ix = mesh.indices;
  const p = mesh.positions;
  const nTri = shellOf.length;
  const vol = new Float64Array(shellCount);
  const triCount = new Uint32Array(shellCount);
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    const s = shellOf[t]!;
    vol[s]! += tripleProduct(p, 3 * ix[h]!, 3 * ix[h + 1]!, 3 * ix[h + 2]!) / 6;
    triCount[s]!++;
  }
  // which shell encloses which: kept for a later step on the same triangles (fillCavities)
  const enclosures = shellEnclosures(mesh, shellOf, shellCount, triCount);
  const depth = nestingDepth(enclosures, shellCount);
  const turn = new Uint8Array(shellCount);
  let shellsFlipped = 0;
  let flipped = 0;
  for (let s = 0; s < shellCount; s++) {
    const wantPositive = depth[s]! % 2 === 0;
    if (vol[s]! !== 0 && vol[s]! > 0 !== wantPositive) {
      turn[s] = 1;
      shellsFlipped++;
      flipped += triCount[s]!;
    }
  }
  const result = { flipped, shellsFlipped, conflicts: 0, enclosures, shellVolumes: vol };
  if (flipped === 0) return { mesh, ...result };
  if (deferTurn) return { mesh, ...result, turnShell: turn };
  const indices = ix.slice();
  for (let t = 0, h = 0; t < nTri; t++, h += 3) {
    if (turn[shellOf[t]!]) {
      indices[h + 1] = ix[h + 2]!;
      indices[h + 2] = ix[h + 1]!;
    }
  }
  return { mesh: withIndices(mesh, indices), ...result };
}

function withIndices(mesh: Mesh, indices: Uint32Array): Mesh {
  const out: Mesh = { positions: mesh.positions, indices };
  if (mesh.groups) out.groups = mesh.groups;
  return out;
}

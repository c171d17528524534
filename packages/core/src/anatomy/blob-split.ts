/**
 * Splits an axial bone blob where a thick bone meets a thin one (anatomy/chains.ts runs it on
 * every level before chaining the blobs).
 *
 * Why: at CT resolution the femoral head touches its socket in every axial slice through the
 * joint, and the vertebral body its arch and the rib heads, so one 2D blob holds two
 * structures and the chain that holds it is named as one. In an axial slice the femoral head
 * (≈ 45 mm across) and a vertebral body are thick discs, while the acetabular wall, a rib and
 * a lamina are a few millimetres thick (Gray's). A morphological opening tells them apart: the
 * blob's core (cells deeper than `depth_mm` from its edge) grown back by the same depth is
 * the thick part; what is left (the residue) is the thin part. Each core component and each
 * sizeable residue component becomes its own blob; small residue pieces (corners a disc's
 * opening leaves) go back to the core they touch. A blob with no core (a ring of cortex, a
 * rib, the skull's wall) is left whole.
 */
import { floodPlane } from './flood-plane.js';

export interface BlobSplitParams {
  /** Depth of a core cell below the blob's edge, mm (default 6). */
  depth_mm: number;
  /** Smallest core component kept, mm² (default 100). */
  minCore_mm2: number;
  /** Smallest residue component that becomes a blob of its own, mm² (default 150). */
  minResidue_mm2: number;
}

export const BLOB_SPLIT_DEFAULTS: BlobSplitParams = { depth_mm: 6, minCore_mm2: 100, minResidue_mm2: 150 };

const ORTHO = 2;
const DIAG = 3;

/**
 * Splits the blobs of one axial plane in place: `node` holds blob ids (0 = none) for the
 * plane's cells starting at `base`; blobs numbered above `nextId` − 1 are new. Returns the next
 * free id. `cell_mm` is the cell's (x, y) size.
 */
export function splitPlaneBlobs(node: Int32Array, base: number, nx: number, ny: number, cell_mm: [number, number], nextId: number, p: BlobSplitParams = BLOB_SPLIT_DEFAULTS): number {
  const plane = nx * ny;
  const h = Math.min(cell_mm[0], cell_mm[1]);
  const area = cell_mm[0] * cell_mm[1];
  // Chamfer distance (2 per orthogonal, 3 per diagonal step, ≈ 2 per cell) to the nearest cell of another blob or none.
  const dist = new Int32Array(plane);
  const at = (i: number, j: number) => (i < 0 || j < 0 || i >= nx || j >= ny ? 0 : node[base + i + j * nx]!);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const id = node[base + i + j * nx]!;
      if (!id) continue;
      let d = ORTHO;
      if (at(i - 1, j) === id && at(i, j - 1) === id && at(i - 1, j - 1) === id && at(i + 1, j - 1) === id) {
        d = Math.min(dist[i - 1 + j * nx]! + ORTHO, dist[i + (j - 1) * nx]! + ORTHO, dist[i - 1 + (j - 1) * nx]! + DIAG, dist[i + 1 + (j - 1) * nx]! + DIAG);
      }
      dist[i + j * nx] = d;
    }
  }
  for (let j = ny - 1; j >= 0; j--) {
    for (let i = nx - 1; i >= 0; i--) {
      const id = node[base + i + j * nx]!;
      if (!id) continue;
      let d = dist[i + j * nx]!;
      if (at(i + 1, j) !== id || at(i, j + 1) !== id || at(i + 1, j + 1) !== id || at(i - 1, j + 1) !== id) d = ORTHO;
      else d = Math.min(d, dist[i + 1 + j * nx]! + ORTHO, dist[i + (j + 1) * nx]! + ORTHO, dist[i + 1 + (j + 1) * nx]! + DIAG, dist[i - 1 + (j + 1) * nx]! + DIAG);
      dist[i + j * nx] = d;
    }
  }
  const depth = (2 * p.depth_mm) / h;
  const steps = Math.max(1, Math.round(p.depth_mm / h));
  // Core components (8-connected, same blob), grown back by `steps` cells within the blob (multi-source BFS).
  const part = new Int32Array(plane); // 0 unassigned; else the new sub-blob id (core part) or −1 residue
  const stack = new Int32Array(plane);
  const queue = new Int32Array(plane);
  const stepOf = new Int32Array(plane);
  const coresOf = new Map<number, number[]>();
  let cores = 0;
  let tail = 0;
  for (let c = 0; c < plane; c++) {
    const id = node[base + c]!;
    if (!id || part[c] || dist[c]! < depth) continue;
    const members: number[] = [];
    const tmp = ++cores; // provisional label (> 0) while filling
    part[c] = tmp;
    const joinCore = (t: number) => {
      if (part[t] || node[base + t] !== id || dist[t]! < depth) return false;
      part[t] = tmp;
      return true;
    };
    floodPlane(c, nx, ny, stack, joinCore, (r) => members.push(r));
    if (members.length * area < p.minCore_mm2) {
      for (const r of members) part[r] = 0;
      continue;
    }
    const list = coresOf.get(id) ?? [];
    list.push(tmp);
    coresOf.set(id, list);
    for (const r of members) {
      queue[tail++] = r;
      stepOf[r] = 0;
    }
  }
  if (coresOf.size === 0) return nextId;
  // Grow the cores back (the opening), each cell to the core that reaches it first.
  for (let head = 0; head < tail; head++) {
    const r = queue[head]!;
    if (stepOf[r]! >= steps) continue;
    const i = r % nx;
    const j = (r - i) / nx;
    for (let dj = -1; dj <= 1; dj++) {
      for (let di = -1; di <= 1; di++) {
        const ii = i + di;
        const jj = j + dj;
        if (ii < 0 || jj < 0 || ii >= nx || jj >= ny) continue;
        const t = ii + jj * nx;
        if (!part[t] && node[base + t] === node[base + r]) {
          part[t] = part[r]!;
          stepOf[t] = stepOf[r]! + 1;
          queue[tail++] = t;
        }
      }
    }
  }
  // Residue components of blobs with a core: large ones become blobs, small ones join the core they touch.
  const finalOf = new Map<number, number>();
  let next = nextId;
  const idOf = (tmp: number) => {
    let v = finalOf.get(tmp);
    if (v === undefined) {
      v = next++;
      finalOf.set(tmp, v);
    }
    return v;
  };
  const small: number[] = [];
  for (let c = 0; c < plane; c++) {
    const id = node[base + c]!;
    if (!id || part[c] || !coresOf.has(id)) continue;
    const members: number[] = [];
    part[c] = -1;
    const joinResidue = (t: number) => {
      if (part[t] || node[base + t] !== id) return false;
      part[t] = -1;
      return true;
    };
    floodPlane(c, nx, ny, stack, joinResidue, (r) => members.push(r));
    if (members.length * area >= p.minResidue_mm2) {
      const v = next++;
      for (const r of members) node[base + r] = v;
    } else small.push(...members);
  }
  // Core parts take new ids (ids stay unique over all planes).
  for (let c = 0; c < plane; c++) if (part[c]! > 0) node[base + c] = idOf(part[c]!);
  // Small residue pieces: breadth-first from the core cells around them.
  let pending = small.filter((r) => part[r] === -1);
  while (pending.length > 0) {
    const left: number[] = [];
    const assign: Array<[number, number]> = [];
    for (const r of pending) {
      const i = r % nx;
      const j = (r - i) / nx;
      let v = 0;
      for (let dj = -1; dj <= 1 && !v; dj++) {
        for (let di = -1; di <= 1 && !v; di++) {
          const ii = i + di;
          const jj = j + dj;
          if (ii < 0 || jj < 0 || ii >= nx || jj >= ny) continue;
          const t = ii + jj * nx;
          if (part[t]! > 0) v = node[base + t]!;
        }
      }
      if (v) assign.push([r, v]);
      else left.push(r);
    }
    if (assign.length === 0) {
      // Not touching any core (cut off by a large residue): a blob of their own.
      const v = next++;
      for (const r of left) node[base + r] = v;
      break;
    }
    for (const [r, v] of assign) {
      node[base + r] = v;
      part[r] = 1;
    }
    pending = left;
  }
  return next;
}

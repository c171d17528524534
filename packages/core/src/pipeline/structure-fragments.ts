/**
 * Structure labels made whole before `convert --anatomy` meshes them.
 *
 * Why: identification names the bone region by region, then lets a confident forest rename
 * single voxels (anatomy/forest-evidence.ts refineWithForest). Under `threshold-forest` every
 * bone voxel carries a forest group, so where the forest's groups meet inside one bone (a
 * vertebra's transverse process against a rib head, a rib's neck) the names come out
 * speckled: islands of one structure inside another. Meshed per structure, each island is a
 * shell of its own (the thoracic spine of example_ct_dicom came out in 39 shells), while the
 * hole it leaves in the surrounding structure is closed by that structure's clean-up (a
 * cavity too small to keep, or filled). In the merged model one structure's shell then lies
 * inside another's (there: a 2.2 mm³ rib island inside the spine): an enclosed shell facing
 * out, which the gate counts as inverted (oriented=false), and which a slicer filling the
 * merged STL by parity prints as a void.
 *
 * The rule: a piece of a structure (6-connected voxels of one label) that touches another
 * structure is absorbed by the structure it shares the most faces with when it is
 *   - small (≤ maxFragment_mm3): a speckle where the forest's groups meet, or
 *   - more embedded than exposed: it shares more faces with other structures than with
 *     the background (an island inside a bone, whatever its size),
 * and it is not its structure's largest piece (a structure is never absorbed whole).
 * A piece that touches no other structure is kept whatever its size: a separate bone (a rib
 * crossing the scanned slab) is not speckle. Pieces are judged once each, smallest
 * first, against the names their neighbours have by then: a speckle joins the piece around
 * it before that piece is judged, and two pieces never swap names.
 */
import { voxelVolume_mm3 } from '../geometry/grid.js';
import type { LabelMap } from '../geometry/types.js';
import { round, type StageRecord } from './record.js';
import { findRoot, makeSets, unionSets } from '../geometry/union-find.js';

/** Largest piece (mm³) absorbed as a speckle even when it is more exposed than embedded. */
export const MAX_FRAGMENT_MM3 = 500;

export interface FragmentFigures {
  piecesAbsorbed: number;
  voxelsRenamed: number;
  renamed_mm3: number;
  /** Pieces per label before and after (label → count). */
  piecesBefore: Record<number, number>;
  piecesAfter: Record<number, number>;
}

interface Pieces {
  count: number;
  /** Piece id per voxel (−1 = background). */
  of: Int32Array;
  label: Int32Array;
  size: Float64Array;
  /** Faces shared with background (or the grid's edge). */
  exposed: Float64Array;
  /** Faces shared with other labels: piece → (neighbour piece → faces). */
  contacts: Map<number, Map<number, number>>;
}

/** 6-connected pieces of equal non-zero label, with their contacts (breadth first, in memory order). */
function labelPieces(data: Uint8Array | Uint16Array, dims: readonly number[]): Pieces {
  const [nx, ny, nz] = dims as [number, number, number];
  const sxy = nx * ny;
  const of = new Int32Array(data.length).fill(-1);
  const label: number[] = [];
  const size: number[] = [];
  const exposed: number[] = [];
  // Faces with another label, as (piece, neighbour voxel): the neighbour's piece may not exist yet.
  const across: number[] = [];
  const queue = new Int32Array(data.length);
  for (let s = 0; s < data.length; s++) {
    const l = data[s]!;
    if (l === 0 || of[s]! >= 0) continue;
    const id = label.length;
    let head = 0;
    let tail = 0;
    let open = 0;
    queue[tail++] = s;
    of[s] = id;
    const touch = (q: number) => {
      const m = data[q]!;
      if (m === l) {
        if (of[q]! < 0) {
          of[q] = id;
          queue[tail++] = q;
        }
      } else if (m === 0) open++;
      else across.push(id, q);
    };
    while (head < tail) {
      const p = queue[head++]!;
      const i = p % nx;
      const j = Math.floor(p / nx) % ny;
      const k = Math.floor(p / sxy);
      if (i > 0) touch(p - 1);
      else open++;
      if (i < nx - 1) touch(p + 1);
      else open++;
      if (j > 0) touch(p - nx);
      else open++;
      if (j < ny - 1) touch(p + nx);
      else open++;
      if (k > 0) touch(p - sxy);
      else open++;
      if (k < nz - 1) touch(p + sxy);
      else open++;
    }
    label.push(l);
    size.push(tail);
    exposed.push(open);
  }
  const contacts = new Map<number, Map<number, number>>();
  for (let t = 0; t < across.length; t += 2) {
    const a = across[t]!;
    const b = of[across[t + 1]!]!;
    let c = contacts.get(a);
    if (!c) contacts.set(a, (c = new Map()));
    c.set(b, (c.get(b) ?? 0) + 1);
  }
  return { count: label.length, of, label: Int32Array.from(label), size: Float64Array.from(size), exposed: Float64Array.from(exposed), contacts };
}

function piecesPerLabel(p: Pieces): Record<number, number> {
  const out: Record<number, number> = {};
  for (let c = 0; c < p.count; c++) out[p.label[c]!] = (out[p.label[c]!] ?? 0) + 1;
  return out;
}

/**
 * The structure label map with speckled pieces absorbed (see the file comment); the input
 * is not changed. Deterministic: pieces are found in memory order, ties go to the lower label.
 */
export function absorbFragments(labels: LabelMap, maxFragment_mm3 = MAX_FRAGMENT_MM3): { output: LabelMap; figures: FragmentFigures; record: StageRecord } {
  const data = labels.data.slice();
  const dims = labels.grid.dims;
  const vv = voxelVolume_mm3(labels.grid);
  const maxVoxels = maxFragment_mm3 / vv;
  const f: FragmentFigures = { piecesAbsorbed: 0, voxelsRenamed: 0, renamed_mm3: 0, piecesBefore: {}, piecesAfter: {} };
  const pieces = labelPieces(data, dims);
  f.piecesBefore = piecesPerLabel(pieces);
  const largest = new Map<number, number>();
  for (let c = 0; c < pieces.count; c++) {
    const l = pieces.label[c]!;
    const b = largest.get(l);
    if (b === undefined || pieces.size[c]! > pieces.size[b]!) largest.set(l, c);
  }
  // Groups of pieces that share a name by now (union-find); a group is judged as a whole.
  const parent = makeSets(new Int32Array(pieces.count));
  const find = (c: number): number => findRoot(parent, c);
  const lab = Int32Array.from(pieces.label);
  const members = new Map<number, number[]>();
  const judged = new Uint8Array(pieces.count);
  const order = [...pieces.contacts.keys()].sort((a, b) => pieces.size[a]! - pieces.size[b]! || a - b);
  for (const c0 of order) {
    const g = find(c0);
    if (judged[g]) continue;
    judged[g] = 1;
    const L = lab[g]!;
    if (find(largest.get(L)!) === g) continue;
    const group = members.get(g) ?? [g];
    let size = 0;
    let exposed = 0;
    let shared = 0;
    const faces = new Map<number, number>();
    for (const c of group) {
      size += pieces.size[c]!;
      exposed += pieces.exposed[c]!;
      for (const [d, n] of pieces.contacts.get(c) ?? []) {
        const l = lab[find(d)]!;
        if (l === L) continue;
        shared += n;
        faces.set(l, (faces.get(l) ?? 0) + n);
      }
    }
    if (shared === 0 || !(size <= maxVoxels || shared > exposed)) continue;
    let best = 0;
    let bestN = 0;
    for (const [l, n] of faces) if (n > bestN || (n === bestN && l < best)) [best, bestN] = [l, n];
    // Join every neighbouring group of that name: one piece again, judged when its turn comes.
    let root = g;
    let allJudged = 1;
    for (const c of group) {
      for (const d of pieces.contacts.get(c)?.keys() ?? []) {
        const h = find(d);
        if (h === root || lab[h] !== best) continue;
        allJudged &= judged[h]!;
        const joined = [...(members.get(root) ?? [root]), ...(members.get(h) ?? [h])];
        members.delete(root);
        members.delete(h);
        root = unionSets(parent, root, h);
        members.set(root, joined);
      }
    }
    lab[root] = best;
    judged[root] = allJudged;
    f.piecesAbsorbed++;
  }
  for (let p = 0; p < data.length; p++) {
    const c = pieces.of[p]!;
    if (c < 0) continue;
    const l = lab[find(c)]!;
    if (l !== data[p]) {
      data[p] = l;
      f.voxelsRenamed++;
    }
  }
  f.piecesAfter = piecesPerLabel(labelPieces(data, dims));
  f.renamed_mm3 = round(f.voxelsRenamed * vv, 1);
  const record: StageRecord = {
    stage: 'segment',
    method: 'structure-fragments',
    params: {
      maxFragment_mm3,
      connectivity: 6,
      rule: 'a piece of a structure touching another is absorbed by the one it shares most faces with when ≤ maxFragment_mm3 or sharing more faces with structures than with background; never a structure’s largest piece; pieces touching no other structure are kept',
    },
    figures: { ...f },
  };
  return { output: { ...labels, data }, figures: f, record };
}

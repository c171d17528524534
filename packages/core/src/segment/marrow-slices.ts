/**
 * Step 1 of the marrow fill (marrow-fill.ts): the per-slice holes of a mask, perpendicular
 * to one axis, classed small or large by area. Each slice's background is labelled
 * 4-connected by runs along u (components-runs.ts); a component touching no slice edge is
 * a hole.
 *
 * Slices across j and k have u = i contiguous: their background runs are read from the
 * mask itself, four voxels to a word. Slices across i (u = j, v = k) are taken 32 at a time:
 * each (j, k) gives one 32-bit word, bit d set where voxel (i0 + d, j, k) is mask; the runs
 * of all 32 slices then come from where consecutive words differ along j. A mask is mostly
 * long runs, so the words rarely differ: far less work than copying the 32 slices out
 * voxel by voxel.
 */
import { LITTLE_ENDIAN } from '../endian.js';
import type { Vec3 } from '../geometry/grid.js';
import { runRoots, SliceRuns, wordsOf } from './components-runs.js';
import { sliceAxes } from './fill-holes.js';

/** Hole classes per voxel: the count of axes with a small hole, plus LARGE when any axis has a large one. */
export const SMALL = 1;
export const LARGE = 4;
const BLOCK = 32;

/**
 * Background runs of the nb (≤ 32) slices i0 … i0 + nb − 1 across i, into out[0 … nb − 1]
 * (u = j, v = k). bits[u] holds the mask bits of one row v of all nb slices; a run of
 * slice d starts where bit d turns from mask to background along u and ends where it turns back.
 */
function blockRuns(mask: Uint8Array, w32: Uint32Array, i0: number, nb: number, nu: number, nv: number, su: number, sv: number, bits: Int32Array, open: Int32Array, out: SliceRuns[]): void {
  const all = nb === 32 ? -1 : (1 << nb) - 1;
  for (let d = 0; d < nb; d++) out[d]!.count = 0;
  for (let v = 0; v < nv; v++) {
    for (let d = 0; d < nb; d++) out[d]!.rowStart[v] = out[d]!.count;
    for (let u = 0; u < nu; u++) {
      const src = i0 + v * sv + u * su;
      let x = 0;
      if (nb === 32 && (src & 3) === 0 && LITTLE_ENDIAN) {
        for (let t = 0; t < 8; t++) {
          const w = w32[(src >>> 2) + t]!;
          if (w === 0) continue; // air: most of the box
          // 0x80 in each non-zero byte, then the four byte flags gathered into four bits
          const h = (((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) & 0x80808080;
          x |= (((h >>> 7) & 1) | ((h >>> 14) & 2) | ((h >>> 21) & 4) | ((h >>> 28) & 8)) << (4 * t);
        }
      } else for (let d = 0; d < nb; d++) if (mask[src + d] !== 0) x |= 1 << d;
      bits[u] = ~x & all;
    }
    // Along the row: bit d of (bg[u] XOR bg[u − 1]) marks a run end or start of slice d.
    let prev = 0;
    for (let u = 0; u <= nu; u++) {
      const cur = u < nu ? bits[u]! : 0;
      let ch = cur ^ prev;
      while (ch !== 0) {
        const low = ch & -ch;
        const d = 31 - Math.clz32(low);
        if ((cur & low) !== 0) open[d] = u;
        else out[d]!.push(open[d]!, u);
        ch ^= low;
      }
      prev = cur;
    }
  }
  for (let d = 0; d < nb; d++) out[d]!.rowStart[nv] = out[d]!.count;
}

/**
 * A box of a larger byte grid, read in place: box voxel (i, j, k) is buf[off + i + j·sj + k·sk]
 * (non-zero = mask). `buf` must start on a word boundary.
 */
export interface MaskView {
  buf: Uint8Array;
  off: number;
  sj: number;
  sk: number;
}

/**
 * Marks the per-slice holes of `mask` perpendicular to `axis` in `cls`: adds SMALL for
 * a hole of at most maxArea_vox voxels, sets the LARGE bit for a larger one. With `view`
 * the mask is read from there instead (`maskIn` is ignored), `cls` still has `dims`.
 */
export function classifySliceHoles(maskIn: Uint8Array, dims: Vec3, axis: 0 | 1 | 2, maxArea_vox: number, cls: Uint8Array, view?: MaskView): void {
  // (read only; copied where it does not start on a word boundary)
  const mask = view ? view.buf : maskIn.byteOffset % 4 === 0 ? maskIn : maskIn.slice();
  const w32 = wordsOf(mask)!;
  const { nu, nv, su, sv, sw, nw } = sliceAxes(dims, axis);
  // the mask's strides along u, v and w (those of `cls` without a view)
  const ms = view ? [1, view.sj, view.sk] : [1, dims[0], dims[0] * dims[1]];
  const mu = ms[axis === 0 ? 1 : 0]!;
  const mv = ms[axis === 2 ? 1 : 2]!;
  const mw = ms[axis]!;
  const m0 = view ? view.off : 0;
  const planeDims: Vec3 = [nu, nv, 1];
  const block = axis === 0 ? BLOCK : 1;
  const slices = Array.from({ length: block }, () => new SliceRuns(nv));
  const bits = new Int32Array(axis === 0 ? nu : 0);
  const open = new Int32Array(BLOCK);
  // per-slice arrays, reused (grown when a slice has more runs): a slice allocated two before
  let rootBuf = new Int32Array(1024);
  let area = new Float64Array(1024);
  for (let w = 0; w < nw; w++) {
    const off = w * sw;
    const b = w % block;
    if (axis !== 0) slices[0]!.fill(mask, w32, m0 + w * mw, mv, nu, nv);
    else if (b === 0) blockRuns(mask, w32, m0 + w, Math.min(block, nw - w), nu, nv, mu, mv, bits, open, slices);
    const runs = slices[b]!;
    if (rootBuf.length < runs.count) [rootBuf, area] = [new Int32Array(2 * runs.count), new Float64Array(2 * runs.count)];
    const root = runRoots(runs, planeDims, 6, rootBuf);
    // area[root] counts voxels; a negative value marks a component touching an edge.
    area.fill(0, 0, runs.count);
    for (let v = 0; v < nv; v++) {
      const edge = v === 0 || v === nv - 1;
      for (let t = runs.rowStart[v]!; t < runs.rowStart[v + 1]!; t++) {
        const r = root[t]!;
        if (edge || runs.start[t] === 0 || runs.end[t] === nu) area[r] = -Infinity;
        area[r]! += runs.end[t]! - runs.start[t]!;
      }
    }
    for (let v = 0; v < nv; v++) {
      for (let t = runs.rowStart[v]!; t < runs.rowStart[v + 1]!; t++) {
        const a = area[root[t]!]!;
        if (a < 0) continue;
        const c = a > maxArea_vox ? LARGE : SMALL;
        const base = off + v * sv;
        if (c === LARGE) for (let u = runs.start[t]!; u < runs.end[t]!; u++) cls[base + u * su]! |= LARGE;
        else for (let u = runs.start[t]!; u < runs.end[t]!; u++) cls[base + u * su]! += SMALL;
      }
    }
  }
}

/**
 * How many voxels of an Int16 volume hold each of the 65536 values (index v + 32768), and the
 * largest value of each block of BLOCK voxels (memory order). The assessment's histogram, the
 * automatic threshold's histogram and the metal flag (its maximum, and where metal can be)
 * all derive from these; each of them reading the whole volume again cost one pass over it
 * (~60 ms CPU for 37 M voxels). So they are kept per array (WeakMap: they go with the array)
 * and computed once. Stages never write into a volume they are given (each makes a new
 * one), which is what keeps them right for that array.
 */
export interface Int16Summary {
  counts: Uint32Array;
  /** Largest value of voxels [b·BLOCK, (b + 1)·BLOCK). */
  blockMax: Int16Array;
}

export const SUMMARY_BLOCK = 256;

const kept = new WeakMap<Int16Array, Int16Summary>();

/** The counts and block maxima of `data` (read only; the caller must not modify them). */
export function int16Summary(data: Int16Array): Int16Summary {
  let s = kept.get(data);
  if (s) return s;
  const counts = new Uint32Array(65536);
  const n = data.length;
  const blocks = Math.ceil(n / SUMMARY_BLOCK);
  const blockMax = new Int16Array(blocks);
  for (let b = 0, p = 0; b < blocks; b++) {
    // two running maxima (pairs of voxels): the counting, not the maximum, sets the pace
    let m0 = -32768, m1 = -32768;
    const e = Math.min(n, p + SUMMARY_BLOCK);
    for (; p + 1 < e; p += 2) {
      const x = data[p]!, y = data[p + 1]!;
      counts[x + 32768]!++;
      counts[y + 32768]!++;
      m0 = Math.max(m0, x);
      m1 = Math.max(m1, y);
    }
    if (p < e) {
      const x = data[p++]!;
      counts[x + 32768]!++;
      m0 = Math.max(m0, x);
    }
    blockMax[b] = Math.max(m0, m1);
  }
  s = { counts, blockMax };
  kept.set(data, s);
  return s;
}

/** Counts per value of `data` (int16Summary's). */
export function int16ValueCounts(data: Int16Array): Uint32Array {
  return int16Summary(data).counts;
}

/** The largest value with a non-zero count, or −Infinity for no voxels. */
export function maxOfCounts(counts: Uint32Array): number {
  for (let q = 65535; q >= 0; q--) if (counts[q] !== 0) return q - 32768;
  return -Infinity;
}

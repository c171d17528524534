/**
 * The binary mask of one slab as run boundaries: for every row of the mask (padded by two
 * background voxels on every side) the sorted positions of its x-edge crossings (owner
 * point gi where inside(gi) ≠ inside(gi+1)); a row's inside runs lie between crossings. The crossings drive everything else: between two crossings of the
 * rows around a cube row nothing changes, so the extractor visits only the cubes and
 * edges at the boundary (the trimming idea of flying edges, taken to run level).
 */

export interface SlabMask {
  /** Row r = lk·my + gj of local plane lk (mask plane lk + kBase). */
  mx: number;
  my: number;
  planes: number;
  kBase: number;
  /** Crossings of row r (r = lk·my + gj): cross[crossStart[r] .. crossStart[r+1]). */
  crossStart: Int32Array;
  cross: Int32Array;
  /** Mask voxels in planes [ownFrom, ownTo), and those of them on the scanned volume's faces. */
  maskVoxels: number;
  borderVoxels: number;
}

/**
 * Builds mask planes kBase .. kBase+planes−1 (mask coordinates: source index + 2).
 * `label` 0 selects any non-zero value.
 */
export function buildSlabMask(
  labels: Uint8Array | Uint16Array,
  dims: [number, number, number],
  label: number,
  kBase: number,
  planes: number,
  ownFrom: number,
  ownTo: number,
): SlabMask {
  const [nx, ny, nz] = dims;
  const mx = nx + 4;
  const my = ny + 4;
  const nxy = nx * ny;
  const crossStart = new Int32Array(planes * my + 1);
  let cross = new Int32Array(1024);
  let nc = 0;
  // Zero words are skipped four voxels at a time when the labels are bytes on aligned rows.
  const words = labels instanceof Uint8Array && (labels.byteOffset & 3) === 0 && (nx & 3) === 0 ? new Uint32Array(labels.buffer, labels.byteOffset, labels.length >> 2) : null;
  let maskVoxels = 0;
  let borderVoxels = 0;
  for (let lk = 0; lk < planes; lk++) {
    const sk = lk + kBase - 2;
    const own = lk + kBase >= ownFrom && lk + kBase < ownTo;
    for (let gj = 0; gj < my; gj++) {
      const row = lk * my + gj;
      crossStart[row] = nc;
      const sj = gj - 2;
      if (sk < 0 || sk >= nz || sj < 0 || sj >= ny) continue;
      if (nc + nx + 2 > cross.length) {
        const grown = new Int32Array(Math.max(2 * cross.length, nc + nx + 2));
        grown.set(cross);
        cross = grown;
      }
      const src = sk * nxy + sj * nx;
      let prev = 0;
      let count = 0;
      if (words !== null) {
        // Rows start on a word boundary (nx % 4 == 0): skip zero words outside runs.
        const w0 = src >> 2;
        const w1 = w0 + (nx >> 2);
        for (let w = w0; w < w1; w++) {
          if (prev === 0 && words[w] === 0) continue;
          const base = (w - w0) << 2;
          for (let b = 0; b < 4; b++) {
            const si = base + b;
            const raw = labels[src + si]!;
            const v = label === 0 ? (raw !== 0 ? 1 : 0) : raw === label ? 1 : 0;
            if (v !== prev) {
              cross[nc++] = si + 1; // edge between mask points si+1 and si+2
              prev = v;
            }
            count += v;
          }
        }
      } else {
        for (let si = 0; si < nx; si++) {
          const raw = labels[src + si]!;
          const v = label === 0 ? (raw !== 0 ? 1 : 0) : raw === label ? 1 : 0;
          if (v !== prev) {
            cross[nc++] = si + 1;
            prev = v;
          }
          count += v;
        }
      }
      if (prev) cross[nc++] = nx + 1;
      if (own && count > 0) {
        maskVoxels += count;
        if (sk === 0 || sk === nz - 1 || sj === 0 || sj === ny - 1) borderVoxels += count;
        else {
          // First voxel inside ⇔ the row's first crossing is at 1; last ⇔ its last is at nx+1.
          if (cross[crossStart[row]!] === 1) borderVoxels++;
          if (nx > 1 && cross[nc - 1] === nx + 1) borderVoxels++;
        }
      }
    }
  }
  crossStart[planes * my] = nc;
  return { mx, my, planes, kBase, crossStart, cross, maskVoxels, borderVoxels };
}

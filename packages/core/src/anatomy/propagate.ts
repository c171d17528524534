/** Names for bone too small to identify: the structure of the identified bone it touches. */
import type { Regions } from './regions.js';
import type { RegionFeatures } from './features.js';

/** Regions under this volume are not identified (too little to tell what they are). */
export const MIN_REGION_MM3 = 300;
/** Unidentified regions under this volume that touch identified bone join it (surface fragments). */
export const FRAGMENT_MM3 = 5000;

/** Structure per coarse cell: identified regions keep theirs; cells of small regions take their nearest identified neighbour's. */
export function propagate(regions: Regions, structureOfRegion: Int32Array, features: RegionFeatures[], label: Int32Array): Int32Array {
  const { ids } = regions;
  const [nx, ny, nz] = regions.coarse.dims;
  const plane = nx * ny;
  const out = new Int32Array(ids.length);
  const queue = new Int32Array(ids.length);
  let tail = 0;
  for (let q = 0; q < ids.length; q++) {
    const id = ids[q]!;
    if (id && structureOfRegion[id]) {
      out[q] = structureOfRegion[id]!;
      queue[tail++] = q;
    }
  }
  // Too small to identify, or an unidentified fragment (under FRAGMENT_MM3, not denser than bone) touching identified bone.
  const small = (id: number) => {
    if (id === 0) return false;
    const f = features[id]!;
    return f.volume_mm3 < MIN_REGION_MM3 || (label[id]! < 0 && f.volume_mm3 < FRAGMENT_MM3 && f.meanHU <= 1600);
  };
  for (let head = 0; head < tail; head++) {
    const q = queue[head]!;
    const i = q % nx;
    const j = Math.floor(q / nx) % ny;
    const k = Math.floor(q / plane);
    for (let dk = -1; dk <= 1; dk++) {
      const kk = k + dk;
      if (kk < 0 || kk >= nz) continue;
      for (let dj = -1; dj <= 1; dj++) {
        const jj = j + dj;
        if (jj < 0 || jj >= ny) continue;
        for (let di = -1; di <= 1; di++) {
          const ii = i + di;
          if (ii < 0 || ii >= nx) continue;
          const r = ii + jj * nx + kk * plane;
          if (out[r] === 0 && small(ids[r]!)) {
            out[r] = out[q]!;
            queue[tail++] = r;
          }
        }
      }
    }
  }
  return out;
}

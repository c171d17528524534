/**
 * Shell selection of the clean-up: drop shells under a volume, keep the largest or listed
 * ones, and the shell labels of what is kept.
 */
import type { Mesh } from '../geometry/types.js';
import { labelShells, shellVolumes_mm3, type MeshShells, type NestedShells } from './mesh-utils.js';

export interface CleanupParams {
  /** Drop shells whose enclosed volume is below this (mm³). Default 0 (keep all). */
  minShell_mm3?: number;
  /** 'all' (default), 'largest', N (the N largest by volume) or a list of ranks (0 = largest). */
  keepShells?: 'all' | 'largest' | number | number[];
}

/**
 * Shell selection by volume: returns the kept triangles. `volumes`: the shells' signed volumes
 * when already summed (orientShells), only their magnitudes are used.
 */
export function selectShells(
  mesh: Mesh,
  params: CleanupParams,
  shells?: MeshShells,
  volumes?: Float64Array,
): { keep: Uint8Array; dropped: number; droppedVolume_mm3: number; shells: number } {
  const { shellOf, shellCount } = shells ?? labelShells(mesh);
  const vols = volumes && shells ? volumes : shellVolumes_mm3(mesh, shellOf, shellCount);
  const keepShell = new Uint8Array(shellCount).fill(1);
  const minVol = params.minShell_mm3 ?? 0;
  for (let s = 0; s < shellCount; s++) if (Math.abs(vols[s]!) < minVol) keepShell[s] = 0;
  const sel = params.keepShells ?? 'all';
  if (sel !== 'all') {
    const order = Array.from({ length: shellCount }, (_, i) => i).sort((a, b) => Math.abs(vols[b]!) - Math.abs(vols[a]!) || a - b);
    const ranks = new Set<number>(sel === 'largest' ? [0] : typeof sel === 'number' ? Array.from({ length: sel }, (_, i) => i) : sel);
    order.forEach((s, rank) => {
      if (!ranks.has(rank)) keepShell[s] = 0;
    });
  }
  const keep = new Uint8Array(shellOf.length);
  let dropped = 0;
  let droppedVolume = 0;
  for (let s = 0; s < shellCount; s++) {
    if (!keepShell[s]) {
      dropped++;
      droppedVolume += Math.abs(vols[s]!);
    }
  }
  for (let t = 0; t < keep.length; t++) keep[t] = keepShell[shellOf[t]!]!;
  return { keep, dropped, droppedVolume_mm3: droppedVolume, shells: shellCount };
}

/**
 * Shell labels after dropping triangles shell by shell (compaction keeps triangle order, so the
 * numbering rule holds), and the enclosure pairs and volumes of the kept shells, renumbered.
 */
export function keptShells(
  shells: MeshShells,
  keep: Uint8Array,
  enclosures?: Uint32Array,
  volumes?: Float64Array,
): NestedShells {
  const newId = new Int32Array(shells.shellCount).fill(-1);
  let n = 0;
  let kept = 0;
  for (let t = 0; t < keep.length; t++) {
    if (!keep[t]) continue;
    kept++;
    const s = shells.shellOf[t]!;
    if (newId[s] === -1) newId[s] = n++;
  }
  const shellOf = new Uint32Array(kept);
  for (let t = 0, o = 0; t < keep.length; t++) if (keep[t]) shellOf[o++] = newId[shells.shellOf[t]!]!;
  return keptShellData({ shellOf, shellCount: n, newId }, enclosures, volumes);
}

/** The kept shells' labels with their enclosure pairs and volumes renumbered by `newId` (−1: dropped). */
export function keptShellData(
  kept: MeshShells & { newId: Int32Array },
  enclosures?: Uint32Array,
  volumes?: Float64Array,
): NestedShells {
  const { shellOf, shellCount: n, newId } = kept;
  const vols = volumes ? { volumes: keptVolumes(volumes, newId, n) } : {};
  if (!enclosures) return { shellOf, shellCount: n, ...vols };
  const pairs: number[] = [];
  for (let i = 0; i < enclosures.length; i += 2) {
    const a = newId[enclosures[i]!]!, b = newId[enclosures[i + 1]!]!;
    if (a >= 0 && b >= 0) pairs.push(a, b);
  }
  return { shellOf, shellCount: n, enclosures: Uint32Array.from(pairs), ...vols };
}

function keptVolumes(volumes: Float64Array, newId: Int32Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let s = 0; s < newId.length; s++) if (newId[s]! >= 0) out[newId[s]!] = volumes[s]!;
  return out;
}

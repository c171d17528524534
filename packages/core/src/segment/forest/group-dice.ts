/**
 * Dice of the forest's output against a reference label map, for bone as a whole and per
 * group (the reference's labels mapped to groups by the same definition the model was
 * trained with), plus each group's centroid in LPS mm (left/right checks).
 */
import { indexToPhysical, type Vec3 } from '../../geometry/grid.js';
import type { LabelMap } from '../../geometry/types.js';
import { resampleLabelsNearest } from '../../evaluate/labels.js';
import { sameGrid } from '../../geometry/grid.js';

export interface GroupScore {
  group: string;
  refVoxels: number;
  segVoxels: number;
  dice: number | null;
  /** Centroid of the forest's voxels of the group (LPS mm), null when it has none. */
  centroid_mm: Vec3 | null;
}

/** Families of groups for a coarser table (both sides together, the spine as one). */
export const BONE_FAMILIES: Record<string, string[]> = {
  vertebrae: ['vertebrae_cervical', 'vertebrae_thoracic', 'vertebrae_lumbar'],
  ribs: ['ribs_left', 'ribs_right'],
  pelvis: ['hip_left', 'hip_right'],
  sacrum: ['sacrum'],
  femur: ['femur_left', 'femur_right'],
  humerus: ['humerus_left', 'humerus_right'],
  scapula: ['scapula_left', 'scapula_right'],
  clavicle: ['clavicle_left', 'clavicle_right'],
  sternum: ['sternum'],
  skull: ['skull'],
};

export function groupDice(
  ref: LabelMap,
  refLookup: Uint8Array,
  refGroups: string[],
  seg: LabelMap,
  segGroups: string[],
  families: Record<string, string[]> = BONE_FAMILIES,
): { whole: { dice: number; sensitivity: number; precision: number }; groups: GroupScore[]; families: GroupScore[] } {
  const r = sameGrid(ref.grid, seg.grid) ? ref : resampleLabelsNearest(ref, seg.grid);
  const G = refGroups.length;
  // segment label k → reference group index (0 when the model's group is not in the definition)
  const segToRef = new Uint16Array(segGroups.length + 1);
  segGroups.forEach((g, i) => (segToRef[i + 1] = refGroups.indexOf(g) + 1));
  const inter = new Float64Array(G + 1);
  const nr = new Float64Array(G + 1);
  const ns = new Float64Array(G + 1);
  const cx = new Float64Array((G + 1) * 3);
  let tp = 0;
  let refAll = 0;
  let segAll = 0;
  const [nx, ny] = seg.grid.dims;
  for (let v = 0; v < seg.data.length; v++) {
    const a = refLookup[r.data[v]!]!;
    const s = seg.data[v]!;
    const b = s ? segToRef[s]! : 0;
    if (a) refAll++;
    if (s) segAll++;
    if (a && s) tp++;
    if (a) nr[a]!++;
    if (b) {
      ns[b]!++;
      cx[b * 3]! += v % nx;
      cx[b * 3 + 1]! += Math.floor(v / nx) % ny;
      cx[b * 3 + 2]! += Math.floor(v / (nx * ny));
    }
    if (a && a === b) inter[a]!++;
  }
  // family of each reference group (0 = none)
  const famNames = Object.keys(families);
  const famOf = new Uint16Array(G + 1);
  refGroups.forEach((g, i) => (famOf[i + 1] = famNames.findIndex((f) => families[f]!.includes(g)) + 1));
  const finter = new Float64Array(famNames.length + 1);
  const fr = new Float64Array(famNames.length + 1);
  const fsg = new Float64Array(famNames.length + 1);
  for (let v = 0; v < seg.data.length; v++) {
    const a = famOf[refLookup[r.data[v]!]!]!;
    const s = seg.data[v]!;
    const b = s ? famOf[segToRef[s]!]! : 0;
    if (a) fr[a]!++;
    if (b) fsg[b]!++;
    if (a && a === b) finter[a]!++;
  }
  const fam: GroupScore[] = [];
  famNames.forEach((f, i) => {
    if (fr[i + 1] === 0 && fsg[i + 1] === 0) return;
    fam.push({ group: f, refVoxels: fr[i + 1]!, segVoxels: fsg[i + 1]!, dice: (2 * finter[i + 1]!) / (fr[i + 1]! + fsg[i + 1]!), centroid_mm: null });
  });
  const groups: GroupScore[] = [];
  for (let g = 1; g <= G; g++) {
    if (nr[g] === 0 && ns[g] === 0) continue;
    groups.push({
      group: refGroups[g - 1]!,
      refVoxels: nr[g]!,
      segVoxels: ns[g]!,
      dice: (2 * inter[g]!) / (nr[g]! + ns[g]!),
      centroid_mm: ns[g]! > 0 ? indexToPhysical(seg.grid, cx[g * 3]! / ns[g]!, cx[g * 3 + 1]! / ns[g]!, cx[g * 3 + 2]! / ns[g]!) : null,
    });
  }
  return {
    whole: { dice: (2 * tp) / Math.max(1, refAll + segAll), sensitivity: tp / Math.max(1, refAll), precision: tp / Math.max(1, segAll) },
    groups,
    families: fam,
  };
}

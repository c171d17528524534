/**
 * Bone groups as data: group name → the reference label names it gathers. The names are
 * TotalSegmentator v2's (the labelled scans we train on); sides are separate groups, so the
 * classifier's output names which side a bone lies on. A lab that labels its own cases with
 * other names passes its own group file to `scan2print train --groups`.
 */
import { inputError } from '../../errors.js';

const range = (prefix: string, a: number, b: number): string[] => Array.from({ length: b - a + 1 }, (_, i) => `${prefix}${a + i}`);

export const BONE_GROUPS: Record<string, string[]> = {
  skull: ['skull'],
  vertebrae_cervical: range('vertebrae_C', 1, 7),
  vertebrae_thoracic: range('vertebrae_T', 1, 12),
  vertebrae_lumbar: range('vertebrae_L', 1, 5),
  sacrum: ['sacrum', 'vertebrae_S1'],
  ribs_left: range('rib_left_', 1, 12),
  ribs_right: range('rib_right_', 1, 12),
  sternum: ['sternum'],
  clavicle_left: ['clavicula_left'],
  clavicle_right: ['clavicula_right'],
  scapula_left: ['scapula_left'],
  scapula_right: ['scapula_right'],
  humerus_left: ['humerus_left'],
  humerus_right: ['humerus_right'],
  hip_left: ['hip_left'],
  hip_right: ['hip_right'],
  femur_left: ['femur_left'],
  femur_right: ['femur_right'],
};

/**
 * TotalSegmentator v2 label ids of its bone classes (labelmap_total_v2.json), so label files
 * from it can be read without the label map beside them. 117 (costal cartilage) is not bone.
 */
export const TOTALSEG_V2_BONE_IDS: Record<string, number> = (() => {
  const m: Record<string, number> = { sacrum: 25, vertebrae_S1: 26 };
  for (let i = 1; i <= 5; i++) m[`vertebrae_L${i}`] = 32 - i; // L5 = 27 … L1 = 31
  for (let i = 1; i <= 12; i++) m[`vertebrae_T${i}`] = 44 - i; // T12 = 32 … T1 = 43
  for (let i = 1; i <= 7; i++) m[`vertebrae_C${i}`] = 51 - i; // C7 = 44 … C1 = 50
  Object.assign(m, { humerus_left: 69, humerus_right: 70, scapula_left: 71, scapula_right: 72, clavicula_left: 73, clavicula_right: 74 });
  Object.assign(m, { femur_left: 75, femur_right: 76, hip_left: 77, hip_right: 78, skull: 91, sternum: 116 });
  for (let i = 1; i <= 12; i++) {
    m[`rib_left_${i}`] = 91 + i; // 92 … 103
    m[`rib_right_${i}`] = 103 + i; // 104 … 115
  }
  return m;
})();

/** Group definition as read from a file: group name → label names or numeric ids. */
export type GroupDefinition = Record<string, Array<string | number>>;

/**
 * Validates a group definition and resolves it to a lookup: reference label id → group
 * index + 1 (0 = not bone). `labelNames` maps ids to names (a label map file); without it
 * TotalSegmentator v2's bone ids are used. Every name must resolve; a label in two groups
 * is refused.
 */
export function resolveGroups(def: unknown, file: string, labelNames?: Record<string, string>): { groups: string[]; lookup: Uint8Array } {
  if (typeof def !== 'object' || def === null || Array.isArray(def)) throw inputError('BAD_GROUPS', 'expected a JSON object: group name → list of label names or ids', file);
  const byName = new Map<string, number>();
  if (labelNames) {
    for (const [id, name] of Object.entries(labelNames)) {
      const n = Number(id);
      if (Number.isInteger(n) && n > 0 && n < 65536 && typeof name === 'string') byName.set(name, n);
    }
  } else for (const [name, id] of Object.entries(TOTALSEG_V2_BONE_IDS)) byName.set(name, id);
  const groups = Object.keys(def);
  if (groups.length === 0) throw inputError('BAD_GROUPS', 'no groups defined', file);
  if (groups.length > 250) throw inputError('BAD_GROUPS', `${groups.length} groups; at most 250`, file);
  const lookup = new Uint8Array(65536);
  groups.forEach((g, gi) => {
    const members = (def as Record<string, unknown>)[g];
    if (!Array.isArray(members) || members.length === 0) throw inputError('BAD_GROUPS', `group "${g}": expected a non-empty list of label names or ids`, file);
    for (const m of members) {
      const id = typeof m === 'number' ? m : typeof m === 'string' ? byName.get(m) : undefined;
      if (id === undefined || !Number.isInteger(id) || id <= 0 || id >= 65536) {
        throw inputError('BAD_GROUPS', `group "${g}": label ${JSON.stringify(m)} is not a known label name or a positive integer id${labelNames ? '' : ' (names are TotalSegmentator v2 bone names unless a label map is given)'}`, file);
      }
      if (lookup[id] !== 0 && lookup[id] !== gi + 1) throw inputError('BAD_GROUPS', `label ${JSON.stringify(m)} is in two groups ("${groups[lookup[id]! - 1]}" and "${g}")`, file);
      lookup[id] = gi + 1;
    }
  });
  return { groups, lookup };
}

/**
 * Build plates for prepared parts: each part on its own plate (`each`), or as few plates as
 * fit (`packed`, packFootprints on the parts' xy extents in their print frame). A part on a
 * plate keeps its print orientation, turned 90° about z when the packing turns it, and its
 * transform goes straight from patient LPS to the bed (mm, bed corner at the origin), which is
 * what a 3MF build item carries.
 */
import { round } from '../pipeline/record.js';
import type { RigidTransform, Vec3 } from './manifold-mesh.js';
import { packFootprints } from './pack.js';

export type PlateMode = 'each' | 'packed';

export interface PlatePart {
  name: string;
  /** Lower-left corner of the part's footprint on the bed, mm. */
  x: number;
  y: number;
  /** Turned 90° about the bed's z axis (counter-clockwise seen from above). */
  rotated: boolean;
  /** Patient LPS → bed. */
  transform: RigidTransform;
}

export interface PrintPlate {
  index: number;
  parts: PlatePart[];
}

export const DEFAULT_PLATE_GAP_MM = 5;

export function layoutPlates(
  parts: { name: string; size_mm: Vec3; transform: RigidTransform }[],
  bed: [number, number],
  mode: PlateMode,
  gap_mm = DEFAULT_PLATE_GAP_MM,
): PrintPlate[] {
  const byName = new Map(parts.map((p) => [p.name, p]));
  const layout =
    mode === 'each'
      ? parts.map((p) => [{ id: p.name, x: 0, y: 0, rotated: false }])
      : packFootprints(parts.map((p) => ({ id: p.name, w: p.size_mm[0], d: p.size_mm[1] })), { w: bed[0], d: bed[1] }, gap_mm).plates;
  return layout.map((plate, i) => ({
    index: i + 1,
    // Parts in name order on each plate, so the file lists them the same way every time.
    parts: [...plate]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((pl) => {
        const p = byName.get(pl.id)!;
        return { name: p.name, x: round(pl.x, 3), y: round(pl.y, 3), rotated: pl.rotated, transform: onBed(p.transform, p.size_mm, pl.x, pl.y, pl.rotated) };
      }),
  }));
}

/** LPS → print frame (lowest corner at the origin), then turned and moved onto its place. */
function onBed(t: RigidTransform, size: Vec3, x: number, y: number, rotated: boolean): RigidTransform {
  const r = t.rotation, tr = t.translation;
  if (!rotated) return { rotation: [...r], translation: [round(tr[0] + x, 6), round(tr[1] + y, 6), tr[2]] };
  // Rz(90°): (x, y) → (−y, x); the footprint [0, w] × [0, d] lands on [−d, 0] × [0, w], so it
  // moves by d along x to start at the placement's corner.
  const rot = [-r[3]!, -r[4]!, -r[5]!, r[0]!, r[1]!, r[2]!, r[6]!, r[7]!, r[8]!].map((v) => v || 0);
  return { rotation: rot, translation: [round(-tr[1] + size[1] + x, 6), round(tr[0] + y, 6), tr[2]] };
}

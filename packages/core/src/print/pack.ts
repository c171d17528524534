/**
 * Plate packing: rectangles (the parts' xy footprints in their print frame) onto as few build
 * plates as fit. Shelf packing, first-fit decreasing height (FFDH) with 90° rotation, written here
 * because the problem is small (a handful of parts per job) and a packing library would bring
 * its own non-determinism and units; FFDH is within 1.7× of the optimum height (Coffman et al.
 * 1980) and, more to the point here, gives the same placements for the same input every time.
 *
 * Gap: `gap_mm` between neighbouring footprints (so a nozzle, a brim or a skirt has room); none
 * is kept to the bed's edges (the printer's own margin is already out of its build volume).
 */
import { usageError } from '../errors.js';

export interface Footprint { id: string; w: number; d: number } // mm, x and y extents
export interface Placement { id: string; x: number; y: number; rotated: boolean } // lower-left corner on the bed, mm

interface Shelf { y: number; h: number; used: number /* x of the next free place, gap included */ }
interface Plate { shelves: Shelf[]; top: number /* y of the next shelf, gap included */; placements: Placement[] }

/** Tolerance for "fits": footprints computed from float meshes should not miss a bed by 1e-9 mm. */
const EPS = 1e-6;

export function packFootprints(items: Footprint[], bed: { w: number; d: number }, gap_mm = 5): { plates: Placement[][] } {
  if (!(bed.w > 0 && bed.d > 0 && Number.isFinite(bed.w) && Number.isFinite(bed.d))) {
    throw usageError('PACK_BED', `bed ${bed.w} × ${bed.d} mm: both sides must be finite and > 0`);
  }
  if (!(gap_mm >= 0 && Number.isFinite(gap_mm))) throw usageError('PACK_GAP', `gap ${gap_mm} mm: must be finite and ≥ 0`);
  const seen = new Set<string>();
  for (const it of items) {
    if (!(it.w >= 0 && it.d >= 0 && Number.isFinite(it.w) && Number.isFinite(it.d))) {
      throw usageError('PACK_ITEM', `part ${it.id}: footprint ${it.w} × ${it.d} mm is not a finite size ≥ 0`);
    }
    if (seen.has(it.id)) throw usageError('PACK_ITEM', `part ${it.id} is listed twice`);
    seen.add(it.id);
    const fits = (it.w <= bed.w + EPS && it.d <= bed.d + EPS) || (it.d <= bed.w + EPS && it.w <= bed.d + EPS);
    if (!fits) {
      throw usageError('PACK_TOO_LARGE', `part ${it.id}: footprint ${fmt(it.w)} × ${fmt(it.d)} mm does not fit the ${fmt(bed.w)} × ${fmt(bed.d)} mm bed in either orientation`);
    }
  }

  // Normalise: the long side along x when it fits there, so shelves stay low; then tallest first
  // (FFDH), ties by width and id so the order never depends on the caller's order.
  const norm = items.map((it) => {
    const rot = it.d > it.w && it.d <= bed.w + EPS && it.w <= bed.d + EPS;
    return { id: it.id, w: rot ? it.d : it.w, d: rot ? it.w : it.d, rot };
  });
  norm.sort((a, b) => b.d - a.d || b.w - a.w || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const plates: Plate[] = [];
  for (const it of norm) {
    // Both orientations, the normalised one first; `rotated` is relative to the caller's item.
    const options = [
      { w: it.w, d: it.d, rotated: it.rot },
      { w: it.d, d: it.w, rotated: !it.rot },
    ].filter((o) => o.w <= bed.w + EPS && o.d <= bed.d + EPS);
    let placed = false;
    for (const plate of plates) {
      if (placeOnPlate(plate, it.id, options, bed, gap_mm)) { placed = true; break; }
    }
    if (!placed) {
      const plate: Plate = { shelves: [], top: 0, placements: [] };
      plates.push(plate);
      if (!placeOnPlate(plate, it.id, options, bed, gap_mm)) {
        // Unreachable: every item fits an empty bed (checked above).
        throw usageError('PACK_TOO_LARGE', `part ${it.id} does not fit an empty bed`);
      }
    }
  }
  return { plates: plates.map((p) => p.placements) };
}

function placeOnPlate(plate: Plate, id: string, options: { w: number; d: number; rotated: boolean }[], bed: { w: number; d: number }, gap: number): boolean {
  // An existing shelf: the orientation that leaves the most room to its right.
  for (const s of plate.shelves) {
    let best: { w: number; d: number; rotated: boolean } | null = null;
    for (const o of options) {
      if (o.d <= s.h + EPS && s.used + o.w <= bed.w + EPS && (best === null || o.w < best.w - EPS)) best = o;
    }
    if (best) {
      plate.placements.push({ id, x: s.used, y: s.y, rotated: best.rotated });
      s.used += best.w + gap;
      return true;
    }
  }
  // A new shelf on this plate: the lowest orientation that fits above the last shelf.
  let best: { w: number; d: number; rotated: boolean } | null = null;
  for (const o of options) {
    if (plate.top + o.d <= bed.d + EPS && (best === null || o.d < best.d - EPS)) best = o;
  }
  if (!best) return false;
  const shelf: Shelf = { y: plate.top, h: best.d, used: best.w + gap };
  plate.shelves.push(shelf);
  plate.top += best.d + gap;
  plate.placements.push({ id, x: 0, y: shelf.y, rotated: best.rotated });
  return true;
}

function fmt(x: number): string {
  return String(Math.round(x * 10) / 10);
}

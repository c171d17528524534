/**
 * How many parts along each axis, and the window each cut may lie in, so that every part fits
 * the build volume. Along an axis, every part but the last carries pegs on its upper cut face,
 * which stick out by the peg length, so those parts may be at most (build − margin − peg) long;
 * the last one at most (build − margin). Pure arithmetic, no geometry.
 */

export interface SplitLimits {
  build_mm: [number, number, number];
  /** Room kept free on each axis (slicer tolerances, brim): parts are at most build − margin. */
  margin_mm: number;
  /** How far a peg sticks out of its face (0 when no connectors). */
  pegAllowance_mm: number;
  /** Shortest part along a cut axis (a hole must not go through it). */
  minPiece_mm: number;
}

/** Parts needed along one axis (Infinity when even a peg-carrying part cannot fit). */
export function partsAlong(extent: number, build: number, limits: SplitLimits): number {
  const last = build - limits.margin_mm;
  if (extent <= last) return 1;
  const inner = build - limits.margin_mm - limits.pegAllowance_mm;
  if (inner < limits.minPiece_mm) return Infinity;
  return 1 + Math.ceil((extent - last) / inner - 1e-9);
}

/**
 * The window [lo, hi] for cut k (1-based) given the previous cut, for n parts over [start, end]:
 * the part before it must fit with pegs, and the rest must still be coverable.
 */
export function cutWindow(k: number, n: number, prev: number, end: number, build: number, limits: SplitLimits): [number, number] {
  const inner = build - limits.margin_mm - limits.pegAllowance_mm;
  const last = build - limits.margin_mm;
  // The parts after this cut need at least minPiece each.
  const hi = Math.min(prev + inner, end - (n - k) * limits.minPiece_mm);
  const lo = Math.max(end - last - (n - 1 - k) * inner, prev + limits.minPiece_mm);
  return [lo, hi];
}

import type { Grid } from './grid.js';

/**
 * A scalar volume: Hounsfield units for CT (Float32 after rescale, or Int16 where
 * the values are integral and fit), or any field (probabilities, distances).
 */
export interface Volume {
  grid: Grid;
  data: Float32Array | Int16Array;
}

/** A label map on a grid: 0 = background, 1..N = labels. */
export interface LabelMap {
  grid: Grid;
  data: Uint8Array | Uint16Array;
  /** Optional names for label values (value → name). */
  labels?: Record<number, string>;
}

/**
 * A triangle mesh with shared vertices. Positions are Float32 x,y,z triples in
 * patient LPS millimetres; indices are Uint32 vertex triples, counter-clockwise
 * seen from outside (outward normals by the right-hand rule).
 */
export interface Mesh {
  positions: Float32Array;
  indices: Uint32Array;
  /** Optional per-shell or per-label grouping: triangle → group id. */
  groups?: Uint32Array;
}

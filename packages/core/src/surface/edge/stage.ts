/**
 * The placement step as the pipeline calls it: the extracted mesh and the HU volume it was
 * segmented from → the placed mesh and its record. Without a volume on the label grid the
 * threshold positions stay, and the record says why.
 */
import { sameGrid, type Grid } from '../../geometry/grid.js';
import type { Mesh, Volume } from '../../geometry/types.js';
import type { StageContext } from '../../pipeline/record.js';
import { placeVertices, placeVerticesAsync, type PlaceParams, type PlaceResult } from './place.js';

export interface EdgePlacement extends PlaceParams {
  /** The HU volume (preprocessed) on the label grid. */
  volume?: Volume;
}

/**
 * The per-vertex passes run in slabs on `ctx.pool` when there is one (same bytes as one thread).
 * `beside`: work for this thread that does not need the placed positions, run once while the
 * pool places, or after placement without one (PlaceAsyncOptions); not run without a placement.
 */
export async function placeSurface(mesh: Mesh, grid: Grid, placement: EdgePlacement | undefined, ctx: StageContext = {}, beside?: () => void): Promise<PlaceResult | undefined> {
  if (!placement) return undefined;
  const { volume, ...params } = placement;
  if (!volume || !sameGrid(volume.grid, grid)) {
    const r = placeVertices(mesh, volume ?? { grid, data: new Float32Array(0) }, { ...params, placement: 'threshold' }, ctx);
    r.record.notes = [`edge placement needs the HU volume on the label grid${volume ? ' (it is on another grid)' : ''}: the threshold positions are kept`];
    beside?.();
    return r;
  }
  return placeVerticesAsync(mesh, volume, params, ctx, beside ? { beside } : {});
}

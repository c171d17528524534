// Worker tasks: slabs of vertices of edge placement's per-vertex passes (see place-slab.ts) and
// of its estimation pass (estimate.ts).
import { registerTask } from '../../parallel/registry.js';
import { EDGE_ESTIMATE_TASK, estimateSlab, type EstimateSlab } from './estimate.js';
import { directionsSlab, EDGE_DIRECTIONS_TASK, EDGE_PLACE_TASK, placeSlab, type DirectionsSlab, type PlaceSlab } from './place-slab.js';

registerTask(EDGE_DIRECTIONS_TASK, (p: DirectionsSlab) => {
  directionsSlab(p);
  return null;
});
registerTask(EDGE_PLACE_TASK, (p: PlaceSlab) => {
  placeSlab(p);
  return null;
});
registerTask(EDGE_ESTIMATE_TASK, (p: EstimateSlab) => estimateSlab(p));

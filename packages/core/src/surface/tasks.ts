// Worker task: one slab of vertices of a windowed-sinc smoothing step (see smooth.ts).
import { registerTask } from '../parallel/registry.js';
import { chebyshevStep, SMOOTH_TASK, type ChebyshevSlabPayload } from './smooth.js';

registerTask(SMOOTH_TASK, (p: ChebyshevSlabPayload) => {
  chebyshevStep(p.cur, p.prev, p.result, p.cj, p.start, p.nbr, p.fixed, p.v0, p.v1);
  return null;
});

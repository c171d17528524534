// Worker tasks: one slab of vertices of a windowed-sinc smoothing step or sweep (see smooth.ts), and
// manifold-3d's verdict on a whole mesh (gate.ts), so its seconds of WASM leave the main thread,
// the accuracy against a reference surface, beside the gate (accuracy-pool.ts), and a share of the
// self-intersection check and its flat fans (untangle.ts), a model's preview (decimate.ts), beside the job's other exports,
// and a decimation's Hausdorff distance (decimate.ts), beside the conditioning's last steps.
import { registerTask } from '../parallel/registry.js';
import type { Mesh } from '../geometry/types.js';
import { manifold3dCheck, MANIFOLD3D_TASK } from './gate.js';
import { ACCURACY_TASK, accuracyTask } from './accuracy-pool.js';
import { chebyshevStep, SMOOTH_TASK, type ChebyshevSlabPayload } from './smooth.js';
import { CROSSINGS_TASK, crossingsTask, FLAT_FANS_TASK, flatFansTask } from './untangle.js';
import { LOCAL_CROSSINGS_TASK, localCrossingsTask } from './untangle-rounds.js';
import { HAUSDORFF_TASK, hausdorffTask, PREVIEW_TASK, previewTask } from './decimate.js';
import { firstPart, SMOOTH_FIRST_TASK, SMOOTH_SWEEP_TASK, sweepPart } from './smooth-sweep.js';

registerTask(MANIFOLD3D_TASK, (p: Mesh) => manifold3dCheck(p));
registerTask(ACCURACY_TASK, accuracyTask);
registerTask(CROSSINGS_TASK, crossingsTask);
registerTask(FLAT_FANS_TASK, flatFansTask);
registerTask(LOCAL_CROSSINGS_TASK, localCrossingsTask);
registerTask(PREVIEW_TASK, previewTask);
registerTask(HAUSDORFF_TASK, hausdorffTask);

registerTask(SMOOTH_TASK, (p: ChebyshevSlabPayload) => {
  chebyshevStep(p.cur, p.prev, p.result, p.cj, p.start, p.nbr, p.fixed, p.v0, p.v1);
  return null;
});

registerTask(SMOOTH_FIRST_TASK, firstPart);
registerTask(SMOOTH_SWEEP_TASK, sweepPart);

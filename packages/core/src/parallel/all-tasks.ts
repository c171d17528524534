// Each module that runs slabs on the pool adds one import line here: a worker imports only
// this list (parallel/worker.ts), so a task module missing here is unknown to the pool.
import '../geometry/resample-tasks.js';
import '../dicom/assemble-tasks.js';
import '../assess/tasks.js';
import '../segment/tasks.js';
import '../segment/forest/tasks.js';
import '../evaluate/tasks.js';
import '../surface/isosurface/tasks.js';
import '../surface/tasks.js';
import '../surface/edge/tasks.js';
import '../formats/tasks.js';
import './warm.js';
export {};

// Each module that runs slabs on the pool adds one import line here.
import '../geometry/resample-tasks.js';
import '../dicom/assemble-tasks.js';
import '../segment/tasks.js';
import '../evaluate/tasks.js';
import '../surface/isosurface/tasks.js';
import '../surface/tasks.js';
import '../surface/edge/tasks.js';
import '../formats/tasks.js';
import './warm.js';
export {};

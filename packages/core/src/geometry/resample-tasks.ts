// Slab kernels of geometry/ that worker pools run by name (imported by parallel/all-tasks.ts).
import { registerTask } from '../parallel/registry.js';
import { RESAMPLE_STACK_TASK, resampleStackSlab, type StackResamplePayload } from './resample-stack.js';

registerTask(RESAMPLE_STACK_TASK, (p: StackResamplePayload) => {
  resampleStackSlab(p.src, p.plan, p.out, p.k0, p.k1);
  return null;
});

// Worker tasks of the evaluation module (slabs of the exact distance transform).
import type { Vec3 } from '../geometry/grid.js';
import { registerTask } from '../parallel/registry.js';
import { edtColumns, edtSlices } from './edt.js';

registerTask('evaluate.edtSlices', (p: { out: Float32Array; dims: Vec3; spacing: Vec3; a: number; b: number }) => {
  edtSlices(p.out, p.dims, p.spacing, p.a, p.b);
  return null;
});

registerTask('evaluate.edtColumns', (p: { out: Float32Array; dims: Vec3; spacing: Vec3; a: number; b: number; root: boolean }) => {
  edtColumns(p.out, p.dims, p.spacing, p.a, p.b, p.root);
  return null;
});

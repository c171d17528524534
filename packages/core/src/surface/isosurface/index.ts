export { extractSurface, extractSurfaceMesh, estimateIsoLevel, ISOSURFACE_TASK, PLACEMENT_RULE, type ExtractSurfaceParams } from './extract.js';
export { extractSlab, type IsoSlabPayload, type IsoSlabResult } from './extract-slab.js';
export { checkClosedManifold, type ManifoldCheck } from './manifold-check.js';

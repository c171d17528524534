// Print preparation: catalogue, orientation, fit, wall thickness, split with connectors.
export * from './catalogue.js';
export * from './connectors.js';
export * from './cuts.js';
export { applyPoint, invert, transformMesh, toManifold, fromManifold, type RigidTransform } from './manifold-mesh.js';
export * from './orient.js';
export * from './prepare.js';
export * from './split-plan.js';
export * from './thickness.js';
export * from './assembly-check.js';
// Issue 12, second part: dowels, hollowing, plate packing, quote, schedule.
export * from './dowels.js';
export * from './hollow.js';
export * from './pack.js';
export * from './pack-plates.js';
export * from './quote.js';
export * from './schedule.js';
export { convexHull2, fitFootprint, footprintHull, type FootprintFit, type Point2 } from './footprint-fit.js';
// Automatic printer/material choice (SPEC §2).
export * from './choose.js';
export { FDM_QUICK_MODEL, type PairEstimate } from './choose-estimate.js';

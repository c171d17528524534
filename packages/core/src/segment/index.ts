// Public surface of the segmentation module.
export * from './method.js';
export * from './presets.js';
export * from './threshold.js';
export * from './auto-threshold.js';
export * from './soft-threshold.js';
export * from './method-region-grow.js';
export * from './reducers.js';
// Registers the forest method and the threshold-forest reducer (issue 14).
import './forest/index.js';
export * from './filters/index.js';
export * from './pipeline-cleanup.js';
export * from './pipeline.js';
// Clean-up stages (components, holes, morphology, table, region growing, metal, statistics).
export * from './components.js';
export * from './fill-holes.js';
export * from './marrow-fill.js';
export * from './morphology.js';
export * from './table.js';
export * from './faint-components.js';
export * from './region-grow.js';
export * from './metal.js';
export * from './stats.js';

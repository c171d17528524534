// The learned voxel classifier (issue 14): a chained decision forest.
import './tasks.js';
export * from './groups.js';
export * from './features.js';
export * from './kernels.js';
export * from './model.js';
export * from './tree.js';
export * from './predict.js';
export * from './evidence.js';
export * from './train.js';
export * from './method.js';
export * from './group-dice.js';

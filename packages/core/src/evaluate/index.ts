export * from './edt.js';
export * from './labels.js';
export * from './metrics.js';
export * from './stage.js';

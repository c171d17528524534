export * from './gaussian.js';
export * from './median.js';
export * from './window.js';
export * from './resample.js';
export * from './crop.js';

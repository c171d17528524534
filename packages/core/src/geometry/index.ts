export * from './grid.js';
export * from './types.js';
export * from './preview.js';

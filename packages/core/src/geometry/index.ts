export * from './grid.js';
export * from './types.js';

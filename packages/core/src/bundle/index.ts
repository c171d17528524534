export * from './layout.js';
export * from './verify.js';

import './all-tasks.js';
export * from './pool.js';
export * from './registry.js';
export * from './settle-once.js';

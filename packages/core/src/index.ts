// Public surface of @scan2print/core. Each domain folder exports from its own index.
export * from './version.js';
export * from './errors.js';
export * from './geometry/index.js';
export * from './pipeline/record.js';
export * from './parallel/index.js';

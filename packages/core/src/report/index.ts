export * from './png.js';
export * from './slices.js';
export * from './render-mesh.js';
export * from './schema.js';
export * from './assemble.js';
export * from './html.js';

// The anatomical graph and structure identification (issue 14).
export * from './graph.js';
export { ANATOMY_GRAPH } from './graph-data.js';
export * from './identify.js';

export { runCli, EXIT } from './run.js';
export { createNodePool } from './pool/node-pool.js';

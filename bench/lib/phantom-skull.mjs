// Shared by the bench/print benchmarks: where things are (the built CLI and core, the shared
// data) and the model they measure on, the phantom skull: ct/philips-head-phantom-1mm made into
// a 3MF by `scan2print convert` with its defaults (the user's path), once per benchmark run.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './measure.mjs';
import { SCAN2PRINT } from './command.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export { SCAN2PRINT as cli } from './command.mjs';
export const data = process.env.SCAN2PRINT_DATA ?? resolve(root, '../shared/data');
export const SKULL_SERIES = 'ct/philips-head-phantom-1mm';

/** The built core (dist): a benchmark measures what users run (needs: npm run build). */
export const loadCore = () => import(resolve(root, 'packages/core/dist/index.js'));

/** The model file named on the command line, else the phantom skull made by convert in `work`. */
export async function phantomSkull(work, given) {
  if (given) return given;
  const skull = join(work, 'skull.3mf');
  const c = await measure([SCAN2PRINT, 'convert', join(data, SKULL_SERIES), '-o', skull, '--quiet']);
  if (c.code !== 0) throw new Error(`convert failed: ${c.stderr}`);
  console.log(`skull made by convert in ${c.wall_s.toFixed(1)} s`);
  return skull;
}

/** Triangles of a model file (any of our formats). */
export async function triangleCount(file) {
  const core = await loadCore();
  return core.readMesh(new Uint8Array(readFileSync(file)), file).indices.length / 3;
}

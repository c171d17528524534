/**
 * The bone forest shipped with @scan2print/core (packages/core/models/bone-forest.bin), as
 * the convert job's host hands it over (ConvertJobHost.forestModel): read on the first job
 * that names a forest method, then kept. Used by `convert`, `demo` and the server's convert thread.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputError, type ForestModelBytes } from '@scan2print/core/job';

/** The model shipped with @scan2print/core (packages/core/models/), for hosts that run `--method forest`. */
export function shippedForestModelPath(): string {
  // dist/convert/forest-model.js, the bundle's dist/bundle/ or src/convert/forest-model.ts → packages/cli → packages/core/models
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '../../../core/models/bone-forest.bin');
}

let cached: ForestModelBytes | undefined;

export function shippedForestModel(): ForestModelBytes {
  if (cached) return cached;
  const file = shippedForestModelPath();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw inputError('NO_FOREST_MODEL', code === 'ENOENT' ? 'the shipped bone forest is missing from this installation' : `cannot read the shipped bone forest (${(e as Error).message})`, file, e);
  }
  // The file name only: the report must not depend on where the package is installed.
  cached = { bytes, source: basename(file) };
  return cached;
}

// The `scan2print` command every bench runs: packages/cli/bin/scan2print as npm links it (a sh
// launcher that sets glibc's allocator tunables, then execs node on scan2print.js), i.e. what a
// user's `npx scan2print` runs. Needs the built CLI (npm run build).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCAN2PRINT = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/bin/scan2print');

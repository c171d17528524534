import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The shared real data set: ../shared/data beside the repository root
 * (override with SCAN2PRINT_DATA). Tests fail, never skip, when it is missing.
 */
export const DATA = process.env.SCAN2PRINT_DATA ?? resolve(ROOT, '../shared/data');

export function dataPath(...parts: string[]): string {
  const p = resolve(DATA, ...parts);
  if (!existsSync(p)) throw new Error(`test data missing: ${p} (expected ../shared/data beside the repository)`);
  return p;
}

/** The built CLI entry point (the test command builds before running tests): run it with node. */
export const CLI = resolve(ROOT, 'packages/cli/bin/scan2print.js');

/** The `scan2print` command itself, as npm links it (bin/scan2print, a sh launcher that execs node on CLI). */
export const CLI_COMMAND = resolve(ROOT, 'packages/cli/bin/scan2print');

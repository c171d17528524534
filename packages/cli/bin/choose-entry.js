// Which compiled entry the `scan2print` command runs (bin/scan2print.js imports it): the bundle
// (dist/bundle/main.js, scripts/bundle.mjs: ~0.15 s less to start) or the modules (dist/main.js).
// Plain JavaScript beside the launcher: it runs before anything compiled is loaded.
import { statSync } from 'node:fs';

/**
 * Commands whose action loads @scan2print/server: they run from the modules, since the server
 * brings its own copy of core (the bundle's would be a second, with its own ScanError class).
 * In the bundle the server is a module that throws (scripts/bundle.mjs), so a command missing
 * here fails loudly; launcher-entry.spec.ts checks these against the commands' sources.
 */
export const UNBUNDLED_COMMANDS = ['serve', 'worker', 'quote', 'audit'];

/**
 * Builds whose output the bundle is made from: a bundle older than any of them was made from
 * older code (a compile after the last bundling, or a new install), and the modules run instead.
 * Paths from this folder; a file that is not there (an installed package) does not count.
 */
const SOURCES = ['../tsconfig.tsbuildinfo', '../../core/tsconfig.tsbuildinfo', '../../../node_modules/.package-lock.json'];
const BUNDLE = '../dist/bundle/main.js';

/**
 * 'bundle' or 'modules' for these arguments (process.argv.slice(2)): the bundle when it is
 * fresh and the command (always the first argument) is not one of UNBUNDLED_COMMANDS; never
 * with SCAN2PRINT_UNBUNDLED=1. `mtime` (ms, undefined when absent) is a parameter for the tests.
 * @param {readonly string[]} argv
 * @param {{ SCAN2PRINT_UNBUNDLED?: string }} env
 * @param {(path: string) => number | undefined} mtime
 * @returns {'bundle' | 'modules'}
 */
export function chooseEntry(argv, env, mtime = fileMtime) {
  if (env.SCAN2PRINT_UNBUNDLED === '1') return 'modules';
  if (argv[0] !== undefined && UNBUNDLED_COMMANDS.includes(argv[0])) return 'modules';
  const made = mtime(BUNDLE);
  if (made === undefined) return 'modules';
  for (const s of SOURCES) {
    const t = mtime(s);
    if (t !== undefined && t > made) return 'modules';
  }
  return 'bundle';
}

/** @param {string} path relative to this folder */
function fileMtime(path) {
  try {
    return statSync(new URL(path, import.meta.url)).mtimeMs;
  } catch {
    return undefined;
  }
}

// The `scan2print` command every bench runs: packages/cli/bin/scan2print as npm links it (a sh
// launcher that sets glibc's allocator tunables, then execs node on scan2print.js), i.e. what a
// user's `npx scan2print` runs. Needs the built CLI (npm run build).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCAN2PRINT = resolve(ROOT, 'packages/cli/bin/scan2print');

/** The glibc allocator settings the launcher gives node (read from it: one source), for a peer run the same way. */
export function launcherTunables() {
  const t = /GLIBC_TUNABLES="([^"$]+)/.exec(readFileSync(SCAN2PRINT, 'utf8'))?.[1];
  if (!t) throw new Error(`no GLIBC_TUNABLES in ${SCAN2PRINT}`);
  return t;
}

/** The commit a bench ran at, for its results' heading: short hash, and whether tracked files differ from it. */
export function benchCommit() {
  const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' + uncommitted changes' : ''}`;
}

/**
 * Runs once in vitest's main process before any test file. Creating a PGlite database
 * (initdb, in WASM) blocks its process for ~2.5 s on a quiet machine and 15 s or more under
 * load; done in a test worker, that stalls the runner's heartbeat. So one migrated database
 * is made here, and every embedded test server starts from a copy of it (~0.2 s).
 * It also makes the run's folder of shared convert results (test/convert-cache.ts), and gives
 * the test processes (forked after this) the allocator settings the `scan2print` command runs
 * with (GLIBC_TUNABLES, read from its launcher): specs that run the pipeline in-process then
 * measure and time what users run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../packages/server/src/db/connect.js';
import { CONVERT_CACHE_ENV } from './convert-cache.js';
import { launcherTunables } from './launcher.js';

/** The folder this module made (vitest runs the global setup once per project; the first makes it, the others reuse it). */
let made: string | undefined;
let cache: string | undefined;

export async function setup(): Promise<void> {
  // glibc reads it when a process starts: set here, it reaches the test processes vitest forks next.
  // (Once: vitest runs this per project.) A user's own settings stay last, so they win.
  const ours = launcherTunables();
  const theirs = process.env.GLIBC_TUNABLES;
  if (!theirs?.startsWith(ours)) process.env.GLIBC_TUNABLES = theirs ? `${ours}:${theirs}` : ours;
  if (!process.env[CONVERT_CACHE_ENV]) process.env[CONVERT_CACHE_ENV] = cache = mkdtempSync(join(tmpdir(), 's2p-convert-cache-'));
  if (process.env.SCAN2PRINT_TEST_PGLITE_TEMPLATE) return;
  const dir = mkdtempSync(join(tmpdir(), 's2p-pglite-template-'));
  const db = await openDatabase({ dataDir: dir });
  await db.close();
  process.env.SCAN2PRINT_TEST_PGLITE_TEMPLATE = join(dir, 'db');
  made = dir;
}

export async function teardown(): Promise<void> {
  if (made) rmSync(made, { recursive: true, force: true });
  made = undefined;
  if (cache) rmSync(cache, { recursive: true, force: true });
  cache = undefined;
}

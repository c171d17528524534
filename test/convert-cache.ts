/**
 * One real `scan2print convert` per distinct request in a test run, shared by the specs that
 * only read its outputs. A convert of a real CT series is the costliest step of several CLI
 * specs; two specs asking for the same input and arguments get the same files (the convert
 * is deterministic with SOURCE_DATE_EPOCH set), so the second reads the first one's.
 *
 * Content-addressed: the key is a hash of the input's files (names, sizes, bytes' hash), the
 * arguments, the environment given and the built CLI (every file of packages/{cli,core}/dist),
 * so a changed input, option or build never reads an old result. The cache lives for one
 * run (test/global-setup.ts makes the folder and removes it); specs in other test processes
 * find it through SCAN2PRINT_TEST_CONVERT_CACHE. Across processes the first caller takes a
 * lock (an atomic mkdir) and runs the convert; the others wait for its result file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runScan2print, type CliRun } from './cli.js';
import { ROOT } from './data.js';

export const CONVERT_CACHE_ENV = 'SCAN2PRINT_TEST_CONVERT_CACHE';

/** Hash of every file under `dir` (sorted relative names and bytes). */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else h.update(`${relative(dir, p)}\0${st.size}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

let buildId: string | undefined;
/** The built CLI and core the convert runs (the test command builds before the tests). */
function build(): string {
  return (buildId ??= createHash('sha256').update(treeHash(join(ROOT, 'packages/cli/dist'))).update(treeHash(join(ROOT, 'packages/core/dist'))).digest('hex'));
}

function cacheRoot(): string {
  let root = process.env[CONVERT_CACHE_ENV];
  if (!root) {
    // Not under the test command's global setup (a spec run some other way): this process only.
    root = mkdtempSync(join(tmpdir(), 's2p-convert-cache-'));
    process.env[CONVERT_CACHE_ENV] = root;
  }
  return root;
}

export interface SharedConvert extends CliRun {
  /** The folder the outputs were written to (the convert's working directory). */
  dir: string;
}

/**
 * `scan2print convert <input> ...args` run in a folder of the cache, once per run for the same
 * input, arguments and env. Output paths in `args` must be relative (they land in `dir`).
 * Callers must only read the outputs.
 */
export async function sharedConvert(input: string, args: string[], opts: { env?: Record<string, string>; timeout_ms?: number } = {}): Promise<SharedConvert> {
  if (args.some((a) => a.startsWith('/'))) throw new Error('sharedConvert: output paths must be relative to its folder');
  const env = opts.env ?? {};
  const key = createHash('sha256')
    .update(JSON.stringify({ input: treeHash(input), args, env: Object.entries(env).sort(), build: build() }))
    .digest('hex')
    .slice(0, 32);
  const entry = join(cacheRoot(), key);
  const dir = join(entry, 'out');
  const result = join(entry, 'result.json');
  let mine = false;
  try {
    mkdirSync(entry);
    mine = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (mine) {
    mkdirSync(dir);
    // A run that could not even start is a result too: the waiters must not wait for ever.
    const r: CliRun = await runScan2print(['convert', input, ...args], { cwd: dir, env, timeout_ms: opts.timeout_ms ?? 600_000 }).catch((e: unknown) => ({
      code: 128,
      stdout: '',
      stderr: `scan2print convert did not start: ${String(e)}`,
    }));
    // Written whole, then renamed: a waiter never reads half a result.
    writeFileSync(`${result}.partial`, JSON.stringify(r));
    renameSync(`${result}.partial`, result);
    return { ...r, dir };
  }
  // Another spec (maybe in another test process) is running it: wait for its result.
  while (!existsSync(result)) await new Promise((r) => setTimeout(r, 200));
  return { ...(JSON.parse(readFileSync(result, 'utf8')) as CliRun), dir };
}

/**
 * The tilted head phantom's skull as a user makes it for planning: full report, a quarter of the
 * triangles. convert.spec checks this convert and its report; prepare.spec splits its skull.
 */
export const TILTED_SKULL = {
  input: 'ct/philips-head-phantom-tilt',
  args: ['-o', 'skull.3mf', '--report', 'r.json', '--html', 'r.html', '--purpose', 'cranial vault plan', '--decimate-ratio', '0.25', '--quiet'],
  // 2026-01-01: reproducible reports and 3MF metadata
  env: { SOURCE_DATE_EPOCH: '1767225600' },
} as const;

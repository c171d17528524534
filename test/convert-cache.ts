/**
 * One real `scan2print convert` (or other command) per distinct request in a test run, shared
 * by the specs that only read its outputs. A convert of a real CT series is the costliest step
 * of several CLI specs; two specs asking for the same input and arguments get the same files
 * (the convert is deterministic with SOURCE_DATE_EPOCH set), so the second reads the first one's.
 *
 * Content-addressed: the key is a hash of the inputs' files (names, sizes, bytes' hash), the
 * arguments, the links made in its folder, the environment given and the built CLI (every file
 * of packages/{cli,core}/dist), so a changed input, option or build never reads an old result. The cache lives for one
 * run (test/global-setup.ts makes the folder and removes it); specs in other test processes
 * find it through SCAN2PRINT_TEST_CONVERT_CACHE. Across processes the first caller takes a
 * lock (an atomic mkdir) and runs the convert; the others wait for its result file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runScan2print, type CliRun } from './cli.js';
import { DATA, dataPath, ROOT } from './data.js';

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

/** What a shared run reads and runs with, besides its arguments. */
export interface SharedRunOptions {
  /** The folders and files the run reads: their content is part of the key. */
  inputs: string[];
  /** Symbolic links (name → target) made in the run's folder first, for inputs named relative to it. */
  links?: Record<string, string>;
  env?: Record<string, string>;
  timeout_ms?: number;
}

/**
 * `scan2print ...args` run in a folder of the cache, once per run for the same arguments,
 * inputs, links and env. Output paths in `args` must be relative (they land in `dir`).
 * Callers must only read the outputs.
 */
export async function sharedRun(args: string[], opts: SharedRunOptions): Promise<SharedConvert> {
  const env = opts.env ?? {};
  const links = Object.entries(opts.links ?? {}).sort();
  const key = createHash('sha256')
    .update(JSON.stringify({ args, inputs: opts.inputs.map(treeHash), links, env: Object.entries(env).sort(), build: build() }))
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
  const owner = join(entry, 'owner.pid');
  if (mine) {
    writeFileSync(owner, String(process.pid));
    mkdirSync(dir);
    for (const [name, target] of links) symlinkSync(target, join(dir, name));
    // A run that could not even start is a result too: the waiters must not wait for ever.
    const r: CliRun = await runScan2print(args, { cwd: dir, env, timeout_ms: opts.timeout_ms ?? 600_000 }).catch((e: unknown) => ({
      code: 128,
      stdout: '',
      stderr: `scan2print ${args[0]} did not start: ${String(e)}`,
    }));
    // Written whole, then renamed: a waiter never reads half a result.
    writeFileSync(`${result}.partial`, JSON.stringify(r));
    renameSync(`${result}.partial`, result);
    return { ...r, dir };
  }
  // Another spec (maybe in another test process) is running it: wait for its result.
  await resultOf(entry, owner, result, args, (opts.timeout_ms ?? 600_000) + 60_000);
  return { ...(JSON.parse(readFileSync(result, 'utf8')) as CliRun), dir };
}

/**
 * Waits for the result another process is writing; fails, naming the run, if that process is
 * gone without one (a test process that crashed or was killed) or after `ms` (its own run's
 * limit and a margin: it writes a result even when its run times out).
 */
export async function resultOf(entry: string, owner: string, result: string, args: string[], ms: number): Promise<void> {
  const what = `the shared run \`scan2print ${args.join(' ')}\` (${entry})`;
  const until = Date.now() + ms;
  while (!existsSync(result)) {
    if (Date.now() > until) throw new Error(`${what}: no result after ${Math.round(ms / 1000)} s`);
    if (!alive(owner)) {
      if (existsSync(result)) break;
      throw new Error(`${what}: the test process running it (pid ${readFileSync(owner, 'utf8')}) ended without a result`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether the process named in `owner` still runs (a process written there, not yet gone). */
function alive(owner: string): boolean {
  if (!existsSync(owner)) return true; // made its folder, not yet named itself
  try {
    process.kill(Number(readFileSync(owner, 'utf8')), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `scan2print convert <input> ...args` as a shared run (see sharedRun). */
export async function sharedConvert(input: string, args: string[], opts: { env?: Record<string, string>; timeout_ms?: number } = {}): Promise<SharedConvert> {
  if (args.some((a) => a.startsWith('/'))) throw new Error('sharedConvert: output paths must be relative to its folder');
  return sharedRun(['convert', input, ...args], { ...opts, inputs: [input] });
}

/**
 * `scan2print convert <series> -o m.stl --report r.json ...flags --quiet` (series under the shared
 * data, reproducible date) as a shared run: the specs that read the same model (the decimated
 * TotalSegmentator bone: convert-untangle.spec's repair, quote.spec's quotes) ask for it alike.
 */
export function sharedStlConvert(series: string, flags: readonly string[] = []): Promise<SharedConvert> {
  return sharedConvert(dataPath(series), ['-o', 'm.stl', '--report', 'r.json', ...flags, '--quiet'], { env: { SOURCE_DATE_EPOCH: '1767225600' } });
}

/**
 * The TotalSegmentator example CT's bone decimated to a tenth (sharedStlConvert): the hardest
 * decimation here (76 shells, thin walls, 2 mm slices), five retries for crossings.
 */
export const DECIMATED_BONE = { series: 'labelled/totalsegmentator/example_ct_dicom', flags: ['--decimate-ratio', '0.1'] } as const;

/**
 * The tilted head phantom's skull as a user makes it for planning: full report, a quarter of the
 * triangles. convert.spec checks this convert and its report; prepare-ct.spec splits its skull.
 */
export const TILTED_SKULL = {
  input: 'ct/philips-head-phantom-tilt',
  args: ['-o', 'skull.3mf', '--report', 'r.json', '--html', 'r.html', '--purpose', 'cranial vault plan', '--decimate-ratio', '0.25', '--quiet'],
  // 2026-01-01: reproducible reports and 3MF metadata
  env: { SOURCE_DATE_EPOCH: '1767225600' },
} as const;

/** The data folders the README's examples name relative to their folder (readme.spec links them there). */
export const README_DATA = ['ct', 'labelled', 'hardcases'] as const;

/** The README's export-volume example: readme.spec runs it, inspect.spec compares its volume with core's import. */
export const README_EXPORT_VOLUME = ['export-volume', 'labelled/totalsegmentator/example_ct_dicom', '-o', 'volume.nii.gz'];

/**
 * A README example (`scan2print ARGS`, input ARGS[1] relative to the data folders) as a shared run,
 * in a folder where the data folders are linked, with readme.spec's environment but for a fixed
 * HOME (a folder no one has): readme.spec's own HOME is new in every run, which would make every
 * run's key its own. Only for commands that read no configuration (anonymise and upload do).
 */
export function readmeRun(args: string[]): Promise<SharedConvert> {
  return sharedRun(args, {
    inputs: [join(DATA, args[1]!)],
    links: Object.fromEntries(README_DATA.map((d) => [d, join(DATA, d)])),
    env: { HOME: '/nonexistent/scan2print-readme-home', XDG_CONFIG_HOME: '', SCAN2PRINT_KEY_FILE: '', SOURCE_DATE_EPOCH: '1767225600' },
    timeout_ms: 300_000,
  });
}

/**
 * `scan2print ARGS` for output that depends on nothing but the build (`COMMAND --help`,
 * `printers --json`): one run per test run for every spec that reads it.
 */
export function sharedOutput(args: string[]): Promise<SharedConvert> {
  return sharedRun(args, { inputs: [] });
}

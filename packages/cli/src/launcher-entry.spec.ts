/**
 * Which compiled entry `scan2print` runs (bin/choose-entry.js): the bundle (dist/bundle/, made by
 * scripts/bundle.mjs after the compile; ~0.15 s less to start) or the modules (dist/main.js).
 * Checked here: the choice (fresh bundle, stale bundle, server commands, the override); that the
 * test command's build left a fresh bundle, so the other specs' CLI runs go through it; that the
 * bundle converts a real series to the same bytes as the modules; that the server commands are
 * exactly those whose code reaches @scan2print/server, and that the bundle refuses them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript beside the launcher (no declarations): it runs before anything compiled.
import { chooseEntry, UNBUNDLED_COMMANDS } from '../bin/choose-entry.js';
import { CLI, dataPath } from '../../../test/data.js';
import { runTool } from '../../../test/run-tool.js';
import { linkedSubset, phantomFirstSlices } from '../../../test/series-subset.js';

type Choose = (argv: readonly string[], env: Record<string, string>, mtime?: (p: string) => number | undefined) => 'bundle' | 'modules';
const choose = chooseEntry as Choose;
const unbundled = UNBUNDLED_COMMANDS as readonly string[];

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE_MAIN = join(PKG, 'dist/bundle/main.js');

const tmp = mkdtempSync(join(tmpdir(), 's2p-entry-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** mtimes (ms) by the launcher's relative paths; absent files undefined. */
function times(t: Record<string, number>): (p: string) => number | undefined {
  return (p) => t[p];
}
const BUNDLE = '../dist/bundle/main.js';
const CLI_BUILD = '../tsconfig.tsbuildinfo';
const CORE_BUILD = '../../core/tsconfig.tsbuildinfo';
const INSTALL = '../../../node_modules/.package-lock.json';

describe('choosing the entry', () => {
  it('runs a bundle made after the last compile and install, for any command but the server ones', () => {
    const fresh = times({ [BUNDLE]: 100, [CLI_BUILD]: 90, [CORE_BUILD]: 80, [INSTALL]: 10 });
    expect(choose(['convert', 'in', '-o', 'x.3mf'], {}, fresh)).toBe('bundle');
    expect(choose(['--help'], {}, fresh)).toBe('bundle');
    expect(choose([], {}, fresh)).toBe('bundle');
    for (const c of ['serve', 'worker', 'quote', 'audit']) expect(choose([c, '--help'], {}, fresh), c).toBe('modules');
    // only the first argument names the command: a folder called "serve" is an input
    expect(choose(['convert', 'serve', '-o', 'x.3mf'], {}, fresh)).toBe('bundle');
    expect(choose(['convert'], { SCAN2PRINT_UNBUNDLED: '1' }, fresh)).toBe('modules');
    expect(choose(['convert'], { SCAN2PRINT_UNBUNDLED: '0' }, fresh)).toBe('bundle');
  });

  it('runs the modules when the bundle is missing or older than a compile of the CLI or core, or an install', () => {
    expect(choose(['convert'], {}, times({ [CLI_BUILD]: 90 }))).toBe('modules');
    expect(choose(['convert'], {}, times({ [BUNDLE]: 100, [CLI_BUILD]: 101, [CORE_BUILD]: 80 }))).toBe('modules');
    expect(choose(['convert'], {}, times({ [BUNDLE]: 100, [CLI_BUILD]: 90, [CORE_BUILD]: 100.5 }))).toBe('modules');
    expect(choose(['convert'], {}, times({ [BUNDLE]: 100, [CLI_BUILD]: 90, [INSTALL]: 200 }))).toBe('modules');
    // an installed package has no build files beside it: its bundle runs
    expect(choose(['convert'], {}, times({ [BUNDLE]: 100 }))).toBe('bundle');
  });

  it('finds the bundle, with its own worker entry, fresh after the test command built it', () => {
    // the pool's workers start from the bundle's worker-entry.js when the CLI runs from the bundle (node-pool.ts)
    expect(readdirSync(join(PKG, 'dist/bundle'))).toEqual(expect.arrayContaining(['main.js', 'worker-entry.js']));
    // `npm test` compiles and bundles first (test/build-and-check.sh → npm run build); a compile
    // without bundling (npx tsc -b) makes the bundle stale and this fails: run `npm run build`.
    expect(choose(['convert'], {})).toBe('bundle');
  });
});

describe('the bundle on a real series', () => {
  it('writes the same model bytes as the modules', async () => {
    const series = linkedSubset(tmp, 'phantom40', dataPath('ct/philips-head-phantom-1mm'), phantomFirstSlices(40));
    const env = { SOURCE_DATE_EPOCH: '0' };
    const viaBundle = await runTool(process.execPath, [BUNDLE_MAIN, 'convert', series, '-o', join(tmp, 'b.3mf'), '-q'], { env });
    expect(viaBundle.stderr).toBe('');
    expect(viaBundle.status).toBe(0);
    const viaModules = await runTool(process.execPath, [CLI, 'convert', series, '-o', join(tmp, 'm.3mf'), '-q'], { env: { ...env, SCAN2PRINT_UNBUNDLED: '1' } });
    expect(viaModules.status, viaModules.stderr).toBe(0);
    const sha = (f: string): string => createHash('sha256').update(readFileSync(join(tmp, f))).digest('hex');
    expect(readFileSync(join(tmp, 'b.3mf')).length).toBeGreaterThan(100_000);
    expect(sha('b.3mf')).toBe(sha('m.3mf'));
  });
});

describe('the server commands', () => {
  /** Relative imports (static and dynamic) of a compiled-from source file, as .ts paths. */
  function localImports(file: string): { local: string[]; server: boolean } {
    const src = readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
    const specs = [...src.matchAll(/(?:from\s+|import\s*\(\s*|import\.meta\.resolve\(\s*)'([^']+)'/g)].map((m) => m[1]!);
    return {
      local: specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts'))),
      server: specs.includes('@scan2print/server'),
    };
  }
  // The command table loads one command's module, by name, when it runs: not an import of the others.
  const TABLE = join(PKG, 'src/commands/index.ts');
  function reachesServer(file: string, seen = new Set<string>()): boolean {
    if (seen.has(file) || file === TABLE) return false;
    seen.add(file);
    const { local, server } = localImports(file);
    return server || local.some((f) => reachesServer(f, seen));
  }

  it('are exactly the commands whose code reaches @scan2print/server', () => {
    const index = readFileSync(TABLE, 'utf8');
    const table = [...index.matchAll(/\[\[([^\]]+)\], async \(\) => \(await import\('\.\/([\w-]+)\.js'\)\)/g)].map((m) => ({
      names: [...m[1]!.matchAll(/'([\w-]+)'/g)].map((n) => n[1]!),
      file: join(PKG, 'src/commands', `${m[2]}.ts`),
    }));
    const modules = readdirSync(join(PKG, 'src/commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(table.length).toBeGreaterThan(10);
    const needServer = table.filter((t) => reachesServer(t.file)).flatMap((t) => t.names);
    expect(needServer.length).toBeGreaterThan(0);
    expect([...needServer].sort()).toEqual([...unbundled].sort());
    expect(modules.length).toBeGreaterThanOrEqual(table.length);
  });

  it('are refused by the bundle, and run from the modules by the launcher', async () => {
    const data = mkdtempSync(join(tmp, 'data-'));
    const inBundle = await runTool(process.execPath, [BUNDLE_MAIN, 'audit', 'verify', '--data', data]);
    expect(inBundle.status).toBe(2);
    expect(inBundle.stderr).toContain('uses @scan2print/server and runs from dist/main.js');
    const launched = await runTool(process.execPath, [CLI, 'audit', 'verify', '--data', data]);
    expect(launched.status).toBe(2); // an empty folder holds no audit chain: cannot check
    expect(launched.stderr).not.toContain('@scan2print/server');
    expect(launched.stderr).toMatch(/^scan2print: /);
  });
});

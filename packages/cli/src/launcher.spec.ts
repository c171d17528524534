/**
 * The `scan2print` command as npm links it: bin/scan2print, a sh launcher that sets glibc's
 * allocator tunables and execs node on bin/scan2print.js. Checked here: through a chain of
 * symbolic links (npm's node_modules/.bin, the workspace link) it finds scan2print.js, passes
 * the arguments through unchanged, and hands node the tunables, a user's own appended so that
 * they win — as glibc's dynamic loader reads them (`ld.so --list-tunables`), and V8's
 * --no-concurrent-recompilation up to 8 cores (where the pool fills every core), not above. With the
 * real node: the version, and exit codes straight from node (exec: no shell in between).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, CLI_COMMAND } from '../../../test/data.js';
import { runTool } from '../../../test/run-tool.js';
import { launcherV8MaxCores } from '../../../test/launcher.js';
import { MAX_POOL_WORKERS } from './pool/node-pool.js';

const LOADERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'];
const OURS = 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=16777216';
const SYNC_COMPILE = '--no-concurrent-recompilation';

let tmp = '';
let linked = '';
let fakeBin = '';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 's2p-launcher-'));
  // node_modules/.bin/scan2print → ../@scan2print/cli/bin/scan2print, and @scan2print/cli → the package: two relative links.
  mkdirSync(join(tmp, 'node_modules/.bin'), { recursive: true });
  mkdirSync(join(tmp, 'node_modules/@scan2print'), { recursive: true });
  symlinkSync(dirname(dirname(CLI_COMMAND)), join(tmp, 'node_modules/@scan2print/cli'));
  symlinkSync('../@scan2print/cli/bin/scan2print', join(tmp, 'node_modules/.bin/scan2print'));
  linked = join(tmp, 'node_modules/.bin/scan2print');
  // A `node` first on PATH that prints what it was given: the tunables, then each argument on its own line.
  fakeBin = join(tmp, 'fake-bin');
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, 'node'), '#!/bin/sh\nprintf "%s\\n" "$GLIBC_TUNABLES" "$@"\n');
  chmodSync(join(fakeBin, 'node'), 0o755);
  // And an `nproc` (coreutils': the cores this process may use) and a `getconf` (POSIX, where there
  // is no nproc) that say what the test asks for, or fail as a missing command does.
  writeFileSync(join(fakeBin, 'nproc'), '#!/bin/sh\n[ -n "$FAKE_NPROC" ] || exit 127\necho "$FAKE_NPROC"\n');
  writeFileSync(join(fakeBin, 'getconf'), '#!/bin/sh\n[ "$1" = _NPROCESSORS_ONLN ] && [ -n "$FAKE_GETCONF" ] || exit 127\necho "$FAKE_GETCONF"\n');
  chmodSync(join(fakeBin, 'nproc'), 0o755);
  chmodSync(join(fakeBin, 'getconf'), 0o755);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** `cores`: what nproc says, or { getconf } where nproc fails (and getconf too when that is ''). */
async function throughFakeNode(args: string[], tunables = '', cores: number | { getconf: string } = 2): Promise<{ tunables: string; argv: string[] }> {
  const counts = typeof cores === 'number' ? { FAKE_NPROC: String(cores), FAKE_GETCONF: '' } : { FAKE_NPROC: '', FAKE_GETCONF: cores.getconf };
  // An empty GLIBC_TUNABLES counts as none (the launcher's ${GLIBC_TUNABLES:+…}).
  const r = await runTool(linked, args, { env: { PATH: `${fakeBin}:${process.env.PATH ?? ''}`, GLIBC_TUNABLES: tunables, ...counts } });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  lines.pop(); // the last newline
  return { tunables: lines[0]!, argv: lines.slice(1) };
}

async function glibcReads(tunables: string): Promise<Record<string, string>> {
  const loader = LOADERS.find((p) => existsSync(p));
  if (!loader) throw new Error(`no glibc dynamic loader at ${LOADERS.join(' or ')}: this check needs glibc`);
  const r = await runTool(loader, ['--list-tunables'], { env: { GLIBC_TUNABLES: tunables } });
  expect(r.status, r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const m of r.stdout.matchAll(/^(glibc\.malloc\.\w+): (\S+)/gm)) out[m[1]!] = m[2]!;
  return out;
}

describe('bin/scan2print (the launcher npm links)', () => {
  it('execs node on bin/scan2print.js through two links, with the arguments unchanged', async () => {
    const args = ['convert', 'a folder/with spaces', '-o', "it's \"quoted\".3mf", '--threshold', '-5', ''];
    const seen = await throughFakeNode(args);
    expect(seen.argv[0]).toBe(SYNC_COMPILE);
    // The file links are followed; a linked folder on the way may stay in the path (the kernel follows it).
    expect(realpathSync(seen.argv[1]!)).toBe(realpathSync(CLI));
    expect(seen.argv.slice(2)).toEqual(args);
  });

  it('has V8 compile on the running thread up to 8 cores, and keeps its background compilers above', async () => {
    for (const cores of [1, 2, 4, 8]) {
      const seen = await throughFakeNode(['--version'], '', cores);
      expect(seen.argv[0], `${cores} cores`).toBe(SYNC_COMPILE);
      expect(seen.argv.slice(2)).toEqual(['--version']);
    }
    for (const cores of [9, 16, 64]) {
      const seen = await throughFakeNode(['--version'], '', cores);
      expect(realpathSync(seen.argv[0]!), `${cores} cores`).toBe(realpathSync(CLI));
      expect(seen.argv.slice(1)).toEqual(['--version']);
    }
    // The line between them is where the pool stops filling every core.
    expect(launcherV8MaxCores()).toBe(MAX_POOL_WORKERS);
    // Without nproc (macOS), getconf counts; without either, the launcher assumes one core.
    expect((await throughFakeNode(['--version'], '', { getconf: '16' })).argv[0]).not.toBe(SYNC_COMPILE);
    expect((await throughFakeNode(['--version'], '', { getconf: '4' })).argv[0]).toBe(SYNC_COMPILE);
    expect((await throughFakeNode(['--version'], '', { getconf: '' })).argv[0]).toBe(SYNC_COMPILE);
  });

  it('hands glibc huge pages, one arena and a 16 MiB mmap threshold; a user setting is appended and wins', async () => {
    const ours = await throughFakeNode(['--version']);
    expect(ours.tunables).toBe(OURS);
    const read = await glibcReads(ours.tunables);
    expect(read['glibc.malloc.hugetlb']).toBe('0x1');
    expect(read['glibc.malloc.arena_max']).toBe('0x1');
    expect(read['glibc.malloc.mmap_threshold']).toBe('0x1000000');

    const theirs = await throughFakeNode(['--version'], 'glibc.malloc.arena_max=4');
    expect(theirs.tunables).toBe(`${OURS}:glibc.malloc.arena_max=4`);
    const readTheirs = await glibcReads(theirs.tunables);
    expect(readTheirs['glibc.malloc.arena_max']).toBe('0x4');
    expect(readTheirs['glibc.malloc.hugetlb']).toBe('0x1');
  });

  it('the test processes run with the same V8 setting (vitest.config.ts, forks.execArgv)', () => {
    // Specs that run the pipeline in-process run it as the command does.
    if (availableParallelism() <= MAX_POOL_WORKERS) expect(process.execArgv).toContain(SYNC_COMPILE);
    else expect(process.execArgv).not.toContain(SYNC_COMPILE);
  });

  it('with the real node: prints the version through the links, and exit codes are node’s', async () => {
    const version = await runTool(linked, ['--version'], { env: { GLIBC_TUNABLES: '' } });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const usage = await runTool(linked, ['convert', 'dir', '-o', 'x.3mf', '--no-such-option'], { env: { GLIBC_TUNABLES: '' } });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/unknown option/);
  });
});

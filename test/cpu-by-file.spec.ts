/**
 * test/cpu-by-file.ts (the suite's CPU per spec file, on request) and its table,
 * test/cpu-by-file.mjs: the /proc parsing, and one real file measured in a child vitest run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childCpuSeconds, CPU_BY_FILE_ENV, type FileCpu } from './cpu-by-file.js';
import { ROOT } from './data.js';
import { runTool } from './run-tool.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-cpu-by-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('childCpuSeconds', () => {
  it('reads cutime + cstime after the command name, which may hold spaces and parentheses', () => {
    // fields 3.. after "(name)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const tail = 'S 1 2 3 0 -1 4194560 100 200 0 0 500 60 1234 66 20 0 9 0';
    expect(childCpuSeconds(`4242 (node) ${tail}`)).toBeCloseTo(13, 10);
    expect(childCpuSeconds(`4242 (a (b) c) ${tail}`)).toBeCloseTo(13, 10);
    expect(childCpuSeconds(readFileSync('/proc/self/stat', 'utf8'))).toBeGreaterThanOrEqual(0);
    expect(() => childCpuSeconds('garbage')).toThrow(/not a \/proc stat line/);
    expect(() => childCpuSeconds('1 (x) S 1')).toThrow(/no cutime/);
  });
});

describe('test/cpu-by-file.mjs', () => {
  it('sums a file listed twice, puts the heaviest first, and totals', async () => {
    const rows: FileCpu[] = [
      { file: 'a.spec.ts', own_s: 1, children_s: 0.5, wall_s: 2 },
      { file: 'b.spec.ts', own_s: 3, children_s: 0, wall_s: 4 },
      { file: 'a.spec.ts', own_s: 2, children_s: 1.5, wall_s: 3 },
    ];
    const f = join(dir, 'rows.jsonl');
    writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await runTool('node', [join(ROOT, 'test/cpu-by-file.mjs'), f]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    // a: 3 + 2 = 5 CPU-s (62.5 % of 8), b: 3 (37.5 %)
    expect(lines[2]).toBe('| a.spec.ts | 3.0 | 2.0 | 62.5 % | 5.0 |');
    expect(lines[3]).toBe('| b.spec.ts | 3.0 | 0.0 | 37.5 % | 4.0 |');
    expect(r.stdout).toContain('2 files (3 lines): 6.0 CPU-s in the test processes, 2.0 in their children, 8.0 in all; 9.0 s of file wall time');
  });

  it('names the line that is not JSON', async () => {
    const f = join(dir, 'bad.jsonl');
    writeFileSync(f, '{"file":"a","own_s":1,"children_s":0,"wall_s":1}\nnot json\n');
    const r = await runTool('node', [join(ROOT, 'test/cpu-by-file.mjs'), f]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${f}:2: not a JSON line`);
  });
});

describe('the setup file in a vitest run', () => {
  it('writes one line per spec file, with the CPU of the children the file waited for', async () => {
    const out = join(dir, 'cpu.jsonl');
    // a real spec file that spends CPU in a child, written for the purpose (this spec itself would
    // run vitest again), run by the repository's own config
    const spec = join(ROOT, 'test', `cpu-probe-${process.pid}.spec.ts`);
    writeFileSync(spec, [
      "import { execFileSync } from 'node:child_process';",
      "import { it, expect } from 'vitest';",
      "it('burns CPU in a child', () => {",
      // half a second of the child's own CPU, however long a loaded machine takes to give it
      "  execFileSync('node', ['-e', 'while (process.cpuUsage().user < 500000);']);",
      '  expect(1).toBe(1);',
      '});',
      '',
    ].join('\n'));
    try {
      const r = await runTool('npx', ['vitest', 'run', '--project', 'isolated', spec], { cwd: ROOT, env: { [CPU_BY_FILE_ENV]: out } });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(spec, { force: true });
    }
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FileCpu);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.file).toBe(`test/cpu-probe-${process.pid}.spec.ts`);
    // the child's 0.5 s of user CPU, and its start-up (/proc counts in 10 ms ticks)
    expect(lines[0]!.children_s).toBeGreaterThanOrEqual(0.49);
    expect(lines[0]!.wall_s).toBeGreaterThan(0);
    expect(lines[0]!.own_s).toBeGreaterThanOrEqual(0);
  });
});

/**
 * Where the suite's CPU goes, spec file by spec file (off unless asked for): with
 *   SCAN2PRINT_CPU_BY_FILE=/tmp/cpu.jsonl npx vitest run
 * each spec file appends one line to that file: its test process's own CPU (every thread: the
 * pipeline's worker pools, an in-process test server), the CPU of the child processes it waited
 * for (CLI runs, PrusaSlicer, Chromium with everything Chromium waited for), and its wall time.
 * `node test/cpu-by-file.mjs /tmp/cpu.jsonl` prints them as a table, the heaviest first.
 *
 * Why: the suite's target (issue 8: under 6 minutes on 2 cores, at most ~720 CPU-s) is a
 * question of which files cost what, and a file's wall time does not say it (a browser spec
 * waits on Chromium; a spec beside it in the other process slows it down).
 *
 * Children are counted when reaped (Linux /proc/self/stat cutime + cstime), so a child still
 * running when the file ends (a server stopped later) is counted in the file that reaps it.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { ROOT } from './data.js';

export const CPU_BY_FILE_ENV = 'SCAN2PRINT_CPU_BY_FILE';

/** Linux's clock ticks per second for /proc times (USER_HZ: 100 on every kernel config in use). */
const TICKS_PER_S = 100;

/**
 * CPU seconds of the reaped children, from a /proc/<pid>/stat line: fields 16 and 17
 * (cutime, cstime), counted after the command name, which is in parentheses and may itself
 * hold spaces and parentheses (so from the last ')').
 */
export function childCpuSeconds(stat: string): number {
  const end = stat.lastIndexOf(')');
  if (end < 0) throw new Error(`not a /proc stat line: ${stat.slice(0, 80)}`);
  // after ')': field 3 (state) is the first; cutime is field 16, cstime 17
  const f = stat.slice(end + 2).split(' ');
  const cutime = Number(f[16 - 3]), cstime = Number(f[17 - 3]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) throw new Error(`no cutime/cstime in: ${stat.slice(0, 80)}`);
  return (cutime + cstime) / TICKS_PER_S;
}

export interface FileCpu {
  file: string;
  /** This test process's CPU (user + system, all threads) while the file ran, s. */
  own_s: number;
  /** CPU of the child processes reaped while it ran, s. */
  children_s: number;
  wall_s: number;
}

function readChildCpu(): number {
  try {
    return childCpuSeconds(readFileSync('/proc/self/stat', 'utf8'));
  } catch {
    return NaN; // not Linux: null in the line (JSON has no NaN), 0 in the table
  }
}

const out = process.env[CPU_BY_FILE_ENV];
if (out) {
  let t0 = 0;
  let own0: NodeJS.CpuUsage | undefined;
  let kids0 = 0;
  let file = '?';
  beforeAll(() => {
    // from here: the file's hooks and tests (its module loading, before this, is in vitest's `collect` figure)
    t0 = performance.now();
    own0 = process.cpuUsage();
    kids0 = readChildCpu();
    const path = expect.getState().testPath;
    file = path ? relative(ROOT, path).split('\\').join('/') : '?';
  });
  afterAll(() => {
    const own = process.cpuUsage(own0);
    const row: FileCpu = {
      file,
      own_s: round((own.user + own.system) / 1e6),
      children_s: round(readChildCpu() - kids0),
      wall_s: round((performance.now() - t0) / 1000),
    };
    appendFileSync(out, `${JSON.stringify(row)}\n`);
  });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

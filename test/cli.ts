import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { runTool } from './run-tool.js';
import { CLI_COMMAND } from './data.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `scan2print` command as a user would (the launcher npm links, so with its allocator settings); resolves to code, stdout and stderr.
 * Always asynchronous: a synchronous spawn blocks the test worker's event loop for the
 * whole run, and a blocked vitest worker that cannot answer the runner's RPC within 60 s
 * fails the suite with "Timeout calling onTaskUpdate" (seen on a loaded 2-core machine).
 */
export async function runScan2print(args: string[], opts: { timeout_ms?: number; cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const r = await runTool(CLI_COMMAND, args, { ...opts, timeout_ms: opts.timeout_ms ?? 240_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** The same as runScan2print (kept for the specs that name it). */
export const runScan2printAsync = runScan2print;

/**
 * Runs `scan2print args` with every output held as a temporary (SCAN2PRINT_TEST_HOLD_COMMIT_MS)
 * and sends SIGINT once `temporaries` `.partial` files exist in `dir`: a known interrupt point,
 * no race with a fast run. `sent` is false when the run ended before that.
 */
export async function interruptWhileWriting(args: string[], dir: string, temporaries: number): Promise<{ sent: boolean; code: number | null; stderr: string }> {
  const child = spawn(CLI_COMMAND, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SCAN2PRINT_TEST_HOLD_COMMIT_MS: '120000' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let sent = false;
  while (!sent && child.exitCode === null) {
    if (readdirSync(dir).filter((f) => f.endsWith('.partial')).length === temporaries) {
      child.kill('SIGINT');
      sent = true;
    } else await new Promise((r) => setTimeout(r, 5));
  }
  const code = await exited;
  return { sent, code, stderr };
}

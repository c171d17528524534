import { runTool } from './run-tool.js';
import { CLI } from './data.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `scan2print` binary as a user would; resolves to code, stdout and stderr.
 * Always asynchronous: a synchronous spawn blocks the test worker's event loop for the
 * whole run, and a blocked vitest worker that cannot answer the runner's RPC within 60 s
 * fails the suite with "Timeout calling onTaskUpdate" (seen on a loaded 2-core machine).
 */
export async function runScan2print(args: string[], opts: { timeout_ms?: number; cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const r = await runTool(process.execPath, [CLI, ...args], { ...opts, timeout_ms: opts.timeout_ms ?? 240_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** The same as runScan2print (kept for the specs that name it). */
export const runScan2printAsync = runScan2print;

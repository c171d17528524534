import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { runTool } from './run-tool.js';
import { CLI } from './data.js';

/** Runs the built `scan2print` binary as a user would; returns code, stdout and stderr. */
export function runScan2print(args: string[], opts: { timeout_ms?: number; cwd?: string; input?: string; env?: Record<string, string> } = {}): { code: number; stdout: string; stderr: string } {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout_ms ?? 240_000,
    cwd: opts.cwd,
    input: opts.input,
    env: { ...process.env, ...(opts.env ?? {}) },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Same as runScan2print, but without blocking the test worker's event loop: use it for
 * runs longer than a few seconds (a blocked worker cannot answer the test runner).
 */
export async function runScan2printAsync(args: string[], opts: { timeout_ms?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runTool(process.execPath, [CLI, ...args], { ...opts, timeout_ms: opts.timeout_ms ?? 240_000 });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

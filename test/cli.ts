import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { CLI } from './data.js';

/** Runs the built `scan2print` binary as a user would; returns code, stdout and stderr. */
export function runScan2print(args: string[], opts: { timeout_ms?: number; cwd?: string; input?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout_ms ?? 240_000,
    cwd: opts.cwd,
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

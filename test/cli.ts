import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
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
export function runScan2printAsync(args: string[], opts: { timeout_ms?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout_ms ?? 240_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

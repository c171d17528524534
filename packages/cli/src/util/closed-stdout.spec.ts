import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/scan2print.js', import.meta.url));

/** Runs the built CLI with a stdout pipe whose reader has gone before anything was written. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a closed stdout (`scan2print … | head`)', () => {
  it('is not a crash: help and version exit 0 with nothing on stderr', async () => {
    for (const args of [['convert', '--help'], ['--help'], ['--version']]) {
      const r = await runWithClosedStdout(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });

  it('keeps the command\'s own exit code for a usage error', async () => {
    const r = await runWithClosedStdout(['convert', '--threshold', '5000']);
    expect(r.stderr).toMatch(/scan2print|error/i);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(2);
  });
});

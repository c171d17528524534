/**
 * The data-folder lock on its own: refused while a live process holds it (this one, or
 * another), taken over from a dead holder, from a predecessor that had our pid (container
 * restart) or whose pid now belongs to a newer process, and from unreadable content;
 * released only by its own holder. The crash spec shows it with real server processes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir } from './data-lock.js';

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 's2p-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const plant = (dir: string, holder: Record<string, unknown>) =>
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), startTicks: null, since: 'earlier', nonce: 'planted', ...holder }));
const holderPid = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid as number;

describe('lockDataDir', () => {
  it('writes our pid, refuses a second lock in this process, and removes the file on release', () => {
    const dir = freshDir();
    const lock = lockDataDir(dir);
    expect(holderPid(dir)).toBe(process.pid);
    expect(() => lockDataDir(dir)).toThrow(/in use by another scan2print server \(this process/);
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    lockDataDir(dir).release();
  });

  it('refuses while another live process holds the folder, naming it', async () => {
    const dir = freshDir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      plant(dir, { pid: child.pid });
      let err: (Error & { code?: string }) | undefined;
      try {
        lockDataDir(dir);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.code).toBe('DATA_DIR_IN_USE');
      expect(err?.message).toContain(`process ${child.pid}`);
      expect(holderPid(dir)).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
    // Once that process is gone its lock is stale and taken over.
    await new Promise((r) => child.once('exit', r));
    const lock = lockDataDir(dir);
    expect(holderPid(dir)).toBe(process.pid);
    lock.release();
  });

  it('refuses a holder on another machine (a shared folder: its liveness cannot be told), saying how to clear it', () => {
    const dir = freshDir();
    plant(dir, { pid: 1, host: 'some-other-host.example' });
    expect(() => lockDataDir(dir)).toThrow(/process 1 on some-other-host\.example.*delete .*scan2print\.lock/);
  });

  it.each([
    ['a dead pid', { pid: 2 ** 22 + 12345 }],
    ['our own pid, not held by us (a predecessor in a restarted container)', { pid: process.pid }],
    ['a live pid started at another time (pid reuse)', { pid: 1, startTicks: -1 }],
  ])('takes over a stale lock: %s', (_what, holder) => {
    const dir = freshDir();
    plant(dir, holder);
    const lock = lockDataDir(dir);
    expect(holderPid(dir)).toBe(process.pid);
    lock.release();
  });

  it('takes over unreadable content, and a release never removes a successor’s lock', () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE), 'not json');
    const lock = lockDataDir(dir);
    plant(dir, { pid: 1 }); // as if a successor had taken the folder over meanwhile
    lock.release();
    expect(holderPid(dir)).toBe(1);
  });
});

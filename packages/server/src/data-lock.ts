/**
 * One server per embedded data folder. PGlite is PostgreSQL inside this process, with no
 * postmaster to refuse a second one: two processes opening DIR/db both write, and the
 * database ends up unreadable (PGlite issues #1106 and #892; it removes a stale
 * postmaster.pid itself, so that file guards nothing). `serve` therefore takes
 * DIR/scan2print.lock, holding its pid, before it opens the database, and refuses to start
 * while a live process holds it. A lock left by a killed process (kill -9, power cut) is
 * taken over: its pid is gone, or (Linux) now belongs to a process started at another time.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { usageError } from '@scan2print/core';

export const LOCK_FILE = 'scan2print.lock';

interface Holder {
  pid: number;
  host: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/PID/stat field 22); tells pid reuse apart. */
  startTicks: number | null;
  since: string;
  nonce: string;
}

export interface DataDirLock {
  file: string;
  release(): void;
}

/** Folders this process holds: a second startServer on one folder in one process is refused too. */
const held = new Set<string>();

function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are plain.
    const n = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    return Number.isInteger(h.pid) ? h : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable content: written by nothing we know (the file is created whole, by link).
    return { pid: -1, host: hostname(), startTicks: null, since: '?', nonce: '' };
  }
}

function alive(h: Holder, dir: string): boolean {
  if (h.host !== hostname()) return true; // another machine (shared folder): cannot tell, so never steal
  if (h.pid <= 0) return false;
  if (h.pid === process.pid) return held.has(dir); // our own pid, not held by us: a predecessor (container restart)
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = h.startTicks === null ? null : startTicks(h.pid);
  return now === null || now === h.startTicks;
}

function inUse(dir: string, h: Holder): Error {
  const where = h.host !== hostname() ? `process ${h.pid} on ${h.host}` : h.pid === process.pid ? 'this process' : `process ${h.pid}`;
  return usageError(
    'DATA_DIR_IN_USE',
    `${dir} is in use by another scan2print server (${where}, since ${h.since}); stop it first or choose another --data folder ` +
      `(two servers on one embedded database would corrupt it)${h.host === hostname() ? '' : `; if ${h.host} is gone, delete ${join(dir, LOCK_FILE)}`}`,
  );
}

/** Takes the data folder for this process, or throws DATA_DIR_IN_USE naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), startTicks: startTicks(process.pid), since: new Date().toISOString(), nonce: randomUUID() };
  for (let tries = 0; ; tries++) {
    if (held.has(dir)) throw inUse(dir, me);
    // Written whole under a private name, then linked: the lock file never exists half-written.
    const tmp = `${file}.${me.nonce}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
    const h = readHolder(file);
    if (h && alive(h, dir)) throw inUse(dir, h);
    if (tries >= 5) throw inUse(dir, h ?? me);
    // Stale (its process is gone): remove it and try again.
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  held.add(dir);
  const release = () => {
    process.off('exit', release);
    if (!held.delete(dir)) return;
    // Only our own lock: never remove one a successor took over.
    if (readHolder(file)?.nonce === me.nonce) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  };
  // A process that exits without closing the server (an uncaught error) leaves no lock behind.
  process.on('exit', release);
  return { file, release };
}

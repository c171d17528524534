/**
 * The user's scan2print configuration folder: $XDG_CONFIG_HOME/scan2print, else
 * ~/.config/scan2print. Secrets (the anonymisation project key) live here, never in a
 * working tree that may be committed, zipped or sent.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec: a relative value is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'scan2print');
}

/** Creates the folder (mode 0700) if absent, and tightens it to 0700 if it is wider. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/**
 * The permission bits of a secret file when group or others may read or write it (mode & 0o077),
 * else undefined. Windows has no such bits (Node reports 0o666 for every file): undefined there.
 */
export function openToOthers(path: string, platform: NodeJS.Platform = process.platform): number | undefined {
  if (platform === 'win32') return undefined;
  const mode = statSync(path).mode & 0o777;
  return mode & 0o077 ? mode : undefined;
}

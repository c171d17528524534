import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { onInterrupt } from './interrupt.js';

/**
 * Writes a file under a temporary name in the same folder, then renames it, so a
 * crash or a refusal never leaves a half-written file under the output name.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.partial`);
  // While the temporary exists, Ctrl-C removes it (without a handler the default action would kill mid-write).
  const release = onInterrupt(() => rmSync(tmp, { force: true }));
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    release();
  }
}

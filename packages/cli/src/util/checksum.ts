import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * SHA-256 over the source files sorted by path: each file contributes its relative
 * name, a NUL, its length and its bytes, so reordering or renaming changes the sum.
 * Files are read one at a time (memory stays at one file).
 */
export function sha256OfFiles(paths: string[], nameOf: (p: string) => string = (p) => p): string {
  const h = createHash('sha256');
  for (const p of [...paths].sort()) {
    const bytes = readFileSync(p);
    h.update(nameOf(p));
    h.update('\0');
    h.update(String(bytes.length));
    h.update('\0');
    h.update(bytes);
  }
  return h.digest('hex');
}

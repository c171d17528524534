/**
 * Real series as specs use them: a folder's files as core's DicomSources, and a copy of a
 * series with one slice's pixel data corrupted (for the slice-outlier check).
 */
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DicomSource } from '../packages/core/src/dicom/import.js';
import { mulberry32 } from '../packages/core/src/synthetic/random.js';
import { dataPath } from './data.js';

/** Every file of a folder, in name order, as a DicomSource read on demand. */
export function seriesSources(dir: string): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
}

/**
 * Copies a shared-data series into `tmp` and writes 2000 random bytes (seeded by `pick`) into
 * the pixel data of its `pick`-th slice file (uncompressed 512×512×16-bit slices: the pixel data
 * is the file's last 512·512·2 bytes; the bytes go into its second half).
 */
export function corruptSliceCopy(tmp: string, series: string, pick: number): { dir: string; file: string } {
  const dir = join(tmp, series.replace(/\//g, '_'));
  cpSync(dataPath(series), dir, { recursive: true });
  const names = readdirSync(dir)
    .sort()
    .filter((n) => /^I\d+$/.test(n) || n.endsWith('.dcm'));
  const file = join(dir, names[pick]!);
  const bytes = new Uint8Array(readFileSync(file));
  const at = bytes.length - 512 * 512;
  const rand = mulberry32(pick + 1);
  for (let i = 0; i < 2000; i++) bytes[at + i] = Math.floor(rand() * 256);
  writeFileSync(file, bytes);
  return { dir, file };
}

/**
 * Part of a real series, for specs whose claim is about a crop box or option handling: the
 * slices the box covers, so the voxels in the box are the whole series' (same grid, same
 * values) at a fraction of the import's work.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files of the first `count` slices of ct/philips-head-phantom-1mm: I10, I20, … (file
 * I{10(k + 1)} is instance k + 1, the k-th slice from the bottom, z ascending; the volume's
 * slice k). Its DICOMDIR (DIRFILE) is left out.
 */
export function phantomFirstSlices(count: number): string[] {
  return Array.from({ length: count }, (_, k) => `I${10 * (k + 1)}`);
}

/** A folder `name` under `tmp` of symbolic links to the files `names` of the series folder `series`. */
export function linkedSubset(tmp: string, name: string, series: string, names: string[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const n of names) symlinkSync(join(series, n), join(dir, n));
  return dir;
}

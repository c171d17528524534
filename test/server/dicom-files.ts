/** Real CT files from ../shared/data for upload tests, as uploaded (original) or anonymised in memory by core. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAnonymiser } from '@scan2print/core';
import { dataPath } from '../data.js';

/** `series`: a folder under ct/ (its name), or any series folder under the data root (a path with a slash). */
export function seriesFiles(series: string): Array<{ name: string; bytes: Uint8Array }> {
  const dir = series.includes('/') ? dataPath(...series.split('/')) : dataPath('ct', series);
  return readdirSync(dir)
    // The Philips series carries its DICOMDIR as DIRFILE: a directory record, not an image.
    .filter((name) => !/^(DICOMDIR|DIRFILE)$/i.test(name))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}

export async function anonymisedSeries(series: string, key = 'scan2print test key 0123456789'): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const a = createAnonymiser(key);
  const out = [];
  for (const f of seriesFiles(series)) {
    const r = await a.anonymise(f.bytes, f.name);
    out.push({ name: `${r.summary.sopInstanceUid}.dcm`, bytes: r.bytes });
  }
  return out;
}

export function formOf(files: Array<{ name: string; bytes: Uint8Array }>): FormData {
  const fd = new FormData();
  for (const f of files) fd.append('file', new Blob([f.bytes]), f.name);
  return fd;
}

/**
 * The files a user dropped, as core's DicomSources: each plain file as it is, each zip's
 * entries (unpacked in memory with fflate). Files a desktop or a zip tool adds (.DS_Store,
 * __MACOSX/, Thumbs.db) are left out before anything reads them.
 */
import { unzipSync } from 'fflate';
import type { DicomSource } from '@scan2print/core';

function isNoise(path: string): boolean {
  const base = path.split('/').pop() ?? path;
  return path.endsWith('/') || path.startsWith('__MACOSX/') || base.startsWith('.') || /^(Thumbs\.db|desktop\.ini)$/i.test(base);
}

/** The path the browser gives a file picked from a folder (webkitRelativePath), else its name. */
export function pathOf(f: File): string {
  return f.webkitRelativePath || f.name;
}

async function isZip(f: File): Promise<boolean> {
  if (f.size < 4) return false;
  const head = new Uint8Array(await f.slice(0, 4).arrayBuffer());
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

export async function sourcesOf(files: readonly File[]): Promise<DicomSource[]> {
  const out: DicomSource[] = [];
  for (const f of files) {
    const path = pathOf(f);
    if (isNoise(path)) continue;
    if (await isZip(f)) {
      const entries = unzipSync(new Uint8Array(await f.arrayBuffer()), { filter: (e) => !isNoise(e.name) });
      for (const [name, bytes] of Object.entries(entries)) out.push({ name: `${path}/${name}`, read: () => Promise.resolve(bytes) });
    } else {
      out.push({ name: path, read: async () => new Uint8Array(await f.arrayBuffer()) });
    }
  }
  return out;
}

/** Objects as files under the data folder; written to a temporary name and renamed (atomic). */
import { createReadStream } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { checkKey, type ObjectStore } from './store.js';

export function createFsStore(root: string): ObjectStore {
  const path = (key: string) => join(root, checkKey(key));
  return {
    kind: 'fs',
    async put(key, bytes) {
      const file = path(key);
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${randomUUID()}.partial`;
      // fsync before the rename: after a crash the object is either whole or absent.
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    },
    get: (key) => readFile(path(key)).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
    async stream(key): Promise<Readable> {
      const file = path(key);
      await access(file);
      return createReadStream(file);
    },
    exists: (key) => access(path(key)).then(() => true, () => false),
    async deletePrefix(prefix) {
      await rm(path(prefix.replace(/\/$/, '')), { recursive: true, force: true });
    },
    async ping() {
      await mkdir(root, { recursive: true });
      const probe = join(root, '.ping');
      await writeFile(probe, '');
      await rm(probe);
    },
  };
}

/**
 * Removes temporaries of writes a killed process left behind (never listed: a row is added
 * only after its rename). Only safe while this process holds the data folder's lock.
 */
export async function removePartials(root: string): Promise<number> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const partial = entries.filter((e) => e.isFile() && e.name.endsWith('.partial'));
  await Promise.all(partial.map((e) => rm(join(e.parentPath, e.name), { force: true })));
  return partial.length;
}

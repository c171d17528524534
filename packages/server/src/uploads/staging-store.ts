/**
 * Where a resumable upload's bytes wait until the last one arrives: @tus/file-store under
 * DATA/uploads/<process>/, sealed with AES-256-CTR. Those bytes have not been checked yet
 * and may identify a patient, so they never touch the disk in clear: each upload gets a
 * random key that lives only in this process's memory (UploadRegistry). CTR keeps a byte's
 * position (ciphertext length = plaintext length, so tus's offset = file size still holds)
 * and can start at any offset, which an interrupted PATCH leaves unaligned. The upload's
 * metadata (the client's file name may be identifying) stays in memory too. After a restart
 * the keys are gone, so the staged bytes are noise: they are deleted and the client starts over.
 */
import { createCipheriv, createDecipheriv, type Cipher } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore, MemoryConfigstore } from '@tus/file-store';
import { ERRORS, Upload } from '@tus/utils';
import type { UploadRegistry } from './registry.js';

/** The CTR counter block for a byte offset; `skip` bytes of the block are already used. */
function counterAt(offset: number): { iv: Buffer; skip: number } {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  return { iv, skip: offset % 16 };
}

function cipherAt(key: Buffer, offset: number): Cipher {
  const { iv, skip } = counterAt(offset);
  const c = createCipheriv('aes-256-ctr', key, iv);
  if (skip > 0) c.update(Buffer.alloc(skip));
  return c;
}

export class SealedFileStore extends FileStore {
  constructor(
    readonly dir: string,
    private readonly registry: UploadRegistry,
  ) {
    super({ directory: dir, configstore: new MemoryConfigstore() });
  }

  private keyOf(id: string): Buffer {
    const e = this.registry.get(id);
    if (!e) throw ERRORS.FILE_NOT_FOUND;
    return e.key;
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const cipher = cipherAt(this.keyOf(id), offset);
    readable.on('error', (err) => cipher.destroy(err));
    return super.write(readable.pipe(cipher), id, offset);
  }

  /** A finished upload (ingested or refused, its bytes deleted) still answers HEAD with offset = length. */
  override async getUpload(id: string): Promise<Upload> {
    const e = this.registry.get(id);
    if (!e) throw ERRORS.FILE_NOT_FOUND;
    if (e.state !== 'uploading') return new Upload({ id, size: e.size ?? 0, offset: e.size ?? 0, metadata: e.metadata });
    return super.getUpload(id);
  }

  /** The whole upload in clear, in memory (the ingest gate needs every file before it stores any). */
  async readAll(id: string): Promise<Uint8Array> {
    const path = join(this.dir, id);
    const size = (await stat(path)).size;
    const out = new Uint8Array(size);
    const { iv } = counterAt(0);
    const decipher = createDecipheriv('aes-256-ctr', this.keyOf(id), iv);
    let at = 0;
    for await (const chunk of createReadStream(path).pipe(decipher)) {
      out.set(chunk as Buffer, at);
      at += (chunk as Buffer).length;
    }
    if (at !== size) throw new Error(`staged upload ${id}: read ${at} of ${size} bytes`);
    return out;
  }

  /** Deletes the staged bytes; quiet when they are already gone. */
  async discard(id: string): Promise<void> {
    await rm(join(this.dir, id), { force: true });
    await this.configstore.delete(id);
  }
}

// @tus/file-store's constructor starts an mkdir of its folder and throws from the callback if it
// fails: an uncaught exception, which would end a server and failed CI once (stop 35: ENOENT on
// a test server's staging folder, its data folder apparently removed while that mkdir still
// waited in libuv's queue). stagingDir has made the folder (mode 0700) before any store is
// constructed, so that mkdir goes.
// (Private in tus's types, hence defineProperty; uploads.spec fails if tus's own mkdir comes back.)
Object.defineProperty(SealedFileStore.prototype, 'checkOrCreateDirectory', { value: () => {} });

/**
 * This process's staging folder. Folders of earlier processes are deleted once idle for a
 * day: their keys died with them (a live process sharing the data folder writes to its
 * files, which keeps its folder fresh).
 */
export async function stagingDir(root: string, processId: string, staleMs = 24 * 3600_000): Promise<string> {
  try {
    await mkdir(root, { recursive: true });
    for (const name of await readdir(root)) {
      const p = join(root, name);
      if (Date.now() - (await newestChange(p)) > staleMs) await rm(p, { recursive: true, force: true });
    }
    const dir = join(root, processId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    throw new Error(`the upload staging folder ${root} could not be prepared (${code ?? message})`, { cause: e });
  }
}

async function newestChange(path: string): Promise<number> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return Date.now();
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of await readdir(path).catch(() => [])) newest = Math.max(newest, await newestChange(join(path, name)));
  return newest;
}

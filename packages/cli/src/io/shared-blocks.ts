/**
 * Input files read into blocks of shared memory instead of one allocation each, for the
 * commands that import a series (convert, segment, inspect …).
 *
 * Why: a CT slice file is ~0.5 MB. Each file's buffer, and the copy of it each pool worker was
 * posted to decode, came from the one malloc heap in pieces of that size; freed, they left holes
 * that later arrays did not fit (the heap returns memory only from its top), so the default
 * convert of the 140-slice phantom peaked 60–100 MiB higher in about half its runs (20 runs:
 * 427–574 MiB, half of them over 530; with these blocks 395–462 MiB; VTK's pipeline 559 MiB).
 * A block here is one allocation of 8 MiB (from the heap since the launcher's mmap_threshold is
 * 16 MiB), freed whole once the last file in it is collected, so later arrays reuse it; a worker
 * decodes the file where it lies: a view of a SharedArrayBuffer is posted by reference, not copied.
 * Node only: a browser would need cross-origin isolation for SharedArrayBuffer (the browser's
 * import reads File objects and is not affected).
 */
import type { FileHandle } from 'node:fs/promises';

/** Files this large or larger are read into a buffer of their own (rare: multi-frame or very large slices). */
export const SHARED_BLOCK_MAX_FILE = 1 << 20;
/** Bytes per block: ~15 slice files. */
export const SHARED_BLOCK_BYTES = 8 << 20;

/** Hands out space in the current block; one per input set, so its blocks go with it. */
export class SharedBlocks {
  private block: Uint8Array<SharedArrayBuffer> = new Uint8Array(new SharedArrayBuffer(0));
  private used = 0;

  /** `n` bytes of a block, starting at a multiple of 8 (readers may view the bytes as wider types). */
  private take(n: number): Uint8Array {
    let at = (this.used + 7) & ~7;
    if (at + n > this.block.length) {
      this.block = new Uint8Array(new SharedArrayBuffer(SHARED_BLOCK_BYTES));
      at = 0;
    }
    this.used = at + n;
    return this.block.subarray(at, at + n);
  }

  /**
   * `bytes` copied into a block when smaller than SHARED_BLOCK_MAX_FILE (else `bytes` itself):
   * for bytes that came from elsewhere (the server's store) and go on to other threads.
   */
  copy(bytes: Uint8Array): Uint8Array {
    if (!inBlock(bytes.length)) return bytes;
    const into = this.take(bytes.length);
    into.set(bytes);
    return into;
  }

  /**
   * The file behind `fh`, as fs.readFile reads it (the size fstat gives, or less where it ends
   * sooner): in a block when smaller than SHARED_BLOCK_MAX_FILE, else in a buffer of its own.
   */
  async read(fh: FileHandle): Promise<Uint8Array> {
    const { size } = await fh.stat();
    // Size 0 may be a file whose size is not known beforehand (procfs): read as readFile does.
    if (!inBlock(size)) return readWhole(fh);
    const into = this.take(size);
    let n = 0;
    while (n < size) {
      const { bytesRead } = await fh.read(into, n, size - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return n < size ? into.subarray(0, n) : into;
  }
}

/** Whether `n` bytes go into a block: some, and under SHARED_BLOCK_MAX_FILE. */
function inBlock(n: number): boolean {
  return n > 0 && n < SHARED_BLOCK_MAX_FILE;
}

/** The file behind `fh` in a buffer of its own (fs.readFile). */
export async function readWhole(fh: FileHandle): Promise<Uint8Array> {
  const buf = await fh.readFile();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

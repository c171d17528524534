import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSeries, isScanError, type WorkerPool } from '@scan2print/core';
import { DECODE_INTO_STACK_TASK } from '../../../core/src/dicom/assemble-decode.js';
import { dataPath } from '../../../../test/data.js';
import { createNodePool } from '../pool/node-pool.js';
import { collectInputs } from './inputs.js';
import { SHARED_BLOCK_BYTES, SHARED_BLOCK_MAX_FILE, SharedBlocks } from './shared-blocks.js';

/** Input files in blocks of shared memory (shared-blocks.ts), on the real slices of the head phantom. */

const SERIES = dataPath('ct', 'philips-head-phantom-1mm');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 's2p-blocks-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A FileHandle whose stat says `statSize` while its content is `content` (a file that changed in between). */
function changingFile(statSize: number, content: Uint8Array): FileHandle {
  const fake = {
    stat: async () => ({ size: statSize }),
    read: async (into: Uint8Array, offset: number, length: number, position: number) => {
      const part = content.subarray(position, Math.min(content.length, position + length));
      into.set(part, offset);
      return { bytesRead: part.length, buffer: into };
    },
    readFile: async () => Buffer.from(content),
  };
  return fake as unknown as FileHandle;
}

describe('collectInputs with shared blocks', () => {
  it('reads every slice of a real series, all at once, to the same bytes, several files to a block, each at a multiple of 8', async () => {
    const { sources } = await collectInputs([SERIES], { sharedBlocks: true });
    const names = readdirSync(SERIES).sort();
    expect(sources.map((s) => s.name)).toEqual(names.map((n) => join(SERIES, n)));
    const got = await Promise.all(sources.map((s) => s.read()));
    const blocks = new Set<ArrayBufferLike>();
    got.forEach((b, i) => {
      expect(Buffer.from(b).equals(readFileSync(sources[i]!.name)), sources[i]!.name).toBe(true);
      expect(b.buffer instanceof SharedArrayBuffer, sources[i]!.name).toBe(true);
      expect(b.byteOffset % 8).toBe(0);
      blocks.add(b.buffer);
    });
    // 141 files of ~0.5 MB in 8 MiB blocks: ~10 blocks, not one buffer per file.
    const bytes = got.reduce((n, b) => n + b.length, 0);
    expect(blocks.size).toBeLessThanOrEqual(Math.ceil(bytes / (SHARED_BLOCK_BYTES - SHARED_BLOCK_MAX_FILE)));
    expect(blocks.size).toBeGreaterThan(1);
  });

  it('imports the same voxels on the worker pool as from a buffer per file; the workers are handed views of the blocks', async () => {
    const real = createNodePool(2);
    // The decode tasks' file bytes, as posted (a view of shared memory is posted by reference).
    const posted: Uint8Array[] = [];
    const pool: WorkerPool = {
      size: real.size,
      run: (task, payload) => {
        if (task === DECODE_INTO_STACK_TASK) posted.push((payload as { bytes: Uint8Array }).bytes);
        return real.run(task, payload);
      },
      close: () => real.close(),
    };
    try {
      const plain = await importSeries((await collectInputs([SERIES])).sources, {}, { pool });
      expect(posted.length).toBe(140);
      expect(posted.some((b) => b.buffer instanceof SharedArrayBuffer)).toBe(false);
      posted.length = 0;
      const shared = await importSeries((await collectInputs([SERIES], { sharedBlocks: true })).sources, {}, { pool });
      expect(posted.length).toBe(140);
      expect(posted.every((b) => b.buffer instanceof SharedArrayBuffer)).toBe(true);
      const a = plain.output.volume, b = shared.output.volume;
      expect(b.grid).toEqual(a.grid);
      expect(b.data.length).toBe(a.data.length);
      expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
      // Everything the import records but its clock.
      const untimed = (f: Record<string, unknown>) => Object.fromEntries(Object.entries(f).filter(([k]) => !k.endsWith('_ms')));
      expect(untimed(shared.record.figures)).toEqual(untimed(plain.record.figures));
      expect(shared.record.findings).toEqual(plain.record.findings);
    } finally {
      await pool.close();
    }
  });

  it('a file of 1 MiB or more, and an empty one, get buffers of their own', async () => {
    const big = new Uint8Array(SHARED_BLOCK_MAX_FILE + 12345).map((_, i) => (i * 31) & 255);
    writeFileSync(join(tmp, 'big.dcm'), big);
    writeFileSync(join(tmp, 'empty.dcm'), new Uint8Array(0));
    const { sources } = await collectInputs([join(tmp, 'big.dcm'), join(tmp, 'empty.dcm')], { sharedBlocks: true });
    const [b, e] = await Promise.all(sources.map((s) => s.read()));
    expect(Buffer.from(b!).equals(Buffer.from(big))).toBe(true);
    expect(b!.buffer instanceof SharedArrayBuffer).toBe(false);
    expect(e!.length).toBe(0);
  });

  it('a file that changed after its size was read: as fs.readFile, the size fstat gave, or what it holds when shorter', async () => {
    const content = new Uint8Array(100).map((_, i) => i + 1);
    const blocks = new SharedBlocks();
    const grown = await blocks.read(changingFile(60, content));
    expect(Array.from(grown)).toEqual(Array.from(content.subarray(0, 60)));
    const shrunk = await blocks.read(changingFile(160, content));
    expect(Array.from(shrunk)).toEqual(Array.from(content));
    expect(shrunk.buffer instanceof SharedArrayBuffer && grown.buffer === shrunk.buffer).toBe(true);
  });

  it('copies bytes from elsewhere into a block (reads from the server’s store), leaving 1 MiB or more, and nothing, as they are', () => {
    const blocks = new SharedBlocks();
    const a = new Uint8Array(1000).map((_, i) => i & 255), b = new Uint8Array(3).fill(7);
    const ca = blocks.copy(a), cb = blocks.copy(b);
    expect(Array.from(ca)).toEqual(Array.from(a));
    expect(Array.from(cb)).toEqual(Array.from(b));
    expect(ca.buffer instanceof SharedArrayBuffer && ca.buffer === cb.buffer).toBe(true);
    expect(cb.byteOffset % 8).toBe(0);
    a[0] = 99;
    expect(ca[0]).toBe(0);
    const big = new Uint8Array(SHARED_BLOCK_MAX_FILE);
    expect(blocks.copy(big)).toBe(big);
    const none = new Uint8Array(0);
    expect(blocks.copy(none)).toBe(none);
  });

  it('a file gone by the time it is read fails naming it', async () => {
    const path = join(tmp, 'gone.dcm');
    writeFileSync(path, new Uint8Array(10));
    const { sources } = await collectInputs([tmp], { sharedBlocks: true });
    unlinkSync(path);
    const err = await sources.find((s) => s.name === path)!.read().then(() => undefined, (e: unknown) => e);
    expect(isScanError(err)).toBe(true);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/no such file/);
  });
});

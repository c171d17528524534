/**
 * Pass 2 of the import on a worker pool: native (uncompressed) slices are decoded by the
 * workers straight into the shared stack, with the same volume bytes as on the calling
 * thread: a real series (ct/philips-head-phantom-1mm, 512×512 16-bit native) with two real
 * worker threads. Pass 1 parses headers of files read into shared memory on the pool too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import type { WorkerPool } from '../parallel/pool.js';
import type { Volume } from '../geometry/types.js';
import { importSeries, scanSources, type DicomSource } from './import.js';
import { DECODE_INTO_STACK_TASK, PARSE_HEADER_TASK, worthParallelDecode } from './assemble-decode.js';
import type { DicomInstance } from './types.js';

let pool: WorkerPool;
beforeAll(() => {
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
});
afterAll(async () => {
  await pool?.close();
});

const bytesOf = (v: Volume) => Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);

/** The pool, counting the decode tasks it ran. */
function counting(p: WorkerPool): { pool: WorkerPool; decodes: () => number } {
  let n = 0;
  return {
    pool: { size: p.size, run: (task, payload) => ((n += task === DECODE_INTO_STACK_TASK ? 1 : 0), p.run(task, payload)), close: () => p.close() },
    decodes: () => n,
  };
}

describe('native decode on the pool', () => {
  it('gives the calling thread’s volume bytes with two worker threads', async () => {
    const dir = dataPath('ct/philips-head-phantom-1mm');
    const alone = (await importSeries(seriesSources(dir))).output;
    const c = counting(pool);
    const pooled = (await importSeries(seriesSources(dir), {}, { pool: c.pool })).output;
    expect(c.decodes()).toBe(alone.instances.length); // every slice went to a worker
    expect(pooled.volume.data).toBeInstanceOf(Int16Array);
    expect(pooled.volume.grid).toEqual(alone.volume.grid);
    expect(bytesOf(pooled.volume).equals(bytesOf(alone.volume))).toBe(true);
  });

  it('posts native images of some size and compressed ones, not tiny native ones', () => {
    const inst = (rows: number, transferSyntaxUid: string, numberOfFrames = 1) => ({ rows, columns: rows, transferSyntaxUid, numberOfFrames }) as DicomInstance;
    const four = (x: DicomInstance) => [x, x, x, x];
    const explicitLE = '1.2.840.10008.1.2.1', rle = '1.2.840.10008.1.2.5';
    expect(worthParallelDecode(four(inst(512, explicitLE)), pool)).toBe(true);
    expect(worthParallelDecode(four(inst(64, explicitLE)), pool)).toBe(false);
    expect(worthParallelDecode(four(inst(64, explicitLE, 16)), pool)).toBe(true); // a multi-frame file is one message
    expect(worthParallelDecode(four(inst(64, rle)), pool)).toBe(true);
    expect(worthParallelDecode(four(inst(512, explicitLE)), { ...pool, size: 1 })).toBe(false);
    expect(worthParallelDecode(four(inst(512, explicitLE)), undefined)).toBe(false);
  });
});

describe('pass 1 on the pool', () => {
  it('parses headers of shared-memory bytes on the workers, with the calling thread’s headers and reasons', async () => {
    const files = seriesSources(dataPath('ct/philips-head-phantom-tilt'));
    // Each file's bytes in shared memory, as the CLI reads them (io/shared-blocks.ts).
    const shared = (b: Uint8Array): Uint8Array => {
      const s = new Uint8Array(new SharedArrayBuffer(b.length));
      s.set(b);
      return s;
    };
    const first = await files[0]!.read();
    const preamble = new Uint8Array(200);
    preamble.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM", then a meta element cut short
    const broken: DicomSource[] = [
      { name: 'cut-short.dcm', read: async () => shared(first.subarray(0, 2000)) },
      { name: 'preamble-only.dcm', read: async () => shared(preamble) },
      { name: 'text.txt', read: async () => shared(new TextEncoder().encode('not a DICOM file at all'.repeat(20))) },
      { name: 'gone.dcm', read: () => Promise.reject(new Error('ENOENT: no such file')) },
    ];
    const sources: DicomSource[] = [...files.map((f) => ({ name: f.name, read: async () => shared(await f.read()) })), ...broken];
    let parses = 0;
    const counted: WorkerPool = { size: pool.size, run: (task, payload) => ((parses += task === PARSE_HEADER_TASK ? 1 : 0), pool.run(task, payload)), close: () => pool.close() };
    const alone = await scanSources(sources, 8, undefined, 0);
    const pooled = await scanSources(sources, 8, undefined, 0, counted);
    expect(parses).toBe(sources.length - 1); // every file read, on a worker
    expect(pooled.headers).toHaveLength(files.length);
    expect(pooled.headers).toEqual(alone.headers);
    expect(pooled.sourceIndex).toEqual(alone.sourceIndex);
    expect(pooled.notDicom).toEqual(alone.notDicom);
    expect(pooled.unreadable).toEqual(alone.unreadable);
    // the broken files are each listed, with a reason naming what is wrong
    expect(pooled.unreadable.map((u) => u.file)).toEqual(expect.arrayContaining(['cut-short.dcm', 'gone.dcm']));
    expect(pooled.unreadable.find((u) => u.file === 'gone.dcm')!.reason).toContain('ENOENT');
    // bytes not in shared memory are parsed here (posting them would copy them)
    parses = 0;
    await scanSources(files, 8, undefined, 0, counted);
    expect(parses).toBe(0);
  });
});

/**
 * Pass 2 of the import on a worker pool: native (uncompressed) slices are decoded by the
 * workers straight into the shared stack, with the same volume bytes as on the calling
 * thread: a real series (ct/philips-head-phantom-1mm, 512×512 16-bit native) with two real
 * worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import type { WorkerPool } from '../parallel/pool.js';
import type { Volume } from '../geometry/types.js';
import { importSeries } from './import.js';
import { DECODE_INTO_STACK_TASK, worthParallelDecode } from './assemble-decode.js';
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
  }, 120_000);

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

/**
 * The voxel-value counts made on a worker pool (keepInt16SummaryOnPool, as the import runs it
 * beside the outlier-slice count) equal int16Summary's on one thread: two real worker threads,
 * the real Philips phantom as the importer leaves it (an Int16 stack on shared memory), and a
 * shared array whose length is no multiple of the block (a short last block, runs that do not
 * split evenly). The assessment made from the pool's counts is the one-thread assessment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import { countingPool } from '../../../../test/counting-pool.js';
import { DATA } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { importSeries } from '../dicom/import.js';
import type { WorkerPool } from '../parallel/pool.js';
import { assessVolume } from './assess.js';
import { int16Summary, keepInt16SummaryOnPool, SUMMARY_BLOCK, VALUE_COUNTS_TASK } from './value-counts.js';

let pool: WorkerPool;

beforeAll(() => {
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
});

afterAll(async () => {
  await pool?.close();
});

describe('int16 value counts on 2 worker threads == on one thread', () => {
  it('the Philips phantom as imported: the import counts on the pool, the assessment reads those counts', async () => {
    const ran = new Map<string, number>();
    const dir = `${DATA}/ct/philips-head-phantom-1mm`;
    const two = await importSeries(seriesSources(dir), {}, { pool: countingPool(pool, ran) });
    const volume = two.output.volume;
    expect(volume.data).toBeInstanceOf(Int16Array);
    expect(volume.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ran.get(VALUE_COUNTS_TASK)).toBe(4);
    const pooled = int16Summary(volume.data as Int16Array); // kept by the import: no pass here
    // a copy is another array: counted afresh on this thread
    const copy = Int16Array.from(volume.data as Int16Array);
    const ref = int16Summary(copy);
    expect(pooled).not.toBe(ref);
    expect(pooled.counts).toEqual(ref.counts);
    expect(pooled.blockMax).toEqual(ref.blockMax);
    expect(pooled.counts.reduce((a, c) => a + c, 0)).toBe(volume.data.length);
    // the assessment from the pool's counts is the one from this thread's
    const a = assessVolume({ volume });
    const b = assessVolume({ volume: { grid: volume.grid, data: copy } });
    expect(a.record.figures).toEqual(b.record.figures);
    expect(a.record.findings).toEqual(b.record.findings);
    expect(a.output.peaks.air.present && a.output.peaks.softTissue.present).toBe(true);
    // a pool of one thread, or an array not on shared memory: nothing is run
    const ranNot = new Map<string, number>();
    await keepInt16SummaryOnPool(Int16Array.from(copy), { size: 1, run: countingPool(pool, ranNot).run, close: async () => {} });
    await keepInt16SummaryOnPool(copy.slice(), countingPool(pool, ranNot));
    expect(ranNot.size).toBe(0);
  });

  it('a shared array of no whole number of blocks, values over the whole int16 range', async () => {
    const n = (1 << 20) + 12345; // > the pool's minimum; the last block has 12345 % 256 voxels
    expect(n % SUMMARY_BLOCK).not.toBe(0);
    const shared = new Int16Array(new SharedArrayBuffer(2 * n));
    let s = 987654321;
    for (let p = 0; p < n; p++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      shared[p] = (s >>> 8) % 4096 - 2048;
    }
    shared[0] = -32768;
    shared[n - 1] = 32767; // the short last block's maximum
    shared[(n >> 1) + 3] = 30000;
    const ran = new Map<string, number>();
    await keepInt16SummaryOnPool(shared, countingPool(pool, ran));
    expect(ran.get(VALUE_COUNTS_TASK)).toBe(4);
    const pooled = int16Summary(shared);
    const ref = int16Summary(Int16Array.from(shared));
    expect(pooled.counts).toEqual(ref.counts);
    expect(pooled.blockMax).toEqual(ref.blockMax);
    expect(pooled.blockMax[pooled.blockMax.length - 1]).toBe(32767);
    expect(pooled.counts[0]).toBe(1);
    // asked again: kept, nothing more is run
    await keepInt16SummaryOnPool(shared, countingPool(pool, ran));
    expect(ran.get(VALUE_COUNTS_TASK)).toBe(4);
    expect(int16Summary(shared)).toBe(pooled);
  });
});

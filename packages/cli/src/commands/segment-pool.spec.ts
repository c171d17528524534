// The segmentation slab kernels on real worker threads (compiled dist: run `npm run build` first)
// give byte-identical results to the calling thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gaussianFilter,
  medianFilter,
  resampleIsotropic,
  softThreshold,
  thresholdMany,
  thresholdVolume,
  type Volume,
  type WorkerPool,
} from '@scan2print/core';
import { createNodePool } from '../pool/node-pool.js';
import { loadExampleCt } from '../../../../test/ct-volumes.js';

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('segmentation kernels on the Node worker pool', () => {
  let pool: WorkerPool;
  let ct: Volume;
  beforeAll(() => {
    pool = createNodePool(3);
    ct = loadExampleCt();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('several thresholds in parallel equal the sequential results exactly', async () => {
    const ranges: Array<[number, number]> = [[200, 3071], [300, 3071], [400, 3071]];
    const par = await thresholdMany(ct, ranges, { pool });
    expect(par.length).toBe(3);
    for (let r = 0; r < 3; r++) {
      const seq = thresholdVolume(ct, ...ranges[r]!);
      expect(bytes(par[r]!.data).equals(bytes(seq.data))).toBe(true);
    }
    expect(Array.from(par[0]!.data).filter((x) => x).length).toBeGreaterThan(Array.from(par[2]!.data).filter((x) => x).length);
  });

  it('soft threshold, Gaussian, median and resampling equal the inline results exactly', async () => {
    const s1 = await softThreshold(ct, 150, 25, {});
    const s2 = await softThreshold(ct, 150, 25, { pool });
    expect(bytes(s2.probability!.data).equals(bytes(s1.probability!.data))).toBe(true);
    const g1 = await gaussianFilter(ct, [1.5, 1.5, 3], {});
    const g2 = await gaussianFilter(ct, [1.5, 1.5, 3], { pool });
    expect(bytes(g2.output.data).equals(bytes(g1.output.data))).toBe(true);
    const m1 = await medianFilter(ct, 1, {});
    const m2 = await medianFilter(ct, 1, { pool });
    expect(bytes(m2.output.data).equals(bytes(m1.output.data))).toBe(true);
    const r1 = await resampleIsotropic(ct, 2.5, {});
    const r2 = await resampleIsotropic(ct, 2.5, { pool });
    expect(bytes(r2.output.data).equals(bytes(r1.output.data))).toBe(true);
  });
});

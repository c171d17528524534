/**
 * The outlier-slice count on a worker pool (sliceOutliersAsync, as the import runs it) gives
 * sliceOutliers' counts and findings: two real worker threads, real series on shared memory
 * as the importer leaves them (an Int16 stack; a tilted, resampled Float32 one), each with one
 * slice corrupted (2000 random bytes in its pixel data, a copy) so that a finding is made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import { countingPool } from '../../../../test/counting-pool.js';
import { corruptSliceCopy, seriesSources } from '../../../../test/series.js';
import { importSeries } from '../dicom/import.js';
import type { WorkerPool } from '../parallel/pool.js';
import { SLICE_OUTLIERS_TASK, sliceOutliers, sliceOutliersAsync } from './slice-outliers.js';

const tmp = mkdtempSync(join(tmpdir(), 's2p-outlier-pool-'));
let pool: WorkerPool;

beforeAll(() => {
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
});

afterAll(async () => {
  await pool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('slice outliers on 2 worker threads == on one thread', () => {
  for (const [series, pick, type] of [
    ['ct/philips-head-phantom-1mm', 40, Int16Array],
    ['ct/philips-head-phantom-tilt', 20, Float32Array],
  ] as const) {
    it(`${series} (${type.name}), one slice corrupted`, async () => {
      const { dir, file } = corruptSliceCopy(tmp, series, pick);
      const ran = new Map<string, number>();
      const one = await importSeries(seriesSources(dir));
      const two = await importSeries(seriesSources(dir), {}, { pool: countingPool(pool, ran) });
      const volume = two.output.volume;
      expect(volume.data).toBeInstanceOf(type);
      expect(volume.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(ran.get(SLICE_OUTLIERS_TASK)).toBe(4);
      // the import's finding, made on the pool, is the one-thread one
      const found = two.record.findings?.filter((f) => f.code === 'SLICE_OUTLIER') ?? [];
      expect(found).toHaveLength(1);
      expect(found[0]!.files).toEqual([file]);
      expect(two.record.findings).toEqual(one.record.findings);
      // every plane against its neighbours: the same count per plane
      const ref = sliceOutliers(volume);
      const pooled = await sliceOutliersAsync(volume, undefined, pool);
      expect(Math.max(...ref.impulses)).toBeGreaterThan(0);
      expect(Array.from(pooled.impulses)).toEqual(Array.from(ref.impulses));
      expect(pooled.findings).toEqual(ref.findings);
      expect(pooled.slices).toEqual(ref.slices);
    });
  }
});

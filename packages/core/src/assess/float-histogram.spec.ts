/**
 * The assessment's histogram of a float volume made on the pool at import (float-histogram.ts)
 * is the one-pass histogram: on a real resampled series with two real worker threads, and for
 * any split of a volume into runs (NaN, ±0, values outside the bins, metal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { createNodePool } from '../../../cli/src/pool/node-pool.js';
import { countingPool } from '../../../../test/counting-pool.js';
import { importSeries } from '../dicom/import.js';
import type { WorkerPool } from '../parallel/pool.js';
import { histogramStats } from './content.js';
import { FLOAT_HISTOGRAM_TASK, floatHistogramStats, joinHistograms, keptFloatHistogram } from './float-histogram.js';

let pool: WorkerPool;

beforeAll(() => {
  pool = createNodePool(2); // runs the compiled dist: `npm run build` first
});

afterAll(async () => {
  await pool?.close();
});

describe('the float histogram on the pool', () => {
  it('ct/ge-head-tilt-variable-spacing (resampled: gantry tilt, uneven slices): made at import on the workers, the one-pass histogram, handed out as a copy', async () => {
    const ran = new Map<string, number>();
    const volume = (await importSeries(seriesSources(dataPath('ct/ge-head-tilt-variable-spacing')), {}, { pool: countingPool(pool, ran) })).output.volume;
    expect(volume.data).toBeInstanceOf(Float32Array);
    expect(ran.get(FLOAT_HISTOGRAM_TASK)).toBeGreaterThanOrEqual(2);
    const data = volume.data as Float32Array;
    const kept = keptFloatHistogram(data)!;
    const onePass = floatHistogramStats(data);
    expect(kept).toEqual(onePass);
    // a head in air: most voxels binned, air below −500 HU, bone well above the tissue
    expect(onePass.inRange).toBeGreaterThan(0.9 * data.length);
    expect(onePass.belowAir).toBeGreaterThan(0.2 * data.length);
    expect(onePass.max).toBeGreaterThan(1000);
    const handed = histogramStats(volume);
    expect(handed).toEqual(onePass);
    handed.bins[0] = -1;
    expect(keptFloatHistogram(data)!.bins[0]).toBe(onePass.bins[0]);
  });

  it('an integer series is counted per value as before: no float histogram task', async () => {
    const ran = new Map<string, number>();
    const volume = (await importSeries(seriesSources(dataPath('labelled/totalsegmentator/example_ct_dicom')), {}, { pool: countingPool(pool, ran) })).output.volume;
    expect(volume.data).toBeInstanceOf(Int16Array);
    expect(ran.get(FLOAT_HISTOGRAM_TASK)).toBeUndefined();
  });

  it('runs joined in order give the one-pass figures for any split (NaN, ±0 minima and maxima, out of range, metal)', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 400);
      const data = new Float32Array(n);
      const zerosOnly = trial % 5 === 0;
      for (let i = 0; i < n; i++) {
        const u = rand();
        data[i] = zerosOnly ? (u < 0.5 ? -0 : 0) : u < 0.05 ? NaN : u < 0.1 ? -3000 : u < 0.15 ? 3500 * rand() + 3000 : u < 0.2 ? (rand() < 0.5 ? -0 : 0) : 4400 * rand() - 1200;
      }
      const cuts = [0, ...Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * (n + 1))).sort((a, b) => a - b), n];
      const parts = [];
      for (let k = 0; k + 1 < cuts.length; k++) if (cuts[k + 1]! > cuts[k]!) parts.push(floatHistogramStats(data, cuts[k]!, cuts[k + 1]!));
      const joined = joinHistograms(parts);
      const one = floatHistogramStats(data);
      expect(joined).toEqual(one);
      // toEqual tells −0 from 0; the first of equal extremes is kept, as the one pass keeps it
      expect(Object.is(joined.min, one.min) && Object.is(joined.max, one.max)).toBe(true);
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { autoThresholdFromHistogram, autoThresholdMethod, findAutoThreshold, type HuHistogram, type Volume } from '@scan2print/core';
import { loadExampleCt, loadPhantom } from '../../../../test/ct-volumes.js';

/** Histogram whose counts are a sampled Gaussian (mean mu, sd sigma) on 1-HU bins centred on integers. */
function gaussianHistogram(mu: number, sigma: number, binWidth = 1, extra?: (x: number) => number): HuHistogram {
  const start = -1100.5;
  const n = Math.ceil(4200 / binWidth);
  const counts = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = start + (i + 0.5) * binWidth;
    counts[i] = 1e5 * Math.exp(-((x - mu) ** 2) / (2 * sigma * sigma)) + (extra ? extra(x) : 0);
    total += counts[i]!;
  }
  return { start_HU: start, binWidth_HU: binWidth, counts, total, outOfRange: 0 };
}

describe('auto threshold on synthetic histograms', () => {
  it('a Gaussian peak of mean μ and sd σ gives exactly μ + 3σ (within a bin)', () => {
    for (const [mu, sigma] of [[40, 25], [60, 15], [0, 40]] as const) {
      const r = autoThresholdFromHistogram(gaussianHistogram(mu, sigma));
      expect(r.fallback).toBe(false);
      expect(r.peak_HU!).toBeCloseTo(mu, 1);
      expect(Math.abs(r.inflection_HU! - (mu + sigma))).toBeLessThan(0.5);
      expect(Math.abs(r.threshold_HU - (mu + 3 * sigma))).toBeLessThan(1);
      // The smoothed histogram's inflection is the widened one, √(σ² + s²) from the peak.
      expect(r.inflectionSmoothed_HU! - r.peak_HU!).toBeCloseTo(Math.sqrt(sigma * sigma + 36), 0);
    }
  });

  it('with 2-HU bins, and without the smoothing correction the threshold moves out by the smoothing', () => {
    const r2 = autoThresholdFromHistogram(gaussianHistogram(40, 25, 2));
    expect(Math.abs(r2.threshold_HU - 115)).toBeLessThan(2);
    const raw = autoThresholdFromHistogram(gaussianHistogram(40, 25), { correctSmoothing: false });
    expect(raw.threshold_HU).toBeCloseTo(40 + 3 * Math.sqrt(625 + 36), 0);
  });

  it('picks the soft-tissue peak, not a higher fat peak at −100 HU or a bone peak', () => {
    const h = gaussianHistogram(40, 25, 1, (x) => 2e5 * Math.exp(-((x + 100) ** 2) / 800) + 5e4 * Math.exp(-((x - 700) ** 2) / 20000));
    const r = autoThresholdFromHistogram(h);
    expect(r.fallback).toBe(false);
    expect(r.peak_HU!).toBeCloseTo(40, 0);
    expect(Math.abs(r.threshold_HU - 115)).toBeLessThan(2);
  });

  it('a flat histogram (no peak) falls back to 226 HU and says why', () => {
    const counts = new Float64Array(4200).fill(100);
    const r = autoThresholdFromHistogram({ start_HU: -1100.5, binWidth_HU: 1, counts, total: 420000, outOfRange: 0 });
    expect(r.fallback).toBe(true);
    expect(r.threshold_HU).toBe(226);
    expect(r.reason).toMatch(/no local maximum/);
  });

  it('a faint bump on a flat histogram is not a clear peak', () => {
    const h = gaussianHistogram(40, 20, 1, () => 1e6); // bump 10 % of the floor
    const r = autoThresholdFromHistogram(h);
    expect(r.fallback).toBe(true);
    expect(r.reason).toMatch(/prominence ratio/);
  });

  it('a rule result outside the plausible range (a very narrow peak) falls back, keeping what the rule gave', () => {
    const r = autoThresholdFromHistogram(gaussianHistogram(30, 7));
    expect(r.fallback).toBe(true);
    expect(r.threshold_HU).toBe(226);
    expect(r.ruleThreshold_HU!).toBeCloseTo(51, 0);
    expect(r.reason).toMatch(/outside the plausible .* soft tissue would be labelled as bone/);
    expect(autoThresholdFromHistogram(gaussianHistogram(30, 7), { plausibleRange_HU: [0, 700] }).threshold_HU).toBeCloseTo(51, 0);
  });

  it('the fallback value is a parameter', () => {
    const counts = new Float64Array(4200);
    const r = autoThresholdFromHistogram({ start_HU: -1100.5, binWidth_HU: 1, counts, total: 0, outOfRange: 0 }, { fallback_HU: 300 });
    expect(r).toMatchObject({ fallback: true, threshold_HU: 300 });
  });
});

describe('auto threshold on real CT', () => {
  let phantom: Volume;
  let example: Volume;
  beforeAll(() => {
    phantom = loadPhantom();
    example = loadExampleCt();
  });

  it('philips-head-phantom-1mm: 100..400 HU, peak and inflection recorded', () => {
    const { result, record } = findAutoThreshold(phantom);
    console.log('phantom auto threshold', JSON.stringify(result));
    expect(result.fallback).toBe(false);
    expect(result.threshold_HU).toBeGreaterThan(100);
    expect(result.threshold_HU).toBeLessThan(400);
    expect(result.peak_HU!).toBeGreaterThan(60);
    expect(result.peak_HU!).toBeLessThan(130);
    expect(result.inflection_HU!).toBeGreaterThan(result.peak_HU!);
    expect(record.figures).toMatchObject({ peak_HU: result.peak_HU, inflection_HU: result.inflection_HU, threshold_HU: result.threshold_HU });
    const hist = record.figures.histogram as { start_HU: number; binWidth_HU: number; counts: number[] };
    expect(hist.binWidth_HU).toBe(10);
    expect(hist.counts.reduce((a, b) => a + b, 0)).toBe(record.figures.voxelsInHistogram);
    expect(record.figures.voxelsInHistogram as number).toBe(512 * 512 * 140 - (record.figures.voxelsOutOfHistogramRange as number));
  });

  it('totalsegmentator example_ct: 100..400 HU; the soft-tissue peak, not the higher fat peak', async () => {
    const { result } = findAutoThreshold(example);
    console.log('example_ct auto threshold', JSON.stringify(result));
    expect(result.fallback).toBe(false);
    expect(result.threshold_HU).toBeGreaterThan(100);
    expect(result.threshold_HU).toBeLessThan(400);
    expect(result.peak_HU!).toBeGreaterThan(0);
    expect(result.peak_HU!).toBeLessThan(80);
    const r = await autoThresholdMethod.run(example, autoThresholdMethod.paramsSchema.parse({}), {});
    expect(r.record.method).toBe('auto-threshold');
    expect(r.record.figures.threshold_HU).toBe(result.threshold_HU);
    // Every labelled voxel is at or above the threshold, every other one below it.
    const d = example.data;
    const l = r.output.labels.data;
    let bad = 0;
    for (let v = 0; v < d.length; v++) if ((d[v]! >= result.threshold_HU && d[v]! <= 3071) !== (l[v] === 1)) bad++;
    expect(bad).toBe(0);
    expect(r.record.figures.voxels_selected as number).toBeGreaterThan(10000);
  });
});

/**
 * SLICE_OUTLIER on real data: silent on every real series we have (anatomy, thick and
 * uneven slices, gantry tilt), raised with the file name when 2000 random bytes are
 * written into one slice's pixel data of a copy of a real series — as a plain stack and
 * as a tilted, resampled one (where the check looks at the acquired slices' planes).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { corruptSliceCopy, seriesSources } from '../../../../test/series.js';
import { importSeries } from '../dicom/import.js';
import { sliceOutliers } from './slice-outliers.js';
import { SLICE_OUTLIER_MIN_PIXELS } from './thresholds.js';

const CT = dataPath('ct');
const REAL = [
  ...readdirSync(CT)
    .filter((n) => statSync(join(CT, n)).isDirectory())
    .map((n) => `ct/${n}`),
  'labelled/totalsegmentator/example_ct_dicom',
];

describe('SLICE_OUTLIER does not fire on real series', () => {
  it('covers every series in shared/data/ct', () => {
    expect(REAL.length).toBeGreaterThanOrEqual(4);
  });
  for (const series of REAL) {
    it(series, async () => {
      const r = await importSeries(seriesSources(dataPath(series)));
      expect(r.record.findings?.filter((f) => f.code === 'SLICE_OUTLIER')).toEqual([]);
      // Not a near miss: no slice comes close (every plane against its neighbours).
      const all = sliceOutliers(r.output.volume);
      expect(Math.max(...all.impulses)).toBeLessThan(SLICE_OUTLIER_MIN_PIXELS / 5);
      expect(all.findings).toEqual([]);
    });
  }
});

describe('SLICE_OUTLIER fires on a corrupted slice', () => {
  const tmp = mkdtempSync(join(tmpdir(), 's2p-outlier-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const [series, pick] of [
    ['ct/philips-head-phantom-1mm', 40],
    ['ct/philips-head-phantom-tilt', 20],
  ] as const) {
    it(`${series}, one slice (a copy)`, async () => {
      const { dir, file } = corruptSliceCopy(tmp, series, pick);
      const r = await importSeries(seriesSources(dir));
      const found = r.record.findings?.filter((f) => f.code === 'SLICE_OUTLIER') ?? [];
      expect(found).toHaveLength(1);
      expect(found[0]!.files).toEqual([file]);
      expect(found[0]!.severity).toBe('warn');
      expect(found[0]!.message).toMatch(/^slice \d+ \(/);
    });
  }
});

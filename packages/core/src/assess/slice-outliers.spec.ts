/**
 * SLICE_OUTLIER on real data: silent on every real series we have (anatomy, thick and
 * uneven slices, gantry tilt), raised with the file name when 2000 random bytes are
 * written into one slice's pixel data of a copy of a real series — as a plain stack and
 * as a tilted, resampled one (where the check looks at the acquired slices' planes).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { importSeries, type DicomSource } from '../dicom/import.js';
import { mulberry32 } from '../synthetic/random.js';
import { sliceOutliers } from './slice-outliers.js';
import { SLICE_OUTLIER_MIN_PIXELS } from './thresholds.js';

function dirSources(dir: string): DicomSource[] {
  return readdirSync(dir)
    .sort()
    .filter((n) => statSync(join(dir, n)).isFile())
    .map((n) => ({ name: join(dir, n), read: async () => new Uint8Array(readFileSync(join(dir, n))) }));
}

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
      const r = await importSeries(dirSources(dataPath(series)));
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

  /** Copies a series and writes 2000 random bytes into the middle of one file's (uncompressed) pixel data. */
  function corruptCopy(series: string, pick: number): { dir: string; file: string } {
    const src = dataPath(series);
    const dir = join(tmp, series.replace(/\//g, '_'));
    cpSync(src, dir, { recursive: true });
    const names = readdirSync(dir)
      .sort()
      .filter((n) => /^I\d+$/.test(n) || n.endsWith('.dcm'));
    const file = join(dir, names[pick]!);
    const bytes = new Uint8Array(readFileSync(file));
    // The pixel data is the last 512·512·2 bytes of these uncompressed slices.
    const at = bytes.length - 512 * 512;
    const rand = mulberry32(pick + 1);
    for (let i = 0; i < 2000; i++) bytes[at + i] = Math.floor(rand() * 256);
    writeFileSync(file, bytes);
    return { dir, file };
  }

  for (const [series, pick] of [
    ['ct/philips-head-phantom-1mm', 40],
    ['ct/philips-head-phantom-tilt', 20],
  ] as const) {
    it(`${series}, one slice (a copy)`, async () => {
      const { dir, file } = corruptCopy(series, pick);
      const r = await importSeries(dirSources(dir));
      const found = r.record.findings?.filter((f) => f.code === 'SLICE_OUTLIER') ?? [];
      expect(found).toHaveLength(1);
      expect(found[0]!.files).toEqual([file]);
      expect(found[0]!.severity).toBe('warn');
      expect(found[0]!.message).toMatch(/^slice \d+ \(/);
    });
  }
});

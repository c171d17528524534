import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../geometry/grid.js';
import { seriesFindings } from '../assess/series-findings.js';
import type { DicomInstance } from './types.js';
import { chooseSeries, groupSeries } from './series.js';
import { analyseStack } from './geometry.js';

function inst(file: string, o: Partial<DicomInstance> = {}): DicomInstance {
  return {
    file, transferSyntaxUid: '1.2.840.10008.1.2', modality: 'CT', studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3', seriesNumber: 3,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2', rows: 4, columns: 4, numberOfFrames: 1, imagePositionPatient: [0, 0, 0],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0], pixelSpacing: [1, 1], acquisition: {}, hasPixelData: true, ...o,
  };
}

describe('groupSeries / chooseSeries', () => {
  const axial = [0, 1, 2, 3, 4].map((k) => inst(`ax${k}`, { imagePositionPatient: [0, 0, k] }));
  const coronal = [0, 1].map((k) => inst(`cor${k}`, { imageOrientationPatient: [1, 0, 0, 0, 0, -1], imagePositionPatient: [0, k, 0] }));
  const scout = inst('scout', { imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'], seriesInstanceUid: '1.2.9', seriesNumber: 1 });
  const sr = inst('report', { modality: 'SR', sopClassUid: '1.2.840.10008.5.1.4.1.1.88.22', hasPixelData: false, seriesInstanceUid: '1.2.8', seriesNumber: 8 });
  const big = [0, 1, 2, 3, 4, 5, 6].map((k) => inst(`mr${k}`, { modality: 'MR', seriesInstanceUid: '1.2.7', seriesNumber: 7, imagePositionPatient: [0, 0, k] }));
  const groups = groupSeries([...coronal, scout, ...axial, sr, ...big]);

  it('splits a series mixing orientations, lists localizers and SR without stacking them', () => {
    const parts = groups.filter((g) => g.summary.split);
    expect(parts.map((g) => g.summary.uid)).toEqual(['1.2.3#1', '1.2.3#2']);
    expect(parts[0]!.summary.frames).toBe(5);
    expect(parts[0]!.summary.split!.reason).toBe('orientations');
    expect(groups.find((g) => g.summary.uid === '1.2.9')!.summary.kind).toBe('localizer');
    expect(groups.find((g) => g.summary.uid === '1.2.8')!.summary.kind).toBe('structured-report');
    expect(groups.filter((g) => g.summary.volume)).toHaveLength(3);
  });

  it('defaults to the largest axial CT (not the larger MR); selects by uid, part uid or number', () => {
    expect(chooseSeries(groups)!.summary.uid).toBe('1.2.3#1');
    expect(chooseSeries(groups, '1.2.3')!.summary.uid).toBe('1.2.3#1');
    expect(chooseSeries(groups, '1.2.3#2')!.summary.uid).toBe('1.2.3#2');
    expect(chooseSeries(groups, '7')!.summary.uid).toBe('1.2.7');
    expect(() => chooseSeries(groups, '99')).toThrow(/matches no image series/);
    expect(() => chooseSeries(groups, '1')).toThrow(/localizer/);
  });

  it('reports MIXED_SERIES, DUPLICATE_SLICES and MISSING_SLICES from geometry', () => {
    const zs = [0, 1, 2, 2, 3, 5, 6]; // a duplicate at 2, a gap 3 → 5
    const g = analyseStack([1, 0, 0, 0, 1, 0], [1, 1], 4, 4, zs.map((z, i) => ({ instance: i, frame: 0, position: [0, 0, z] as Vec3 })));
    const chosen = groups.find((x) => x.summary.uid === '1.2.3#1')!.summary;
    const f = seriesFindings({ geometry: g, chosen, instances: zs.map((_, i) => inst(`f${i}`)), outputStep_mm: 1 });
    const c = f.map((x) => x.code);
    expect(c).toEqual(expect.arrayContaining(['MIXED_SERIES', 'DUPLICATE_SLICES', 'MISSING_SLICES', 'FEW_SLICES']));
    expect(c).not.toContain('UNEVEN_SPACING');
    expect(f.find((x) => x.code === 'DUPLICATE_SLICES')!.files).toEqual(['f3']);
    expect(f.find((x) => x.code === 'MISSING_SLICES')!.files).toEqual(['f4']);
  });
});

describe('THICK_SLICES', () => {
  const chosen = groupSeries([inst('a')])[0]!.summary;
  const finding = (step: number) => {
    const zs = Array.from({ length: 12 }, (_, i) => i * step);
    const g = analyseStack([1, 0, 0, 0, 1, 0], [0.5, 0.5], 4, 4, zs.map((z, i) => ({ instance: i, frame: 0, position: [0, 0, z] as Vec3 })));
    return seriesFindings({ geometry: g, chosen, instances: zs.map((_, i) => inst(`f${i}`)), outputStep_mm: step }).find((x) => x.code === 'THICK_SLICES');
  };
  it('says from 3 mm slice steps what they do to bone thinner than the step, with the measured range', () => {
    expect(finding(1)).toBeUndefined();
    expect(finding(2)!.message).toMatch(/^slice step 2\.00 mm \(median\) is above 1 mm .*limited$/);
    expect(finding(4)!.message).toMatch(/slice step 4\.00 mm .*bone thinner than the slice step .*0\.4 mm thinner to 1\.3 mm thicker/);
  });
});

describe('analyseStack uniformity', () => {
  it('a slow drift of steps that each look uniform is still uneven', () => {
    const zs: number[] = [0];
    for (let k = 1; k < 80; k++) zs.push(zs[k - 1]! + (k < 40 ? 1.0 : 1.015));
    const g = analyseStack([1, 0, 0, 0, 1, 0], [1, 1], 4, 4, zs.map((z, i) => ({ instance: i, frame: 0, position: [0, 0, z] as Vec3 })));
    expect(g.maxPositionResidual_mm).toBeGreaterThan(0.2);
    expect(g.uniform).toBe(false);
    const even = analyseStack([1, 0, 0, 0, 1, 0], [1, 1], 4, 4, zs.map((_, i) => ({ instance: i, frame: 0, position: [0, 0, i * 1.25 + (i % 2) * 0.001] as Vec3 })));
    expect(even.uniform).toBe(true);
  });
});

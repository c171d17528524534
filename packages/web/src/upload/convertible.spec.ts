import { describe, expect, it } from 'vitest';
import type { SeriesView } from './messages.js';
import { whyNotConvertible } from './convertible.js';
import { mm } from './format.js';

const series = (over: Partial<SeriesView>): SeriesView => ({
  index: 0, number: 1, modality: 'CT', description: null, orientation: 'axial', kind: 'image', volume: true, files: 120,
  slices: 120, spacing_mm: [0.5, 0.5, 1], tiltDegrees: 0, thumbnails: null, findings: [], error: null, ...over,
});
const fewSlices = { code: 'FEW_SLICES', severity: 'error' as const, message: 'only 1 slice(s): a 3D model needs at least 3 (--force builds one anyway and records it)' };

describe('whyNotConvertible', () => {
  it('a drop with one usable series sends, whatever its scouts say', () => {
    expect(whyNotConvertible([series({})])).toBeNull();
    expect(whyNotConvertible([series({ index: 0, slices: 1, findings: [fewSlices] }), series({ index: 1 })])).toBeNull();
    // warnings do not block
    expect(whyNotConvertible([series({ findings: [{ code: 'THICK_SLICES', severity: 'warn', message: 'thick' }] })])).toBeNull();
  });

  it('when every series is unusable, the first reason, without CLI advice', () => {
    expect(whyNotConvertible([series({ slices: 1, findings: [fewSlices] })])).toBe('only 1 slice(s): a 3D model needs at least 3');
    expect(whyNotConvertible([series({ volume: false, kind: 'structured report' })])).toBe('series 1 is not an image stack (structured report)');
    expect(whyNotConvertible([series({ error: 'rows differ between slices' }), series({ index: 1, findings: [fewSlices] })])).toBe('rows differ between slices');
    expect(whyNotConvertible([])).toBe('no DICOM image series among these files');
  });

  it('a single slice has no step between slices: shown as a dash, not NaN', () => {
    expect(mm(Number.NaN)).toBe('—');
    expect(mm(0.488)).toBe('0.488');
    expect(mm(1.25)).toBe('1.25');
  });
});

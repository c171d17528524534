/**
 * The blur estimate on a real thick-slice scan: ct/ge-head-tilt-variable-spacing (0.49 mm pixels,
 * 28 slices 4 mm thick, 1.1–7 mm apart, resampled on import to 1.08 mm). Its in-plane blur,
 * measured outside scan2print as the 25–75 % widths of thick bone edges along the DICOM rows
 * (pydicom), is σ ≈ 0.8 mm (median 0.81, lower quartile 0.63). Edge placement read 2.0 mm
 * in-plane until 2026-12-04: one profile length for all directions (set by the slice axis),
 * least squares of σ² led by the profiles leaning toward the slice axis, and an outlier cut at
 * ¼–4× of the global median that dropped the narrow half of the in-plane profiles.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../../../test/data.js';
import { seriesSources } from '../../../../../test/series.js';
import { importSeries } from '../../dicom/import.js';
import type { Mesh, Volume } from '../../geometry/types.js';
import { extractSurface } from '../isosurface/index.js';
import { placeVertices } from './place.js';

let volume: Volume;
let mesh: Mesh;

beforeAll(async () => {
  volume = (await importSeries(seriesSources(dataPath('ct/ge-head-tilt-variable-spacing')))).output.volume;
  const data = new Uint8Array(volume.data.length);
  for (let v = 0; v < data.length; v++) data[v] = volume.data[v]! >= 226 ? 1 : 0;
  mesh = (await extractSurface({ grid: volume.grid, data }, { field: volume, level: 226 })).output;
});

describe('edge placement’s blur estimate on a real thick-slice head (GE, 4 mm slices)', () => {
  it('reads the in-plane blur near the rows’ own widths, and the slice axis far wider', () => {
    const { record } = placeVertices(mesh, volume);
    const [sx, sy, sz] = record.figures!.blur_sigma_mm as number[];
    expect(volume.grid.spacing_mm[0]).toBeLessThan(0.5);
    for (const s of [sx!, sy!]) {
      expect(s).toBeGreaterThan(0.5);
      expect(s).toBeLessThan(1.1); // 2.0 before; now 0.72 and 1.03
    }
    expect(sz!).toBeGreaterThan(1.8);
    expect(sz!).toBeGreaterThan(2 * Math.max(sx!, sy!));
  });
});

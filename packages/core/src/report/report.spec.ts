import { describe, expect, it } from 'vitest';
import { unzlibSync } from 'fflate';
import { encodePng } from './png.js';
import { renderMesh } from './render-mesh.js';
import { renderSlice } from './slices.js';
import { assembleReport } from './assemble.js';
import { renderReportHtml } from './html.js';
import type { Grid } from '../geometry/grid.js';
import type { Mesh } from '../geometry/types.js';

function octahedron(r: number, cx = 0, cy = 0, cz = 0): Mesh {
  const positions = new Float32Array([cx + r, cy, cz, cx - r, cy, cz, cx, cy + r, cz, cx, cy - r, cz, cx, cy, cz + r, cx, cy, cz - r]);
  // CCW seen from outside
  const indices = new Uint32Array([0, 2, 4, 2, 1, 4, 1, 3, 4, 3, 0, 4, 2, 0, 5, 1, 2, 5, 3, 1, 5, 0, 3, 5]);
  return { positions, indices };
}

describe('report images', () => {
  it('encodes a PNG whose chunks check out and whose pixels inflate back exactly', () => {
    const rgb = new Uint8Array(3 * 4 * 2).map((_, i) => (i * 37) & 255);
    const png = encodePng({ width: 4, height: 2, rgb });
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const dv = new DataView(png.buffer, png.byteOffset);
    expect(dv.getUint32(16)).toBe(4);
    expect(dv.getUint32(20)).toBe(2);
    const idatLen = dv.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe('IDAT');
    const raw = unzlibSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe(2 * (1 + 12));
    expect([...raw.subarray(1, 13)]).toEqual([...rgb.subarray(0, 12)]);
    expect(encodePng({ width: 4, height: 2, rgb })).toEqual(png); // deterministic
  });

  it('renders a mesh: object in the middle, background in the corners, front faces lit', () => {
    const img = renderMesh(octahedron(10), 'anterior', 64);
    const at = (x: number, y: number) => [...img.rgb.subarray(3 * (y * 64 + x), 3 * (y * 64 + x) + 3)];
    expect(at(0, 0)).toEqual([250, 250, 250]);
    const centre = at(32, 32);
    expect(centre).not.toEqual([250, 250, 250]);
    expect(centre[0]! > centre[2]!).toBe(true); // bone colour, not the back-face tint check below
    // reversed winding shows as back faces (reddish), which is how holes/flips become visible
    const flipped = octahedron(10);
    for (let t = 0; t < flipped.indices.length; t += 3) [flipped.indices[t + 1], flipped.indices[t + 2]] = [flipped.indices[t + 2]!, flipped.indices[t + 1]!];
    const bad = renderMesh(flipped, 'anterior', 64);
    expect(bad.rgb[3 * (32 * 64 + 32) + 1]! < img.rgb[3 * (32 * 64 + 32) + 1]!).toBe(true);
  });

  it('draws the segmentation contour on a slice with square millimetre pixels', () => {
    const grid: Grid = { dims: [40, 20, 10], spacing_mm: [0.5, 1, 2], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const n = 40 * 20 * 10;
    const data = new Float32Array(n).fill(-1000);
    const lab = new Uint8Array(n);
    for (let k = 2; k < 8; k++) for (let j = 5; j < 15; j++) for (let i = 10; i < 30; i++) { data[i + j * 40 + k * 800] = 1000; lab[i + j * 40 + k * 800] = 1; }
    const img = renderSlice({ grid, data }, { grid, data: lab }, 'axial', { maxSize: 40 });
    expect(img.width).toBe(40); // 20 mm wide
    expect(img.height).toBe(40); // 20 mm tall
    let red = 0;
    for (let p = 0; p < img.width * img.height; p++) if (img.rgb[3 * p] === 255 && img.rgb[3 * p + 1] === 40) red++;
    expect(red).toBeGreaterThan(20);
    const cor = renderSlice({ grid, data }, { grid, data: lab }, 'coronal', { maxSize: 40 });
    expect(cor.height).toBe(Math.round((20 / 20) * 40)); // 20 mm (10 × 2 mm) over 20 mm wide
  });
});

describe('report assembly', () => {
  it('derives every section from stage records and validates against the schema', () => {
    const report = assembleReport({
      generatedAt: '2026-01-01T00:00:00Z',
      records: [
        { stage: 'request', method: 'convert', params: { purpose: 'mandible plan', tissue: 'bone', force: false }, figures: {} },
        { stage: 'environment', method: 'software', params: {}, figures: { version: '0.1.0', libraries: { fflate: '0.8.3' } } },
        { stage: 'input', method: 'read-files', params: {}, figures: { files: 3, skippedFiles: 1, sha256: 'ab'.repeat(32) } },
        { stage: 'import', method: 'dicom', params: {}, figures: { dims: [2, 2, 3], spacing_mm: [1, 1, 1], tiltDegrees: 0, acquisition: { manufacturer: 'ACME', kvp: 120 } } },
        { stage: 'assess', method: 'rules', params: {}, figures: {}, findings: [{ code: 'THICK_SLICES', severity: 'warn', message: 'step 2 mm' }] },
        { stage: 'segment', method: 'auto-threshold', params: {}, figures: { peak_HU: 40, threshold_HU: 300 } },
      ],
      models: [
        {
          name: 'bone',
          records: [
            { stage: 'segment', method: 'threshold', params: {}, figures: { threshold: 300 } },
            { stage: 'surface', method: 'flying-edges', params: {}, figures: {} },
            { stage: 'gate', method: 'checks', params: {}, figures: { closed: true, manifold: true } },
            { stage: 'export', method: '3mf', params: { format: '3mf' }, figures: { file: 'm.3mf', bytes: 10, sha256: 'cd'.repeat(32) } },
          ],
        },
      ],
    });
    expect(report.request.purpose).toBe('mandible plan');
    expect(report.acquisition.manufacturer).toBe('ACME');
    expect(report.acquisition.kvp).toBe(120);
    expect(report.findings.map((f) => f.code)).toEqual(['THICK_SLICES']);
    expect(report.segmentation.map((r) => r.method)).toEqual(['auto-threshold', 'threshold']);
    expect(report.reconstruction.map((r) => r.stage)).toEqual(['surface', 'gate']);
    expect(report.models[0]!.threshold).toBe(300);
    expect(report.models[0]!.outputs[0]!.sha256).toBe('cd'.repeat(32));
    const html = renderReportHtml(report, { slices: [], models: [] });
    expect(html).toContain('mandible plan');
    expect(html).toContain('THICK_SLICES');
    expect(html).not.toContain('<script');
  });
});

import { describe, expect, it } from 'vitest';
import type { Grid } from '../geometry/grid.js';
import { assessVolume } from './assess.js';

const grid = (n: number): Grid => ({ dims: [n, n, n], spacing_mm: [1, 1, 1], origin_mm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });

/** A synthetic CT-like phantom: air, a fat shell, soft tissue, optional bone/metal. */
function phantom(opts: { boneAtEdge?: boolean; metal?: boolean } = {}) {
  const n = 48, data = new Int16Array(n * n * n);
  let s = 1;
  const noise = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) % 21) - 10;
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const r = Math.hypot(i - 24, j - 24);
    let v = r < 14 ? 40 : r < 18 ? -100 : -1000;
    if (opts.boneAtEdge && i === 0 && j > 20 && j < 30) v = 1200;
    if (opts.metal && r < 2 && k > 20 && k < 30) v = 8000;
    data[i + j * n + k * n * n] = v + noise();
  }
  return { grid: grid(n), data };
}

describe('assessVolume (synthetic)', () => {
  it('a clean CT-like volume: no findings, peaks found', () => {
    const a = assessVolume({ volume: phantom(), modality: 'CT' });
    expect(a.record.findings).toEqual([]);
    expect(a.output.peaks.air.present && a.output.peaks.fat.present && a.output.peaks.softTissue.present).toBe(true);
  });
  it('METAL and TRUNCATED_FOV', () => {
    const codes = assessVolume({ volume: phantom({ boneAtEdge: true, metal: true }) }).record.findings!.map((f) => `${f.code}:${f.severity}`);
    expect(codes).toEqual(expect.arrayContaining(['METAL:warn', 'TRUNCATED_FOV:warn']));
  });
  it('NOT_CT for a histogram without tissue peaks, and for a non-CT modality', () => {
    const v = phantom();
    const flat = { grid: v.grid, data: Float32Array.from(v.data, (_, p) => ((p * 7919) % 4000) - 1000) };
    expect(assessVolume({ volume: flat }).record.findings!.map((f) => f.code)).toContain('NOT_CT');
    expect(assessVolume({ volume: v, modality: 'MR' }).record.findings!.map((f) => f.code)).toContain('NOT_CT');
  });
  it('NOT_HU for unrescaled values (air near 0)', () => {
    const v = phantom();
    const raw = { grid: v.grid, data: Int16Array.from(v.data, (x) => x + 1024) };
    const f = assessVolume({ volume: raw }).record.findings!;
    expect(f.map((x) => x.code)).toEqual(['NOT_HU']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan2printAsync } from '../../../../test/cli.js';

const work = mkdtempSync(join(tmpdir(), 's2p-validate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scan2print validate', () => {
  it('runs all phantoms through the convert pipeline and reports volume, distance and wall figures', async () => {
    const r = await runScan2printAsync(['validate', '--voxel', '1,1,1', '--noise', '20', '--json']);
    expect(r.code).toBe(0);
    type M = { volumeErrorPercent: number; surfaceDistance: { p95_mm: number; mean_mm: number }; wallThickness: { error_mm: number } | null };
    const out = JSON.parse(r.stdout) as { results: Array<{ phantom: { kind: string }; pass: boolean; measures: M; sideBySide: { placement: string; measures: M } }> };
    expect(out.results.map((x) => x.phantom.kind)).toEqual(['sphere', 'shell', 'plate']);
    for (const x of out.results) {
      expect(x.pass).toBe(true);
      expect(Math.abs(x.measures.volumeErrorPercent)).toBeLessThan(2);
      expect(x.measures.surfaceDistance.p95_mm).toBeLessThan(0.5);
      // the default path (edge placement) and the threshold's iso-surface side by side: the latter sits outward
      expect(x.sideBySide.placement).toBe('threshold');
      expect(x.sideBySide.measures.surfaceDistance.mean_mm).toBeGreaterThan(2 * x.measures.surfaceDistance.mean_mm);
    }
    expect(Math.abs(out.results[1]!.measures.wallThickness!.error_mm)).toBeLessThan(0.25);
  });

  it('exits 1 when a phantom is outside tolerance, and 2 on bad usage', async () => {
    // 4 mm voxels cannot hold a 3 mm plate: the calibration must say so
    const r = await runScan2printAsync(['validate', '--phantom', 'plate', '--voxel', '4,4,4', '--noise', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL/);
    expect((await runScan2printAsync(['validate', '--phantom', 'cube'])).code).toBe(2);
    expect((await runScan2printAsync(['validate', '--phantom', 'plate', '--placement', 'iso'])).code).toBe(2);
    expect((await runScan2printAsync(['validate', '--phantom', 'plate', '--thickness', '50'])).code).toBe(2);
  });

  it('prints the default path and the threshold rule side by side for a chosen phantom', async () => {
    const r = await runScan2printAsync(['validate', '--phantom', 'plate', '--thickness', '1.5', '--plate-tilt', '30', '--voxel', '0.8,0.8,1.25', '--noise', '15']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/plate 1\.5 mm tilt 30°\s+edge\s+\d+ HU/);
    expect(r.stdout).toMatch(/\n\s+threshold\s+\d+ HU/);
  });
});

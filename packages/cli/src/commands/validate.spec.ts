import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan2printAsync } from '../../../../test/cli.js';

const work = mkdtempSync(join(tmpdir(), 's2p-validate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scan2print validate', () => {
  it('runs all phantoms through the convert pipeline and reports volume, distance and wall figures', async () => {
    const r = await runScan2printAsync(['validate', '--voxel', '1,1,1', '--noise', '20', '--smooth-method', 'taubin', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: Array<{ phantom: { kind: string }; pass: boolean; measures: { volumeErrorPercent: number; surfaceDistance: { p95_mm: number }; wallThickness: { error_mm: number } | null } }> };
    expect(out.results.map((x) => x.phantom.kind)).toEqual(['sphere', 'shell', 'plate']);
    for (const x of out.results) {
      expect(x.pass).toBe(true);
      expect(Math.abs(x.measures.volumeErrorPercent)).toBeLessThan(2);
      expect(x.measures.surfaceDistance.p95_mm).toBeLessThan(0.5);
    }
    expect(Math.abs(out.results[1]!.measures.wallThickness!.error_mm)).toBeLessThan(0.25);
  });

  it('exits 1 when a phantom is outside tolerance, and 2 on bad usage', async () => {
    // 4 mm voxels cannot hold a 3 mm plate: the calibration must say so
    const r = await runScan2printAsync(['validate', '--phantom', 'plate', '--voxel', '4,4,4', '--noise', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL/);
    expect((await runScan2printAsync(['validate', '--phantom', 'cube'])).code).toBe(2);
  });
});

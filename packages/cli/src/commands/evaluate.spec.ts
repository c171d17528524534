import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateSegmentation, readNiftiLabels, writeNifti, type LabelMap } from '@scan2print/core';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';

const SEG = dataPath('labelled/totalsegmentator/example_seg_fast_force_split.nii.gz');
const BONE = '25-50,69-78,91-116';
const KEYS = ['dice', 'jaccard', 'sensitivity', 'precision', 'volumeDiffPercent', 'hausdorff_mm', 'hausdorff95_mm', 'assd_mm'];

describe('scan2print evaluate (built binary)', () => {
  let dir: string;
  let shifted: string;
  let seg: LabelMap;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 's2p-eval-'));
    seg = readNiftiLabels(new Uint8Array(readFileSync(SEG)), SEG);
    // the same labels moved one voxel (3 mm) along i, on the same grid; no bone lies in
    // the last column, so nothing leaves the grid and every boundary voxel has its twin
    // exactly 3 mm away: the Hausdorff distance is 3 mm exactly.
    const nx = seg.grid.dims[0];
    const data = new Uint8Array(seg.data.length);
    for (let p = 0; p < seg.data.length; p++) if (p % nx !== nx - 1) data[p + 1] = seg.data[p]!;
    shifted = join(dir, 'shifted.nii.gz');
    writeFileSync(shifted, writeNifti({ grid: seg.grid, data }, { gzip: true }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives Dice 1 and zero distances for the bone labels against themselves', async () => {
    const r = await runScan2print(['evaluate', '--ref', SEG, '--ref-labels', BONE, '--seg', SEG, '--seg-labels', BONE, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of KEYS) expect(j).toHaveProperty(k);
    expect(j.dice).toBe(1);
    expect(j.jaccard).toBe(1);
    expect(j.volumeDiffPercent).toBe(0);
    expect(j.hausdorff_mm).toBe(0);
    expect(j.hausdorff95_mm).toBe(0);
    expect(j.assd_mm).toBe(0);
  });

  it('measures a one-voxel (3 mm) shift along i: Hausdorff 3 mm, Dice from the overlap count', async () => {
    const r = await runScan2print(['evaluate', '--ref', SEG, '--ref-labels', BONE, '--seg', shifted, '--seg-labels', BONE, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, number>;
    // independent overlap count
    const bone = new Uint8Array(256);
    for (const [a, b] of [[25, 50], [69, 78], [91, 116]]) for (let v = a!; v <= b!; v++) bone[v] = 1;
    const nx = seg.grid.dims[0];
    let n = 0, tp = 0, lastColumn = 0;
    for (let p = 0; p < seg.data.length; p++) {
      if (!bone[seg.data[p]!]) continue;
      n++;
      if (p % nx === nx - 1) lastColumn++;
      if (p % nx !== 0 && bone[seg.data[p - 1]!]) tp++;
    }
    expect(lastColumn).toBe(0);
    expect(j.dice).toBeCloseTo((2 * tp) / (2 * n), 4);
    expect(j.dice).toBeLessThan(0.95);
    expect(j.hausdorff_mm).toBeCloseTo(3, 3);
    expect(j.hausdorff95_mm).toBeGreaterThan(0);
    expect(j.hausdorff95_mm).toBeLessThanOrEqual(3.0001);
    expect(j.assd_mm).toBeGreaterThan(0.1);
    expect(j.assd_mm).toBeLessThan(3);
    // the readable table carries the same numbers
    const t = await runScan2print(['evaluate', '--ref', SEG, '--ref-labels', BONE, '--seg', shifted, '--seg-labels', BONE]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`Dice\\s+${j.dice!.toFixed(4)}`));
    expect(t.stdout).toMatch(/Hausdorff \(max\)\s+3\.000 mm/);
  });

  it('runs the distance transforms on worker threads for a 512×512×20 map, with the same numbers as in-process', async () => {
    const file = dataPath('labelled/totalsegmentator/example_seg_dicom.nii.gz');
    const big = readNiftiLabels(new Uint8Array(readFileSync(file)), file);
    const nx = big.grid.dims[0];
    const data = new Uint8Array(big.data.length);
    for (let p = 0; p < big.data.length; p++) if (p % nx !== nx - 1) data[p + 1] = big.data[p]!;
    const moved = join(dir, 'moved.nii.gz');
    writeFileSync(moved, writeNifti({ grid: big.grid, data }, { gzip: true }));
    const r = await runScan2print(['evaluate', '--ref', file, '--seg', moved, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { record: { figures: { edt_on_worker_pool: boolean } } };
    expect(j.record.figures.edt_on_worker_pool).toBe(true);
    const local = evaluateSegmentation(big, { grid: big.grid, data });
    for (const k of KEYS) expect(j[k]).toBe((local.output as unknown as Record<string, number>)[k]);
    expect(local.output.hausdorff_mm!).toBeGreaterThan(0.9);
  });

  it('reads DICOM SEG as well: the dcmqi liver SEG against itself', async () => {
    const liver = dataPath('hardcases/dcmqi-seg/liver.dcm');
    const r = await runScan2print(['evaluate', '--ref', liver, '--seg', liver, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { dice: number; assd_mm: number; record: { figures: { ref_voxels: number } } };
    expect(j.dice).toBe(1);
    expect(j.assd_mm).toBe(0);
    expect(j.record.figures.ref_voxels).toBeGreaterThan(1000);
  });

  it('exits 3 naming a missing file and 2 on a bad label range', async () => {
    const missing = join(dir, 'none.nii.gz');
    const a = await runScan2print(['evaluate', '--ref', SEG, '--seg', missing]);
    expect(a.code).toBe(3);
    expect(a.stderr).toContain(`${missing}: no such file`);
    const b = await runScan2print(['evaluate', '--ref', SEG, '--seg', SEG, '--seg-labels', '1-x']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--seg-labels');
  });
});

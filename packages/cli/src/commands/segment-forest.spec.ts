/**
 * `segment --method forest`: the CLI loads the bone forest shipped in packages/core/models and
 * runs it as a segmentation method. example_ct.nii.gz is one of the two scans that model was
 * trained on, so the Dice here checks the wiring (model found, labels are bone groups, the
 * graph names them on the right side), not how the forest generalises: that is
 * core/segment/forest/forest-dice.spec.ts, with each scan scored by the model trained on the other.
 * Measured when written: Dice 0.965; 9 structures named, femur_left at +x.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';

const TS = 'labelled/totalsegmentator';
const BONE = '25-50,69-78,91-116';

interface Structure { name: string; side: string | null; bbox_mm: number[] }

describe('segment --method forest (the shipped model)', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2p-forest-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('labels bone groups that the graph names, left at +x, and scores like the model’s training fit', async () => {
    const out = join(dir, 'forest.nii.gz');
    const seg = await runScan2print(['segment', dataPath(TS, 'example_ct.nii.gz'), '--method', 'forest', '-o', out, '--json']);
    expect(seg.code, seg.stderr).toBe(0);
    const j = JSON.parse(seg.stdout) as { records: Array<{ method: string; findings?: Array<{ code: string }> }>; anatomy: { structures: Structure[] } };
    expect(j.records.slice(0, 2).map((r) => r.method)).toEqual(['hu-histogram-and-borders', 'forest']);
    // Its own training scan: the forest's bone agrees with the bone preset's (no warning).
    expect(j.records[1]!.findings ?? []).toEqual([]);
    const names = j.anatomy.structures.map((s) => s.name);
    for (const n of ['lumbar_spine', 'hip_left', 'hip_right', 'femur_left', 'femur_right']) expect(names).toContain(n);
    // LPS: +x is the patient's left. bbox_mm = [x0, y0, z0, x1, y1, z1].
    const cx = (n: string) => { const b = j.anatomy.structures.find((s) => s.name === n)!.bbox_mm; return (b[0]! + b[3]!) / 2; };
    expect(cx('femur_left')).toBeGreaterThan(cx('femur_right'));
    expect(cx('hip_left')).toBeGreaterThan(cx('hip_right'));
    const ev = await runScan2print(['evaluate', '--ref', dataPath(TS, 'example_seg_fast_force_split.nii.gz'), '--ref-labels', BONE, '--seg', out, '--json']);
    expect(ev.code, ev.stderr).toBe(0);
    expect((JSON.parse(ev.stdout) as { dice: number }).dice).toBeGreaterThan(0.93);
  }, 300_000);

  it('refuses an unknown method (listing the known ones) and a method given with a threshold', async () => {
    const out = join(dir, 'x.nii.gz');
    const bad = await runScan2print(['segment', dataPath(TS, 'example_ct.nii.gz'), '--method', 'nope', '-o', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown segmentation method "nope".*forest/);
    const both = await runScan2print(['segment', dataPath(TS, 'example_ct.nii.gz'), '--method', 'forest', '--threshold', '300', '-o', out]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--method replaces');
  });

  it('says so when the forest labels far less bone than the bone preset (a head: anatomy it was not trained on)', async () => {
    const slab = join(dir, 'head-slab');
    mkdirSync(slab);
    const series = dataPath('ct/philips-head-phantom-1mm');
    for (let n = 590; n <= 780; n += 10) copyFileSync(join(series, `I${n}`), join(slab, `I${n}`));
    const r = await runScan2print(['segment', slab, '--method', 'forest', '-o', join(dir, 'head.nii.gz'), '--json', '--no-anatomy']);
    expect(r.code, r.stderr).toBe(0);
    const forest = (JSON.parse(r.stdout) as { records: Array<{ method: string; findings?: Array<{ code: string; severity: string; message: string }> }> }).records.find((x) => x.method === 'forest')!;
    expect(forest.findings).toEqual([expect.objectContaining({ code: 'FOREST_DISAGREES', severity: 'warn' })]);
    expect(forest.findings![0]!.message).toMatch(/labelled \d+(\.\d)? % as many voxels as bone as the bone preset \(226 HU and up\)/);
  });
});

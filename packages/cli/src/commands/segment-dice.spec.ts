/**
 * Bone Dice against TotalSegmentator as a user measures it: `segment … --threshold auto
 * --fill-holes --remove-table`, then `evaluate --ref … --ref-labels <bone ids>`; and the
 * default `convert` segmentation of example_ct.nii.gz (convert reads DICOM only, so its
 * segmentation options run in-process on the NIfTI volume, as core's convert job does).
 *
 * Measured when written (issue 8 §3): --fill-holes now fills the marrow too for a bone
 * threshold (segment-args.ts), and the automatic threshold's clean-up drops faint
 * components (segment/faint-components.ts). example_ct_dicom 0.6546 → 0.7100 (0.6968
 * marrow alone, 0.6677 faint alone); example_ct.nii.gz 0.7993 → 0.8787 (target 0.80
 * met); the default convert 0.8778 → 0.8787. example_ct_dicom stays under the 0.80
 * target: it is contrast-enhanced, and its aorta (≈ 160 HU, calcified wall) touches the
 * spine (one component); and the reference is tighter than any threshold (at 300 HU,
 * 5.8k of 13.3k false-positive voxels lie within 1 mm of reference bone). Removing every
 * false positive farther than 3 mm from reference bone would give only 0.80. A step that
 * took thick faint regions lying in soft tissue (the aorta) reached 0.7310–0.7327, but
 * its soft-shell measure (aorta 0.41–0.52, cancellous regions 0.24–0.56 depending on the
 * smoothing) could not tell enhanced blood from bone safely, so it is not in the pipeline.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateSegmentation, readNifti, readNiftiLabels, runSegmentation } from '@scan2print/core';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';
import { convertSegmentation } from './convert.js';

const TS = 'labelled/totalsegmentator';
const BONE = '25-50,69-78,91-116';

describe('bone Dice against TotalSegmentator (built binary)', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2p-dice-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  interface DiceRun {
    dice: number;
    removedFraction: number;
    methods: string[];
    faint: Record<string, number>;
  }

  async function diceOf(input: string, ref: string, extra: string[] = []): Promise<DiceRun> {
    const out = join(dir, `${input.replace(/\W/g, '_')}${extra.join('')}.nii.gz`);
    const seg = await runScan2print(['segment', dataPath(TS, input), '--threshold', 'auto', '--fill-holes', '--remove-table', ...extra, '-o', out, '--json']);
    expect(seg.code).toBe(0);
    const records = (JSON.parse(seg.stdout) as { records: Array<{ method: string; figures: Record<string, number> }> }).records;
    const ev = await runScan2print(['evaluate', '--ref', dataPath(TS, ref), '--ref-labels', BONE, '--seg', out, '--json']);
    expect(ev.code).toBe(0);
    return {
      dice: (JSON.parse(ev.stdout) as { dice: number }).dice,
      removedFraction: records.find((r) => r.method === 'remove-table')!.figures.removedFraction!,
      methods: records.map((r) => r.method),
      faint: records.find((r) => r.method === 'faint-components')?.figures ?? {},
    };
  }

  // Not the 0.80 target: the measured floor (0.7100), see the header.
  it('example_ct_dicom (20 slices, contrast, arms cut by the field of view): ≥ 0.70, was 0.65', async () => {
    const r = await diceOf('example_ct_dicom', 'example_seg_dicom.nii.gz');
    expect(r.dice).toBeGreaterThanOrEqual(0.7);
    // What goes is the table (about a third of a 142 HU mask here), not the arms (47 % before).
    expect(r.removedFraction).toBeLessThan(0.4);
    // Enhanced portal vein, liver, stomach: 358 faint components, 3.5 % of the mask.
    expect(r.faint.componentsRemoved).toBeGreaterThan(100);
    expect(r.faint.removedFraction).toBeGreaterThan(0.02);
    expect(r.methods).toContain('marrow-fill');
  });

  it('example_ct.nii.gz with the same flags: ≥ 0.80 (the target; 0.8787 measured)', async () => {
    const r = await diceOf('example_ct.nii.gz', 'example_seg_fast_force_split.nii.gz');
    expect(r.dice).toBeGreaterThanOrEqual(0.87);
    expect(r.removedFraction).toBeLessThan(0.01);
    expect(r.faint.removedFraction).toBeLessThan(0.005);
  });

  // The two steps off give the figures before them (0.6546 / 0.7993): each step is what
  // moved the Dice, and both can be turned off.
  it('--keep-faint --no-fill-marrow: the threshold shell as before (example_ct_dicom < 0.67)', async () => {
    const r = await diceOf('example_ct_dicom', 'example_seg_dicom.nii.gz', ['--keep-faint', '--no-fill-marrow']);
    expect(r.dice).toBeLessThan(0.67);
    expect(r.methods).not.toContain('faint-components');
    expect(r.methods).not.toContain('marrow-fill');
  });

  // With the marrow fill and the faint components on by default for bone (0.7927 without the fill).
  it('example_ct.nii.gz, the default convert segmentation: ≥ 0.85', async () => {
    const p = dataPath(TS, 'example_ct.nii.gz');
    const volume = readNifti(new Uint8Array(readFileSync(p)), p).volume;
    const opts = convertSegmentation({ output: [], tissue: 'bone' } as unknown as Parameters<typeof convertSegmentation>[0]);
    const res = await runSegmentation(volume, { ...opts, preprocess: {} });
    const refPath = dataPath(TS, 'example_seg_fast_force_split.nii.gz');
    const ref = readNiftiLabels(new Uint8Array(readFileSync(refPath)), refPath);
    const m = evaluateSegmentation(ref, res.output.labels[0]!, { refLabels: BONE }).output;
    expect(res.records.map((r) => r.method)).toContain('remove-table');
    expect(res.records.map((r) => r.method)).toContain('marrow-fill');
    expect(res.records.map((r) => r.method)).toContain('faint-components');
    expect(m.dice!).toBeGreaterThanOrEqual(0.85);
  });

  it('convert fills marrow only for bone, and not with --no-fill-marrow', () => {
    const opts = (o: Record<string, unknown>) => convertSegmentation({ output: [], tissue: 'bone', ...o } as unknown as Parameters<typeof convertSegmentation>[0]).cleanup;
    expect(opts({})?.fillMarrow).toBe(true);
    expect(opts({ fillMarrow: false })?.fillMarrow).toBeUndefined();
    expect(opts({ tissue: 'vessels' })?.fillMarrow).toBeUndefined();
    // Faint components go with the automatic threshold (it measures the noise).
    expect(opts({})?.rejectFaint).toBe(true);
    expect(opts({ threshold: ['300'] })?.rejectFaint).toBeUndefined();
  });
});

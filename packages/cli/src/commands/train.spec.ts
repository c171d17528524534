/**
 * `scan2print train` as a user runs it (built binary): a tiny training run (2 trees of
 * depth 4, 100 voxels per group) on example_ct.nii.gz is byte-identical for the same seed
 * and differs for another; the record names what it was trained on; bad input is refused
 * naming the file and the problem.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeForest } from '@scan2print/core';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';

const TS = 'labelled/totalsegmentator';
const dir = mkdtempSync(join(tmpdir(), 's2p-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const groupsFile = join(dir, 'groups.json');
writeFileSync(groupsFile, JSON.stringify({ femur_left: ['femur_left'], femur_right: ['femur_right'], spine: ['vertebrae_L1', 'vertebrae_L2', 'vertebrae_L3', 'vertebrae_L4', 'vertebrae_L5'] }));
const ct = () => dataPath(TS, 'example_ct.nii.gz');
const seg = () => dataPath(TS, 'example_seg_fast_force_split.nii.gz');
const tiny = ['--trees', '2', '--depth', '4', '--samples-per-group', '100', '--workers', '0', '-q'];

describe('scan2print train', () => {
  it('same seed → same bytes (also from another folder); another seed → other bytes; the record names the training data', async () => {
    // b reads the same files through another path: the model must not depend on where they lie.
    const other = join(dir, 'other');
    mkdirSync(other);
    symlinkSync(ct(), join(other, 'example_ct.nii.gz'));
    symlinkSync(seg(), join(other, 'example_seg_fast_force_split.nii.gz'));
    const run = (out: string, seed: string, from?: string) =>
      runScan2print(['train', '--ct', from ? join(from, 'example_ct.nii.gz') : ct(), '--labels', from ? join(from, 'example_seg_fast_force_split.nii.gz') : seg(), '--groups', groupsFile, '-o', join(dir, out), '--seed', seed, ...tiny]);
    const [a, b, c] = await Promise.all([run('a.bin', '7'), run('b.bin', '7', other), run('c.bin', '8')]);
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    const A = readFileSync(join(dir, 'a.bin'));
    expect(Buffer.compare(A, readFileSync(join(dir, 'b.bin')))).toBe(0);
    expect(Buffer.compare(A, readFileSync(join(dir, 'c.bin')))).not.toBe(0);
    const m = decodeForest(new Uint8Array(A), 'a.bin');
    expect(m.meta.groups).toEqual(['femur_left', 'femur_right', 'spine']);
    expect(m.meta.seed).toBe(7);
    expect(m.meta.trees).toBe(2);
    expect(m.meta.trainedOn[0]).toMatch(/^example_ct\.nii\.gz \(122×101×112 at 3×3×3 mm, HU sha256 [0-9a-f]{16}…\) with example_seg_fast_force_split\.nii\.gz/);
    const rec = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { meta: { trainedOn: string[] }; figures: { train_ms: number } };
    expect(rec.meta.trainedOn).toEqual(m.meta.trainedOn);
    expect(rec.figures.train_ms).toBeGreaterThan(0);
  });

  it('refuses bad input naming the file and the problem', async () => {
    const out = join(dir, 'bad.bin');
    const fail = async (args: string[], pattern: RegExp) => {
      const r = await runScan2print(['train', ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
    };
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ femur: ['thigh_bone'] }));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ femur: ');
    const absent = join(dir, 'absent.json');
    writeFileSync(absent, JSON.stringify({ skull: ['skull'] }));
    await Promise.all([
      fail(['--groups', groupsFile, '-o', out], /at least one --ct/),
      fail(['--ct', ct(), '--groups', groupsFile, '-o', out], /1 --ct but 0 --labels/),
      fail(['--ct', ct(), '--labels', seg(), '--groups', groupsFile, '-o', join(dir, 'm.nii')], /must end in \.bin/),
      fail(['--ct', ct(), '--labels', seg(), '--groups', unknown, '-o', out], /unknown\.json.*"thigh_bone" is not a known label name|"thigh_bone" is not a known label name.*unknown\.json/s),
      fail(['--ct', ct(), '--labels', seg(), '--groups', notJson, '-o', out], /not\.json.*not valid JSON|not valid JSON.*not\.json/s),
      fail(['--ct', ct(), '--labels', join(dir, 'missing.nii.gz'), '--groups', groupsFile, '-o', out], /missing\.nii\.gz.*no such label file|no such label file.*missing\.nii\.gz/s),
      fail(['--ct', ct(), '--labels', seg(), '--groups', absent, '-o', out], /example_seg_fast_force_split\.nii\.gz.*none of the labels|none of the labels.*example_seg_fast_force_split/s),
      fail(['--ct', ct(), '--labels', seg(), '--groups', groupsFile, '-o', out, '--trees', '0'], /--trees 0: expected an integer 1\.\.1000/),
    ]);
  });
});

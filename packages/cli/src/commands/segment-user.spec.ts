import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interruptWhileWriting, runScan2print } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';

/**
 * `segment` writes its outputs as `convert` does (issue 8 §5): every output is checked before
 * the work (exit 3 naming the path), and all are renamed into place together, so Ctrl-C
 * leaves nothing. A crop of the Philips head phantom keeps each run to seconds.
 */

const series = dataPath('ct', 'philips-head-phantom-1mm');
const small = ['--crop', '150,150,40,350,350,70'];
const work = mkdtempSync(join(tmpdir(), 's2p-segment-user-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('segment: outputs checked before the work, written all or nothing', () => {
  it('refuses an output whose name is a folder, naming it (exit 3), also the second threshold\'s file, and writes none', async () => {
    const out = join(work, 'taken');
    mkdirSync(join(out, 'labels.nii.gz'), { recursive: true });
    const r = await runScan2print(['segment', series, '--preset', 'bone', '-o', join(out, 'labels.nii.gz')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${join(out, 'labels.nii.gz')}: cannot write the output: is a folder`);
    // before the import: nothing about the series was said
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/import|dicom-stack/);

    mkdirSync(join(out, 'many_t700.nii.gz'));
    const two = await runScan2print(['segment', series, ...small, '--thresholds', '226,700', '-o', join(out, 'many.nii.gz')]);
    expect(two.code, two.stderr).toBe(3);
    expect(two.stderr).toContain(`${join(out, 'many_t700.nii.gz')}: cannot write the output: is a folder`);
    expect(readdirSync(out).sort()).toEqual(['labels.nii.gz', 'many_t700.nii.gz']);
  });

  it('writes every planned file and no temporary', async () => {
    const out = join(work, 'ok');
    const r = await runScan2print(['segment', series, ...small, '--thresholds', '226,700', '-o', join(out, 'l.nii.gz')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['l_t226.nii.gz', 'l_t700.nii.gz']);
  });

  it('leaves nothing behind when interrupted while writing (SIGINT → exit 130, no .partial, no label map without the other)', async () => {
    const out = join(work, 'interrupted');
    mkdirSync(out);
    const { sent, code, stderr } = await interruptWhileWriting(['segment', series, ...small, '--thresholds', '226,700', '-o', join(out, 'l.nii.gz')], out, 2);
    expect(sent, `finished before an interrupt could be sent: ${stderr}`).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(out, 'l_t226.nii.gz'))).toBe(false);
  });
});

/**
 * What a user hits with awkward input beyond convert (issue 8 §5), found by trying each command
 * on real and broken files: each is refused before any output is written, with the file and the
 * problem named, and the right exit (2 usage, 3 input). Real data: a TotalSegmentator CT volume
 * and label map, the unrescaled Slicer head series, an MR slice.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan2print } from '../../../../test/cli.js';
import { dataPath, ROOT } from '../../../../test/data.js';

const TS = 'labelled/totalsegmentator';
const work = mkdtempSync(join(tmpdir(), 's2p-bad-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('segment', () => {
  it('refuses to write over its own input, also through a hard link, and leaves it as it was', async () => {
    const vol = join(work, 'vol.nii.gz');
    copyFileSync(dataPath(TS, 'example_ct.nii.gz'), vol);
    const before = readFileSync(vol);
    const same = await runScan2print(['segment', vol, '-o', vol, '-q']);
    expect(same.code, same.stderr).toBe(3);
    expect(same.stderr).toContain(`${vol}: is one of the inputs`);
    const link = join(work, 'link.nii.gz');
    linkSync(vol, link);
    const linked = await runScan2print(['segment', vol, '-o', link, '-q']);
    expect(linked.code, linked.stderr).toBe(3);
    expect(linked.stderr).toContain(`${link}: is one of the inputs`);
    expect(readFileSync(vol).equals(before)).toBe(true);
  });

  it('refuses data that is not CT in HU as convert does (exit 3, the findings named, nothing written); --force segments it', async () => {
    const slicer = dataPath('hardcases/slicer-ctheadaxial-64');
    const out = join(work, 'slicer.nii.gz');
    const r = await runScan2print(['segment', slicer, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${slicer}: the input assessment found 1 error(s), no label map was written: NOT_HU`);
    expect(existsSync(out)).toBe(false);
    const mr = await runScan2print(['segment', dataPath('hardcases/pydicom/MR_small_jpeg_ls_lossless.dcm'), '-o', join(work, 'mr.nii.gz'), '-q']);
    expect(mr.code, mr.stderr).toBe(3);
    expect(mr.stderr).toMatch(/FEW_SLICES.*NOT_CT: modality is MR/);
    const forced = await runScan2print(['segment', slicer, '-o', out, '-q', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('bounds filter and morphology sizes (a size in µm or a slip ran for minutes or out of memory)', async () => {
    const vol = dataPath(TS, 'example_ct.nii.gz');
    for (const [flag, value, said] of [['--open', '10000', 'at most 20 mm'], ['--close', '500', 'at most 20 mm'], ['--gaussian', '1,1,50', '--gaussian 50: at most 10 mm'], ['--median', '4', 'at most 3 voxels']]) {
      const r = await runScan2print(['segment', vol, flag!, value!, '-o', join(work, 'never.nii.gz'), '-q']);
      expect(r.code, `${flag} ${value}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(said);
    }
    expect(existsSync(join(work, 'never.nii.gz'))).toBe(false);
  });
});

describe('evaluate, prepare, validate, quote', () => {
  it('evaluate: an empty reference (a label not in the file) is exit 3, naming the labels there', async () => {
    const seg = dataPath(TS, 'example_seg_dicom.nii.gz');
    const r = await runScan2print(['evaluate', '--ref', seg, '--ref-labels', '900', '--seg', seg, '--seg-labels', '901', '--json']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`${seg}: the reference mask \\(labels 900\\) is empty: nothing to compare with \\(labels in the file: 1,5,`));
    expect(JSON.parse(r.stdout).record.figures.ref_voxels).toBe(0);
  });

  it('prepare and validate refuse a model with no triangles (they reported a part of −Infinity mm, and a mean of 0 samples)', async () => {
    const empty = join(work, 'empty.stl');
    writeFileSync(empty, 'solid empty\nendsolid empty\n');
    const prep = await runScan2print(['prepare', empty, '--printer', 'prusa-mk4', '-o', join(work, 'parts')]);
    expect(prep.code, prep.stderr).toBe(3);
    expect(prep.stderr).toContain(`${empty}: the model has no triangles`);
    expect(existsSync(join(work, 'parts'))).toBe(false);
    const val = await runScan2print(['validate', '--mesh', empty, '--labels', dataPath(TS, 'example_seg_dicom.nii.gz')]);
    expect(val.code, val.stderr).toBe(3);
    expect(val.stderr).toContain(`${empty}: the model has no triangles`);
  });

  it('quote: a --keep folder that is a file is exit 3 naming it, before the model is read (it was an internal error)', async () => {
    const file = join(work, 'keep-file');
    writeFileSync(file, 'not a folder');
    const r = await runScan2print(['quote', join(work, 'absent.stl'), '--printer', 'prusa-xl', '--material', 'pla', '--keep', file]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${file} is not a folder`);
    expect(r.stderr).not.toMatch(/internal error|EEXIST/);
  });
});

describe('options and inputs every command reads alike', () => {
  it('an option of one value given twice, or a flag with its --no- form, is refused naming both; repeatable ones still repeat', async () => {
    const vol = dataPath(TS, 'example_ct.nii.gz');
    const twice = await runScan2print(['export-volume', dataPath(TS, 'example_ct_dicom'), '-o', join(work, 'a.nii'), '-o', join(work, 'b.nii')]);
    expect(twice.code, twice.stderr).toBe(2);
    expect(twice.stderr).toContain(`--output given twice (the second, ${join(work, 'b.nii')}, would replace the first)`);
    const both = await runScan2print(['segment', vol, '--fill-marrow', '--no-fill-marrow', '-o', join(work, 'never.nii.gz')]);
    expect(both.code, both.stderr).toBe(2);
    expect(both.stderr).toContain('--fill-marrow and --no-fill-marrow contradict each other');
    const two = await runScan2print(['segment', vol, '--crop', '20,20,40,100,80,60', '--threshold', '200', '--threshold', '400', '-o', join(work, 'two.nii.gz'), '-q']);
    expect(two.code, two.stderr).toBe(0);
    expect(existsSync(join(work, 'two_t400.nii.gz'))).toBe(true);
  });

  it('options that would be ignored are refused: mesh --level without --field, phantom options with validate --mesh', async () => {
    const seg = dataPath(TS, 'example_seg_dicom.nii.gz');
    const level = await runScan2print(['mesh', seg, '-o', join(work, 'never.stl'), '--level', '5']);
    expect(level.code, level.stderr).toBe(2);
    expect(level.stderr).toContain('--level only applies with --field');
    const val = await runScan2print(['validate', '--mesh', join(work, 'x.stl'), '--labels', seg, '--noise', '3', '--phantom', 'plate']);
    expect(val.code, val.stderr).toBe(2);
    expect(val.stderr).toContain('--phantom, --noise describe the phantoms, not --mesh');
  });

  it('segment: a NIfTI volume beside DICOM, and a grid too coarse for bone, are refused; mesh names a label not in the map', async () => {
    const vol = dataPath(TS, 'example_ct.nii.gz');
    const mixed = await runScan2print(['segment', dataPath(TS, 'example_ct_dicom'), vol, '-o', join(work, 'never.nii.gz')]);
    expect(mixed.code, mixed.stderr).toBe(2);
    expect(mixed.stderr).toContain(`${vol}: give one HU volume (.nii/.nii.gz) alone`);
    const coarse = await runScan2print(['segment', vol, '--isotropic', '1e6', '-o', join(work, 'never.nii.gz')]);
    expect(coarse.code, coarse.stderr).toBe(2);
    expect(coarse.stderr).toContain('--isotropic 1e6: at most 10 mm');
    const seg = dataPath(TS, 'example_seg_dicom.nii.gz');
    const label = await runScan2print(['mesh', seg, '--label', '999', '-o', join(work, 'never.stl')]);
    expect(label.code, label.stderr).toBe(3);
    expect(label.stderr).toContain(`${seg}: no voxel has label 999 (labels in the file: 1,5,6,`);
  });

  it('train checks its outputs before training (an unwritable one was found after minutes of it)', async () => {
    const file = join(work, 'train-file');
    writeFileSync(file, 'not a folder');
    const r = await runScan2print(['train', '--ct', dataPath(TS, 'example_ct.nii.gz'), '--labels', dataPath(TS, 'example_seg_fast_force_split.nii.gz'), '--groups', join(ROOT, 'packages/core/models/bone-groups.json'), '-o', join(file, 'm.bin')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${join(file, 'm.bin')}: cannot write the output: ${file} is not a folder`);
  });
});

describe('messages in the user\'s terms', () => {
  it('a NIfTI cut after its header, validate\'s out-of-range noise, audit verify on a missing folder', async () => {
    const header = join(work, 'header-only.nii');
    writeFileSync(header, gunzipSync(readFileSync(dataPath(TS, 'example_ct.nii.gz'))).subarray(0, 348));
    const cut = await runScan2print(['segment', header, '-o', join(work, 'never.nii.gz')]);
    expect(cut.code, cut.stderr).toBe(3);
    expect(cut.stderr).toContain(`${header}: voxel data truncated: the file ends at byte 348, before the voxel data's offset 352`);
    const noise = await runScan2print(['validate', '--noise', '1e9', '--phantom', 'sphere']);
    expect(noise.code, noise.stderr).toBe(2);
    expect(noise.stderr).toContain('--noise 0–500 HU');
    const missing = join(work, 'no-such-data');
    const audit = await runScan2print(['audit', 'verify', '--data', missing]);
    expect(audit.code, audit.stderr).toBe(2); // audit verify: 2 is "cannot check"
    expect(audit.stderr).toContain(`${missing}: no such folder`);
  });

  it('convert on a 20-slice slab: a decimation that takes a fifth of the volume is refused by the gate (it exported 16 % of it, exit 0); a short crop names table removal', async () => {
    const slab = join(work, 'slab');
    mkdirSync(slab);
    const series = dataPath('ct/philips-head-phantom-1mm');
    for (let n = 590; n <= 780; n += 10) copyFileSync(join(series, `I${n}`), join(slab, `I${n}`));
    const r = await runScan2print(['convert', slab, '-o', join(work, 'slab.stl'), '--decimate-ratio', '0.001', '-q']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/mesh is not printable \(decimation changed its volume by -\d+(\.\d)? % \(over 20 %\): not the anatomy at 1:1/);
    expect(existsSync(join(work, 'slab.stl'))).toBe(false);
    // 17 of those slices: table removal takes 98 % (the body's ends are the scan's); the message
    // names it, not --min-island, which only took the last crumbs.
    const short = await runScan2print(['convert', slab, '--crop', '0,0,0,512,512,17', '-o', join(work, 'short.stl'), '-q']);
    expect(short.code, short.stderr).toBe(3);
    expect(short.stderr).toMatch(/but table removal removed 9\d(\.\d)? % of it \(the rest was pieces smaller than --min-island\).*--keep-table/);
  });
});

/**
 * `scan2print inspect` and `export-volume` through the built binary, as a user runs them.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSeries, readNifti } from '@scan2print/core';
import { runScan2print, type CliRun } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';
import { README_EXPORT_VOLUME, readmeRun } from '../../../../test/convert-cache.js';

const GE = dataPath('ct/ge-head-tilt-variable-spacing');
const SMALL = dataPath('hardcases/slicer-ctheadaxial-64');

/** `inspect SMALL --json`, run once: two tests compare against the same output. */
let smallJson: Promise<CliRun> | undefined;
const inspectSmallJson = (): Promise<CliRun> => (smallJson ??= runScan2print(['inspect', SMALL, '--json']));

describe('scan2print inspect / export-volume (built binary)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 's2p-inspect-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inspect --json on a tilted series prints one object with the documented keys', async () => {
    const r = await runScan2print(['inspect', GE, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.series[0]).toEqual(expect.objectContaining({ modality: 'CT', files: 28, rows: 512, columns: 512, number: 2 }));
    for (const k of ['uid', 'number', 'modality', 'description', 'files', 'rows', 'columns']) expect(j.series[0]).toHaveProperty(k);
    const c = j.chosen;
    expect(c.dims).toHaveLength(3);
    expect(c.spacing_mm).toHaveLength(3);
    expect(c.origin_mm).toHaveLength(3);
    expect(c.direction).toHaveLength(9);
    expect(c.tiltDegrees).toBeCloseTo(18.5, 1);
    expect(c.sliceSteps.min).toBeCloseTo(1.08, 2);
    expect(c.sliceSteps.max).toBeCloseTo(7.0, 2);
    expect(c.huRange[0]).toBeLessThan(c.huRange[1]);
    expect(j.findings.map((f: { code: string }) => f.code)).toEqual(expect.arrayContaining(['TILT_CORRECTED', 'UNEVEN_SPACING']));
    expect(j.skippedFiles).toBe(0);
  });

  it('a readable table without --json', async () => {
    const r = await runScan2print(['inspect', SMALL, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chosen series/);
    expect(r.stdout).toMatch(/64 × 64 × 93/);
    expect(r.stdout).toMatch(/error NOT_HU/);
  });

  it('a path that does not exist → exit 3 naming it, no stack trace', async () => {
    const bad = join(dir, 'no-such-folder');
    const r = await runScan2print(['inspect', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown option → exit 2', async () => {
    expect((await runScan2print(['inspect', SMALL, '--no-such-option'])).code).toBe(2);
    expect((await runScan2print(['export-volume', SMALL])).code).toBe(2); // -o missing
    const r = await runScan2print(['inspect', SMALL, '--series', '424242']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--series 424242 matches no image series \(available: 123456 /);
  });

  it('a folder of non-DICOM files → exit 3 with a clear message', async () => {
    const junk = join(dir, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'notes.txt'), 'not an image\n');
    writeFileSync(join(junk, 'data.bin'), new Uint8Array(4096).fill(7));
    const r = await runScan2print(['inspect', junk]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(junk);
    expect(r.stderr).toMatch(/no image series.*2 not DICOM/);
  });

  it('a .zip of a series gives the same result as the folder; non-DICOM entries are skipped and counted', async () => {
    const files: Zippable = {};
    for (const n of readdirSync(SMALL).sort()) files[`study/${n}`] = [new Uint8Array(readFileSync(join(SMALL, n))), { level: n.length % 2 ? 0 : 6 }];
    files['readme.txt'] = new TextEncoder().encode('hello');
    const zip = join(dir, 'series.zip');
    writeFileSync(zip, zipSync(files));
    const fromZip = await runScan2print(['inspect', zip, '--json']);
    expect(fromZip.code, fromZip.stderr).toBe(0);
    const fromDir = JSON.parse((await inspectSmallJson()).stdout);
    const z = JSON.parse(fromZip.stdout);
    expect(z.chosen.dims).toEqual(fromDir.chosen.dims);
    expect(z.chosen.origin_mm).toEqual(fromDir.chosen.origin_mm);
    expect(z.chosen.huRange).toEqual(fromDir.chosen.huRange);
    expect(z.skippedFiles).toBe(fromDir.skippedFiles + 1); // the folder's licence and manifest, and readme.txt
  });

  it('export-volume writes a NIfTI whose grid is the inspected one, and no temporary file', async () => {
    const out = join(dir, 'vol', 'small.nii.gz');
    const r = await runScan2print(['export-volume', SMALL, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const vol = readNifti(new Uint8Array(readFileSync(out)), out).volume;
    const j = JSON.parse((await inspectSmallJson()).stdout);
    expect(vol.grid.dims).toEqual(j.chosen.dims);
    for (let a = 0; a < 3; a++) expect(vol.grid.origin_mm[a]).toBeCloseTo(j.chosen.origin_mm[a], 3);
    for (let a = 0; a < 9; a++) expect(vol.grid.direction[a]).toBeCloseTo(j.chosen.direction[a], 5);
    expect(readdirSync(join(dir, 'vol'))).toEqual(['small.nii.gz']);
  });

  /** `export-volume` of the series: GE here; the JPEG 2000 one is the README's example (one run per test run for readme.spec and this spec). */
  async function exported(name: string, folder: string): Promise<string> {
    if (name === 'j2k') {
      const r = await readmeRun(README_EXPORT_VOLUME);
      expect(r.code, r.stderr).toBe(0);
      return join(r.dir, 'volume.nii.gz');
    }
    const out = join(dir, `${name}.nii`);
    const r = await runScan2print(['export-volume', folder, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    return out;
  }

  // GE: resampled on worker threads; the JPEG 2000 series: decoded on worker threads
  it.each([['ge', GE], ['j2k', dataPath('labelled/totalsegmentator/example_ct_dicom')]])('export-volume (%s, worker threads) equals the in-process import, value for value', async (name, folder) => {
    const out = await exported(name, folder);
    const vol = readNifti(new Uint8Array(readFileSync(out)), out).volume;
    const sources = readdirSync(folder).sort().map((n) => ({ name: join(folder, n), read: async () => new Uint8Array(readFileSync(join(folder, n))) }));
    const inline = (await importSeries(sources)).output.volume;
    expect(vol.grid.dims).toEqual(inline.grid.dims);
    expect(vol.data.length).toBe(inline.data.length);
    let same = true;
    for (let p = 0; p < vol.data.length && same; p++) same = vol.data[p] === inline.data[p];
    expect(same).toBe(true);
  });

  // The command runs a bundle (scripts/bundle.mjs) in which a decoder can load differently than
  // under the tests' own imports: the bundled JPEG lossless decoder once failed on every file
  // ("lib.Decoder is not a constructor") while core's decode specs passed. Each lossless encoding
  // of one slice, through the command, against core's in-process import of the uncompressed file.
  const TS = dataPath('hardcases/cornerstone-ct-ts');
  const WG04 = dataPath('hardcases/wg04-ct');
  const lossless: [string, string, string][] = [
    ['JPEG lossless SV1 (.70)', join(TS, 'CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm'), join(TS, 'CTImage.dcm')],
    ['JPEG lossless (.57)', join(TS, 'CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm'), join(TS, 'CTImage.dcm')],
    ['JPEG lossless, WG04 CT1', join(WG04, 'CT1_JPLL'), join(WG04, 'CT1_UNC')],
    ['JPEG lossless, WG04 CT2', join(WG04, 'CT2_JPLL'), join(WG04, 'CT2_UNC')],
    ['RLE', join(TS, 'CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm'), join(TS, 'CTImage.dcm')],
    ['deflated', join(TS, 'CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm'), join(TS, 'CTImage.dcm')],
    ['big endian', join(TS, 'CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm'), join(TS, 'CTImage.dcm')],
    ['JPEG-LS lossless', join(TS, 'CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm'), join(TS, 'CTImage.dcm')],
    ['JPEG 2000 lossless', join(TS, 'CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm'), join(TS, 'CTImage.dcm')],
  ];
  it.each(lossless)('export-volume decodes %s value for value, as the uncompressed file', async (name, file, plain) => {
    const out = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.nii`);
    const r = await runScan2print(['export-volume', file, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const vol = readNifti(new Uint8Array(readFileSync(out)), out).volume;
    const inline = (await importSeries([{ name: plain, read: async () => new Uint8Array(readFileSync(plain)) }])).output.volume;
    expect(vol.grid.dims).toEqual(inline.grid.dims);
    let differ = 0;
    for (let p = 0; p < inline.data.length; p++) if (vol.data[p] !== inline.data[p]) differ++;
    expect(differ).toBe(0);
  });
});

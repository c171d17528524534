/**
 * Test loaders for real CT volumes, independent of the import stage: an uncompressed,
 * untilted, single-series DICOM folder read with dicom-parser (slices sorted along
 * the normal, HU by RescaleSlope/Intercept), and NIfTI via core's reader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { readNifti, type Grid, type Volume } from '@scan2print/core';
import { dataPath } from './data.js';

/** Reads a plain (uncompressed, little-endian, untilted) CT folder into an Int16 HU volume. */
export function loadPlainDicomFolder(dir: string): Volume {
  const slices: Array<{ pos: number[]; hu: Int16Array; iop: number[]; ps: number[]; rows: number; cols: number }> = [];
  for (const f of readdirSync(dir).sort()) {
    const bytes = readFileSync(join(dir, f));
    let ds: dicomParser.DataSet;
    try {
      ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch {
      continue; // DIRFILE and other non-image files
    }
    const px = ds.elements.x7fe00010;
    if (!px) continue;
    const rows = ds.uint16('x00280010')!;
    const cols = ds.uint16('x00280011')!;
    const signed = ds.uint16('x00280103') === 1;
    const slope = ds.floatString('x00281053') ?? 1;
    const inter = ds.floatString('x00281052') ?? 0;
    const n = rows * cols;
    const raw = signed ? new Int16Array(n) : new Uint16Array(n);
    const dv = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + px.dataOffset, n * 2);
    for (let i = 0; i < n; i++) raw[i] = signed ? dv.getInt16(i * 2, true) : dv.getUint16(i * 2, true);
    const hu = new Int16Array(n);
    for (let i = 0; i < n; i++) hu[i] = Math.round(raw[i]! * slope + inter);
    const pos = [0, 1, 2].map((i) => ds.floatString('x00200032', i)!);
    const iop = [0, 1, 2, 3, 4, 5].map((i) => ds.floatString('x00200037', i)!);
    const ps = [0, 1].map((i) => ds.floatString('x00280030', i)!);
    slices.push({ pos, hu, iop, ps, rows, cols });
  }
  const iop = slices[0]!.iop;
  const nrm = [iop[1]! * iop[5]! - iop[2]! * iop[4]!, iop[2]! * iop[3]! - iop[0]! * iop[5]!, iop[0]! * iop[4]! - iop[1]! * iop[3]!];
  const along = (p: number[]) => p[0]! * nrm[0]! + p[1]! * nrm[1]! + p[2]! * nrm[2]!;
  slices.sort((a, b) => along(a.pos) - along(b.pos));
  const { rows, cols, ps } = slices[0]!;
  const step = slices.length > 1 ? (along(slices[slices.length - 1]!.pos) - along(slices[0]!.pos)) / (slices.length - 1) : 1;
  const grid: Grid = {
    dims: [cols, rows, slices.length],
    // PixelSpacing is (row spacing, column spacing): i runs along a row → column spacing.
    spacing_mm: [ps[1]!, ps[0]!, step],
    origin_mm: slices[0]!.pos as [number, number, number],
    direction: [iop[0]!, iop[1]!, iop[2]!, iop[3]!, iop[4]!, iop[5]!, nrm[0]!, nrm[1]!, nrm[2]!],
  };
  const data = new Int16Array(rows * cols * slices.length);
  slices.forEach((s, k) => data.set(s.hu, k * rows * cols));
  return { grid, data };
}

export function loadPhantom(): Volume {
  return loadPlainDicomFolder(dataPath('ct/philips-head-phantom-1mm'));
}

export function loadExampleCt(): Volume {
  const p = dataPath('labelled/totalsegmentator/example_ct.nii.gz');
  return readNifti(new Uint8Array(readFileSync(p)), p).volume;
}

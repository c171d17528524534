// Minimal loader for the benchmark's uncompressed little-endian CT series (dicom-parser),
// kept independent of scan2print's importer so the bench measures only the isosurface.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';

/** Returns { grid, data: Int16Array (HU) } with the slices sorted along the slice normal. */
export function loadCtSeries(dir) {
  const slices = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'DIRFILE' || name.startsWith('.') || name.endsWith('.json') || name.endsWith('.txt') || name.startsWith('LICENSE')) continue;
    const bytes = readFileSync(join(dir, name));
    let ds;
    try {
      ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch {
      continue;
    }
    const px = ds.elements.x7fe00010;
    if (!px) continue;
    const ipp = ds.string('x00200032').split('\\').map(Number);
    const iop = ds.string('x00200037').split('\\').map(Number);
    const ps = ds.string('x00280030').split('\\').map(Number);
    const rows = ds.uint16('x00280010');
    const cols = ds.uint16('x00280011');
    const slope = Number(ds.string('x00281053') ?? 1);
    const intercept = Number(ds.string('x00281052') ?? 0);
    const signed = ds.uint16('x00280103') === 1;
    const raw = signed
      ? new Int16Array(ds.byteArray.buffer.slice(ds.byteArray.byteOffset + px.dataOffset, ds.byteArray.byteOffset + px.dataOffset + 2 * rows * cols))
      : new Uint16Array(ds.byteArray.buffer.slice(ds.byteArray.byteOffset + px.dataOffset, ds.byteArray.byteOffset + px.dataOffset + 2 * rows * cols));
    slices.push({ ipp, iop, ps, rows, cols, slope, intercept, raw });
  }
  if (slices.length < 2) throw new Error(`${dir}: fewer than 2 image slices`);
  const [r0, r1, r2, c0, c1, c2] = slices[0].iop;
  const n = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
  const along = (s) => s.ipp[0] * n[0] + s.ipp[1] * n[1] + s.ipp[2] * n[2];
  slices.sort((a, b) => along(a) - along(b));
  const { rows, cols, ps } = slices[0];
  const step = (along(slices[slices.length - 1]) - along(slices[0])) / (slices.length - 1);
  const data = new Int16Array(rows * cols * slices.length);
  slices.forEach((s, k) => {
    const o = k * rows * cols;
    for (let i = 0; i < rows * cols; i++) data[o + i] = Math.round(s.raw[i] * s.slope + s.intercept);
  });
  return {
    grid: {
      dims: [cols, rows, slices.length],
      spacing_mm: [ps[1], ps[0], step],
      origin_mm: [...slices[0].ipp],
      direction: [r0, r1, r2, c0, c1, c2, n[0], n[1], n[2]],
    },
    data,
  };
}

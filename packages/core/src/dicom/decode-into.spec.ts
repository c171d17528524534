/**
 * decodeFramesInto (frames straight into the slice stack, no Float32 frame per slice) against
 * the reference it replaces, decodeFrames then a copy into the stack, on real files: every
 * value, the minimum and the "does not fit Int16" answer must be the same.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { copyFloat32, copyInt16 } from './assemble-decode.js';
import { decodeFrames, decodeFramesInto } from './decode.js';
import { parseDicomHeader } from './parse.js';
import type { DicomInstance } from './types.js';

function load(path: string): { inst: DicomInstance; bytes: Uint8Array } {
  const bytes = new Uint8Array(readFileSync(path));
  const inst = parseDicomHeader(bytes, path);
  if (!inst) throw new Error(`${path} is not DICOM`);
  return { inst, bytes };
}

/** The old path: decodeFrames, then each kept frame copied into the stack. */
async function reference(inst: DicomInstance, bytes: Uint8Array, stack: Int16Array | Float32Array, slots: number[], plane: number) {
  const frames = await decodeFrames(inst, bytes);
  let min = Infinity;
  for (let f = 0; f < frames.length; f++) {
    const k = slots[f] ?? -1;
    if (k < 0) continue;
    const m = stack instanceof Int16Array ? copyInt16(stack, k * plane, frames[f]!) : copyFloat32(stack, k * plane, frames[f]!);
    if (Number.isNaN(m)) return { ok: false, min };
    min = Math.min(min, m);
  }
  return { ok: true, min };
}

async function compare(inst: DicomInstance, bytes: Uint8Array, slots: number[]): Promise<{ int16: boolean }> {
  const plane = inst.rows! * inst.columns!;
  const n = (Math.max(...slots) + 1) * plane;
  let int16 = false;
  for (const make of [(k: number) => new Int16Array(k), (k: number) => new Float32Array(k)]) {
    const want = make(n).fill(7);
    const got = make(n).fill(7);
    const a = await reference(inst, bytes, want, slots, plane);
    const b = await decodeFramesInto(inst, bytes, got, (f) => slots[f] ?? -1, plane);
    expect(b.ok).toBe(a.ok);
    if (!a.ok) continue;
    if (got instanceof Int16Array) int16 = true;
    expect(b.min).toBe(a.min);
    expect(Buffer.compare(Buffer.from(got.buffer), Buffer.from(want.buffer))).toBe(0);
  }
  return { int16 };
}

const hard = (...p: string[]) => dataPath('hardcases', ...p);

describe('decodeFramesInto on real files', () => {
  it('writes the same values as decodeFrames + copy: plain CT, padding (CT and as MR), JPEG 2000, RLE, big endian', async () => {
    const phantom = load(dataPath('ct/philips-head-phantom-1mm/I100'));
    expect((await compare(phantom.inst, phantom.bytes, [0])).int16).toBe(true);
    const padded = load(hard('wg04-ct/CT1_UNC'));
    expect(padded.inst.pixelPaddingValue).toBe(-2000);
    expect((await compare(padded.inst, padded.bytes, [0])).int16).toBe(true);
    // as MR the padding becomes the frame's smallest kept value
    await compare({ ...padded.inst, modality: 'MR' }, padded.bytes, [0]);
    for (const f of ['wg04-ct/CT1_J2KR', 'wg04-ct/CT1_RLE', 'cornerstone-ct-ts/CTImage.dcm_BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm', 'pydicom/MR_small.dcm']) {
      const x = load(hard(f));
      expect((await compare(x.inst, x.bytes, [0])).int16).toBe(true);
    }
  });

  it('reads pixel data at an odd byte offset (copied) the same as in place', async () => {
    const { bytes } = load(dataPath('ct/philips-head-phantom-1mm/I100'));
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const inst = parseDicomHeader(shifted, 'I100 shifted')!;
    expect((await compare(inst, shifted, [0])).int16).toBe(true);
  });

  it('answers "does not fit Int16" as the copy did: a Modality LUT to 65535, a fractional rescale', async () => {
    const lut = load(hard('pydicom/mlut_18.dcm'));
    expect((await compare(lut.inst, lut.bytes, [0])).int16).toBe(false);
    const ct = load(dataPath('ct/philips-head-phantom-1mm/I100'));
    expect((await compare({ ...ct.inst, rescaleSlope: 0.5 }, ct.bytes, [0])).int16).toBe(false);
  });

  it('places the frames of a multi-frame file by slot and leaves a skipped frame untouched (eCT_Supplemental, per-frame rescale)', async () => {
    const { inst, bytes } = load(hard('pydicom/eCT_Supplemental.dcm'));
    expect(inst.numberOfFrames).toBe(2);
    await compare(inst, bytes, [1, 0]);
    await compare(inst, bytes, [-1, 0]);
    const plane = inst.rows! * inst.columns!;
    const stack = new Int16Array(2 * plane).fill(7);
    await decodeFramesInto(inst, bytes, stack, (f) => (f === 0 ? -1 : 1), plane);
    expect(stack.subarray(0, plane).every((v) => v === 7)).toBe(true);
  });
});

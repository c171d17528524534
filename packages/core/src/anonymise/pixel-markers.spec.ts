/**
 * Issue 13 class 5: text planted into the compressed frames of real files (JPEG COM and APPn,
 * JPEG-LS COM/APPn, J2K COM in the main and tile-part headers, JP2 xml/uuid boxes) is gone from
 * every output byte, the decoded pixels are those of the untouched source, pydicom reads the
 * output frame by frame, and check.ts passes it. The planting, the frame reader and writer and
 * the leak check are in test/anonymise-plant-pixel.ts (they use Buffer, kept out of core).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BIRTH,
  concat,
  decoded,
  insertAt,
  JPEG_TEXT,
  leaks,
  NAME,
  plantFile,
  plantJ2k,
  readFrames,
  sameFrames,
  segment,
  u16be,
  writeFrames,
} from '../../../../test/anonymise-plant-pixel.js';
import { dataPath } from '../../../../test/data.js';
import { runTool } from '../../../../test/run-tool.js';
import { isScanError } from '../errors.js';
import { anonymiseDataset } from './anonymise.js';
import { findIdentifyingAttributes } from './check.js';
import { encodeValue, parseDicom, type RawElement } from './dicom-codec.js';
import { writeDicom } from './dicom-write.js';
import { findTextMarkers, PixelMarkerError, stripTextMarkers } from './pixel-markers.js';

const KEY = 'pixel-marker-test-key-0123456789';

/** A JP2 box (ISO 15444-1 I.4): its length, its type, its body. */
function box(type: string, body: Uint8Array): Uint8Array {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(body.length + 8, 0);
  h.write(type, 4, 'latin1');
  return concat(h, body);
}

/** The signature, file type and image header boxes of a JP2 file (2 × 2 pixels, 16 bits). */
function jp2Header(): { sig: Uint8Array; ftyp: Uint8Array; ihdr: Uint8Array } {
  return {
    sig: box('jP  ', new Uint8Array([0x0d, 0x0a, 0x87, 0x0a])),
    ftyp: box('ftyp', new Uint8Array([...Buffer.from('jp2 '), 0, 0, 0, 0, ...Buffer.from('jp2 ')])),
    ihdr: box('ihdr', new Uint8Array([0, 0, 2, 0, 0, 0, 2, 0, 0, 1, 15, 7, 0, 0])),
  };
}

/** A colour specification box: enumerated, greyscale (17). */
const colrBox = (): Uint8Array => box('colr', new Uint8Array([1, 0, 0, 0, 0, 0, 17]));

const CASES: Array<{ parts: string[]; split?: boolean }> = [
  { parts: ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm'] },
  { parts: ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm'] },
  { parts: ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm'] },
  { parts: ['hardcases', 'wg04-ct', 'CT1_JPLL'] },
  { parts: ['hardcases', 'wg04-ct', 'CT1_JLSL'] },
  { parts: ['hardcases', 'wg04-ct', 'CT2_JLSN'] },
  { parts: ['hardcases', 'wg04-ct', 'CT1_J2KR'] },
  { parts: ['hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm'] },
  // Multi-frame, fragmented, empty offset table: frames found by their SOI.
  { parts: ['hardcases', 'cornerstone-ct-ts', 'CT0012.fragmented_no_bot_jpeg_baseline.51.dcm'] },
  // Multi-frame J2K, each planted frame cut over two fragments, with a Basic Offset Table.
  { parts: ['hardcases', 'pydicom', 'emri_small_jpeg_2k_lossless.dcm'], split: true },
  { parts: ['hardcases', 'pydicom', 'emri_small_jpeg_ls_lossless.dcm'], split: true },
];

describe('text planted in the compressed frames of real files is removed, pixels unchanged', () => {
  const tmp = mkdtempSync(join(tmpdir(), 's2p-pixel-markers-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const outputs: Array<{ path: string; frames: number }> = [];

  for (const c of CASES) {
    it(c.parts.slice(1).join('/') + (c.split ? ' (frames split over fragments)' : ''), async () => {
      const src = dataPath(...c.parts);
      const original = new Uint8Array(readFileSync(src));
      const planted = plantFile(original, { split: c.split });
      expect(leaks(planted).length).toBeGreaterThan(0);
      const before = await decoded(original, src);
      // The planted segments are legal: our decoders read the planted file to the same pixels.
      expect(sameFrames(await decoded(planted, 'planted'), before)).toBe(true);

      const r = await anonymiseDataset(planted, src, { key: KEY });
      expect(leaks(r.bytes)).toEqual([]);
      const removed = r.findings.find((f) => f.code === 'PIXEL_TEXT_MARKERS_REMOVED');
      const n = before.length;
      const j2k = /J2K|_2k_|JPEG2000/.test(c.parts[2]!);
      expect(removed?.message).toContain(j2k ? `(J2K COM ×${2 * n}; ` : `(COM ×${n}, APP1 ×${n}, APP13 ×${n}; `);
      expect(r.summary.notes.join('\n')).toMatch(/removed text-carrying marker segments from the compressed pixel data of \d+ frame/);
      expect(sameFrames(await decoded(r.bytes, 'out'), before)).toBe(true);
      expect(findIdentifyingAttributes(r.bytes, 'out').problems).toEqual([]);
      const path = join(tmp, `${outputs.length}.dcm`);
      writeFileSync(path, r.bytes);
      outputs.push({ path, frames: before.length });
    });
  }

  it('pydicom reads every output and finds each frame in the fragments and offset table', async () => {
    expect(outputs.length).toBe(CASES.length);
    const py = `
import sys, pydicom
from pydicom.encaps import generate_pixel_data_frame
for p, n in zip(sys.argv[1::2], sys.argv[2::2]):
    d = pydicom.dcmread(p)
    nf = int(d.get('NumberOfFrames', 1) or 1)
    frames = list(generate_pixel_data_frame(d.PixelData, nf))
    ok = len(frames) == int(n) and all(f[:2] in (b'\\xff\\xd8', b'\\xff\\x4f') for f in frames)
    print(p, len(frames), 'ok' if ok else 'BAD')
`;
    const r = await runTool('/usr/bin/python3', ['-c', py, ...outputs.flatMap((o) => [o.path, String(o.frames)])]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(CASES.length);
    for (const l of lines) expect(l).toMatch(/ ok$/);
  });
});

describe('an Extended Offset Table is rewritten with the fragments', () => {
  it('multi-frame J2K (pydicom emri_small_jpeg_2k_lossless), planted text, an EOT: offsets and lengths match the output', async () => {
    const src = dataPath('hardcases', 'pydicom', 'emri_small_jpeg_2k_lossless.dcm');
    const original = new Uint8Array(readFileSync(src));
    const f = readFrames(original);
    const frames = f.frames.map((frags) => [plantJ2k(concat(...frags))]);
    // PS3.5 A.4: with an EOT the BOT is empty and each frame is one fragment.
    const planted0 = readFrames(writeFrames(f, frames, false));
    const offsets: number[] = [];
    const lengths: number[] = [];
    let at = 0;
    for (const [fr] of planted0.frames) {
      offsets.push(at);
      lengths.push(fr!.length);
      at += 8 + fr!.length;
    }
    const u64 = (vals: number[]): Uint8Array => {
      const b = Buffer.alloc(vals.length * 8);
      vals.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), i * 8));
      return new Uint8Array(b);
    };
    const eot: RawElement[] = [
      { tag: 0x7fe00001, vr: 'OV', value: u64(offsets) },
      { tag: 0x7fe00002, vr: 'OV', value: u64(lengths) },
    ];
    const ds = [...planted0.ds.filter((e) => e.tag !== 0x7fe00010), ...eot, planted0.ds.find((e) => e.tag === 0x7fe00010)!];
    const planted = writeDicom(planted0.meta, ds, planted0.ts);
    expect(leaks(planted).length).toBeGreaterThan(0);

    const r = await anonymiseDataset(planted, src, { key: KEY });
    expect(leaks(r.bytes)).toEqual([]);
    const out = parseDicom(r.bytes, 'out');
    const readU64 = (tag: number): number[] => {
      const v = Buffer.from(out.dataset.find((e) => e.tag === tag)!.value!);
      return Array.from({ length: v.length / 8 }, (_, i) => Number(v.readBigUInt64LE(i * 8)));
    };
    const enc = Buffer.from(out.dataset.find((e) => e.tag === 0x7fe00010)!.encapsulated!);
    expect(enc.readUInt32LE(4)).toBe(0);
    const items: Array<{ at: number; len: number }> = [];
    for (let pos = 8; enc.readUInt32LE(pos) !== 0xe0ddfffe; pos += 8 + enc.readUInt32LE(pos + 4)) {
      items.push({ at: pos - 8, len: enc.readUInt32LE(pos + 4) });
    }
    expect(readU64(0x7fe00001)).toEqual(items.map((i) => i.at));
    expect(readU64(0x7fe00002)).toEqual(items.map((i) => i.len));
    expect(readU64(0x7fe00002)).not.toEqual(lengths);
    // dicom-parser (core's reader) takes OV for a short-length VR and cannot read a file with an EOT,
    // so the frames are decoded from the output with the two EOT elements left out.
    const noEot = writeDicom(out.meta, out.dataset.filter((e) => e.tag !== 0x7fe00001 && e.tag !== 0x7fe00002), out.transferSyntax);
    expect(sameFrames(await decoded(noEot, 'out'), await decoded(original, src))).toBe(true);
  });
});

describe('stripTextMarkers on real code streams', () => {
  const frameOf = (...parts: string[]): { frame: Uint8Array; ts: string } => {
    const f = readFrames(new Uint8Array(readFileSync(dataPath(...parts))));
    return { frame: concat(...f.frames[0]!), ts: f.ts };
  };

  it('a real JPEG lossless frame with a vendor COM and a non-JFIF APP0 (pydicom JPGLosslessP14SV1) loses both, pixels equal', async () => {
    const p = dataPath('hardcases', 'pydicom', 'JPGLosslessP14SV1_1s_1f_8b.dcm');
    const bytes = new Uint8Array(readFileSync(p));
    const { frame, ts } = frameOf('hardcases', 'pydicom', 'JPGLosslessP14SV1_1s_1f_8b.dcm');
    expect(findTextMarkers(frame, ts).map((m) => m.marker)).toEqual(['APP0', 'COM']);
    const r = await anonymiseDataset(bytes, p, { key: KEY });
    expect(Buffer.from(r.bytes).includes('MITRA_DICOM_STANDARD')).toBe(false);
    expect(sameFrames(await decoded(r.bytes, 'out'), await decoded(bytes, p))).toBe(true);
  });

  it('frames with no text, or only an encoder signature (Kakadu, OpenJPEG), come back as the same bytes', () => {
    for (const parts of [
      ['hardcases', 'wg04-ct', 'CT1_J2KR'], ['hardcases', 'wg04-ct', 'CT1_JLSL'], ['hardcases', 'wg04-ct', 'CT2_JPLL'],
      ['hardcases', 'pydicom', 'emri_small_jpeg_2k_lossless.dcm'],
    ]) {
      const { frame, ts } = frameOf(...parts);
      const r = stripTextMarkers(frame, ts);
      expect(r.removed, parts.join('/')).toEqual([]);
      expect(r.bytes).toBe(frame);
    }
  });

  it('a JP2 file (boxes around the code stream) loses its xml and uuid boxes and code-stream COMs; the rest is byte for byte', () => {
    const { frame, ts } = frameOf('hardcases', 'wg04-ct', 'CT1_J2KR');
    const planted = plantJ2k(frame);
    const { sig, ftyp, ihdr } = jp2Header();
    const jp2h = box('jp2h', concat(ihdr, colrBox()));
    const xml = box('xml ', new Uint8Array(Buffer.from(`<patient name="${NAME}" birth="${BIRTH}"/>`)));
    const uuid = box('uuid', concat(new Uint8Array(16), new Uint8Array(Buffer.from(`${NAME}|${BIRTH}`))));
    const jp2 = concat(sig, ftyp, jp2h, xml, box('jp2c', planted), uuid);
    const r = stripTextMarkers(jp2, ts);
    expect(leaks(r.bytes)).toEqual([]);
    expect(r.removed.map((m) => m.marker).sort()).toEqual(['J2K COM', 'J2K COM', 'JP2 box "uuid"', 'JP2 box "xml "']);
    // What is left: the same header boxes, then the code stream exactly as the unplanted frame.
    const header = concat(sig, ftyp, jp2h);
    expect(Buffer.from(r.bytes.subarray(0, header.length)).equals(Buffer.from(header))).toBe(true);
    expect(Buffer.from(r.bytes).readUInt32BE(header.length)).toBe(frame.length + 8);
    expect(Buffer.from(r.bytes.subarray(header.length + 8)).equals(Buffer.from(frame))).toBe(true);
  });

  it('a COM in a tile-part header lowers Psot and the tile-part length in TLM; the result equals the unplanted stream', () => {
    const { frame, ts } = frameOf('hardcases', 'wg04-ct', 'CT1_J2KR');
    // Count tile-parts and add a TLM (Ttlm 1 byte, Ptlm 4 bytes) after SIZ listing each one.
    const b = Buffer.from(frame);
    const psots: number[] = [];
    let pos = 2;
    while (b.readUInt16BE(pos) !== 0xff90) pos += 2 + b.readUInt16BE(pos + 2);
    while (b.readUInt16BE(pos) === 0xff90) {
      const psot = b.readUInt32BE(pos + 6);
      psots.push(psot);
      if (psot === 0) break;
      pos += psot;
    }
    expect(psots.length).toBeGreaterThan(0);
    const tlmBody = Buffer.alloc(2 + psots.length * 5);
    tlmBody[0] = 0;
    tlmBody[1] = 0x50;
    psots.forEach((p, i) => {
      tlmBody[2 + i * 5] = i;
      tlmBody.writeUInt32BE(p, 3 + i * 5);
    });
    const tlm = concat(new Uint8Array([0xff, 0x55, ...u16be(tlmBody.length + 2)]), tlmBody);
    const sizEnd = 4 + b.readUInt16BE(4);
    const withTlm = insertAt(frame, sizEnd, tlm);
    const planted = plantJ2k(withTlm);
    expect(planted.length).toBeGreaterThan(withTlm.length);
    const r = stripTextMarkers(planted, ts);
    expect(r.removed.map((m) => m.marker)).toEqual(['J2K COM', 'J2K COM']);
    expect(Buffer.from(r.bytes).equals(Buffer.from(withTlm))).toBe(true);
  });

  it('JFIF APP0 and the fixed Adobe APP14 stay (decoders need them); an ICC APP2 and an Adobe APP14 with extra text go', () => {
    const { frame, ts } = frameOf('hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm');
    const jfif = new Uint8Array([0xff, 0xe0, 0, 16, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    const adobe = new Uint8Array([0xff, 0xee, 0, 14, ...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 1]);
    const keep = insertAt(frame, 2, concat(jfif, adobe));
    const icc = segment(0xe2, `desc ${NAME} ${BIRTH}`, [...Buffer.from('ICC_PROFILE\0'), 1, 1]);
    const longAdobe = segment(0xee, `${NAME}`, [...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 1]);
    const r = stripTextMarkers(insertAt(keep, 2 + jfif.length, concat(icc, longAdobe)), ts);
    expect(r.removed.map((m) => m.marker)).toEqual(['APP2', 'APP14']);
    expect(Buffer.from(r.bytes).equals(Buffer.from(keep))).toBe(true);
  });

  it('a JFIF thumbnail (an image of anything) is cut to the 14-byte header, sized 0 × 0; a JFXX thumbnail segment goes', () => {
    const { frame, ts } = frameOf('hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm');
    // 14 × 1 RGB thumbnail whose bytes spell the identity, then a JFXX segment holding a JPEG thumbnail with a COM.
    const text = `${NAME} ${BIRTH}`.padEnd(42, ' ').slice(0, 42);
    const thumb = segment(0xe0, text, [...Buffer.from('JFIF\0'), 1, 2, 1, 0, 72, 0, 72, 14, 1]);
    const jfxx = segment(0xe0, `${NAME}`, [...Buffer.from('JFXX\0'), 0x10, 0xff, 0xd8, 0xff, 0xfe, 0, 20]);
    const r = stripTextMarkers(insertAt(frame, 2, concat(thumb, jfxx)), ts);
    expect(leaks(r.bytes)).toEqual([]);
    expect(r.removed.map((m) => m.marker)).toEqual(['APP0 JFIF thumbnail', 'APP0']);
    const header = new Uint8Array([0xff, 0xe0, 0, 16, ...Buffer.from('JFIF\0'), 1, 2, 1, 0, 72, 0, 72, 0, 0]);
    expect(Buffer.from(r.bytes).equals(Buffer.from(insertAt(frame, 2, header)))).toBe(true);
  });

  it('a JP2 header box keeps its image boxes and loses any other box nested in it', () => {
    const { frame, ts } = frameOf('hardcases', 'wg04-ct', 'CT1_J2KR');
    const { sig, ftyp, ihdr } = jp2Header();
    const colr = colrBox();
    const xml = box('xml ', new Uint8Array(Buffer.from(`<patient>${NAME} ${BIRTH}</patient>`)));
    const clean = concat(sig, ftyp, box('jp2h', concat(ihdr, colr)), box('jp2c', frame));
    const r = stripTextMarkers(concat(sig, ftyp, box('jp2h', concat(ihdr, xml, colr)), box('jp2c', frame)), ts);
    expect(leaks(r.bytes)).toEqual([]);
    expect(r.removed.map((m) => m.marker)).toEqual(['JP2 box "jp2h/xml "']);
    expect(Buffer.from(r.bytes).equals(Buffer.from(clean))).toBe(true);
    // A clean file passes through as it is.
    expect(stripTextMarkers(clean, ts).removed).toEqual([]);
  });

  it('RLE (wg04 CT1_RLE): text after a segment’s data is removed, the header’s offsets rewritten; pixels decode the same', async () => {
    const path = dataPath('hardcases', 'wg04-ct', 'CT1_RLE');
    const original = new Uint8Array(readFileSync(path));
    const f = readFrames(original);
    const text = new Uint8Array(Buffer.from(`PATIENT ${NAME} DOB ${BIRTH}`));
    const planted = writeFrames(f, [[concat(f.frames[0]![0]!, text)]], f.hadBot);
    expect(leaks(planted).length).toBeGreaterThan(0);
    const out = await anonymiseDataset(planted, 'rle.dcm', { key: KEY });
    expect(leaks(out.bytes)).toEqual([]);
    expect(out.findings.map((x) => x.code)).toContain('PIXEL_TEXT_MARKERS_REMOVED');
    expect(sameFrames(await decoded(out.bytes, 'out.dcm'), await decoded(original, path))).toBe(true);
    // The unplanted file passes through with its frame byte for byte (its segments' even padding kept).
    const clean = await anonymiseDataset(original, path, { key: KEY });
    expect(clean.findings.map((x) => x.code)).not.toContain('PIXEL_TEXT_MARKERS_REMOVED');
    expect(Buffer.from(readFrames(clean.bytes).frames[0]![0]!).equals(Buffer.from(f.frames[0]![0]!))).toBe(true);
  });

  it('HTJ2K transfer syntaxes are read as J2K code streams', () => {
    const { frame } = frameOf('hardcases', 'wg04-ct', 'CT1_J2KR');
    const r = stripTextMarkers(plantJ2k(frame), '1.2.840.10008.1.2.4.201');
    expect(Buffer.from(r.bytes).equals(Buffer.from(frame))).toBe(true);
  });

  it('refuses what it cannot follow: truncated stream, unknown marker, segment past the end, video', () => {
    const { frame, ts } = frameOf('hardcases', 'wg04-ct', 'CT1_JPLL');
    const j2k = frameOf('hardcases', 'wg04-ct', 'CT1_J2KR').frame;
    const cases: Array<[Uint8Array, string, RegExp]> = [
      [frame.subarray(0, frame.length >> 1), ts, /no EOI|without a following marker/],
      [insertAt(frame, 2, new Uint8Array([0xff, 0xf1, 0, 4, 1, 2])), ts, /unknown marker FFF1/],
      [concat(frame.subarray(0, 2), new Uint8Array([0xff, 0xfe, 0xff, 0xf0, 1, 2])), ts, /runs past the end/],
      [frame, '1.2.840.10008.1.2.4.100', /cannot check/],
      [frameOf('hardcases', 'wg04-ct', 'CT1_J2KR').frame.subarray(0, 300), '1.2.840.10008.1.2.4.90', /JPEG 2000 code stream/],
      // A reserved J2K marker segment (FF6A) in the main header could hold anything: refused, not copied unread.
      [insertAt(j2k, 4 + ((j2k[4]! << 8) | j2k[5]!), new Uint8Array([0xff, 0x6a, 0, 4, 0x41, 0x42])), '1.2.840.10008.1.2.4.90',
        /unexpected marker FF6A/],
    ];
    for (const [bytes, t, re] of cases) {
      let err: unknown;
      try {
        stripTextMarkers(bytes, t);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PixelMarkerError);
      expect((err as Error).message).toMatch(re);
    }
  });

  it('the anonymiser refuses a file whose frame is truncated, with a finding naming it (never passes it through)', async () => {
    const p = dataPath('hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm');
    const f = readFrames(new Uint8Array(readFileSync(p)));
    const frame = concat(...f.frames[0]!);
    const cut = writeFrames(f, [[insertAt(frame.subarray(0, 600), 2, JPEG_TEXT())]], false);
    let err: unknown;
    try {
      await anonymiseDataset(cut, p, { key: KEY });
    } catch (e) {
      err = e;
    }
    expect(isScanError(err) && err.code).toBe('ANON_PIXEL_DATA_UNPARSEABLE');
    expect(String((err as Error).message)).toMatch(/cannot be checked for embedded text.*frame 1: JPEG code stream/);
  });

  it('the anonymiser refuses encapsulated pixel data in a transfer syntax it cannot parse (MPEG-2)', async () => {
    const p = dataPath('hardcases', 'cornerstone-ct-ts', 'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm');
    const f = readFrames(new Uint8Array(readFileSync(p)));
    const meta = f.meta.map((e) => (e.tag === 0x00020010 ? { ...e, value: encodeValue('1.2.840.10008.1.2.4.100', 'UI') } : e));
    const video = writeDicom(meta, f.ds, '1.2.840.10008.1.2.4.100');
    await expect(anonymiseDataset(video, p, { key: KEY })).rejects.toMatchObject({ code: 'ANON_PIXEL_DATA_UNPARSEABLE' });
  });
});

import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan2printAsync } from '../../../../test/cli.js';
import { dataPath } from '../../../../test/data.js';
import { listZip, readZipEntry } from './zip.js';

const dir = mkdtempSync(join(tmpdir(), 's2p-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Writes a zip with one deflated entry of `mib` MiB: `block` (1 MiB) repeated. The deflate stream
 * is one sync-flushed (byte-aligned, non-final) compression of the block repeated, then an empty
 * final block — valid because the repeats only refer back to copies of the same bytes. The test
 * holds 1 MiB and the file is about 1 MB, however large the entry says it is.
 */
function writeRepeatedZip(file: string, name: string, block: Uint8Array, mib: number, declared = mib * 2 ** 20): void {
  const piece = deflateRawSync(block, { finishFlush: constants.Z_SYNC_FLUSH });
  const tail = Uint8Array.of(0x03, 0x00); // final fixed-Huffman block with only end-of-block
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(block, crc);
  const compressed = piece.length * mib + tail.length;
  const nameBytes = new TextEncoder().encode(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(compressed, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(compressed, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = 30 + nameBytes.length + compressed;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + nameBytes.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, local);
    writeSync(fd, nameBytes);
    for (let i = 0; i < mib; i++) writeSync(fd, piece);
    writeSync(fd, tail);
    writeSync(fd, central);
    writeSync(fd, nameBytes);
    writeSync(fd, eocd);
  } finally {
    closeSync(fd);
  }
}

describe('zip entries are streamed and capped', () => {
  const zeros = join(dir, 'zeros.zip');
  writeRepeatedZip(zeros, 'series/IM0001.dcm', new Uint8Array(2 ** 20), 1024);

  it('refuses a 1 GiB entry of zeros after its first chunk, naming the entry, without inflating it', async () => {
    const [entry] = await listZip(zeros);
    expect(entry!.size).toBe(2 ** 30);
    const err = (await readZipEntry(zeros, entry!).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; message?: string } | undefined;
    expect(err?.code).toBe('ZIP_NOT_DICOM');
    expect(err?.message).toContain('series/IM0001.dcm');
    expect(err?.message).toMatch(/does not start like DICOM/);
    // it says how far it went: a chunk or two, not the gigabyte
    const stopped = Number(/stopped after ([\d.]+) MiB/.exec(err!.message!)![1]);
    expect(stopped).toBeLessThanOrEqual(2);
  });

  it('the CLI says so and exits 3 (input unusable), naming the entry', async () => {
    const r = await runScan2printAsync(['inspect', zeros], { timeout_ms: 120_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('IM0001.dcm');
    expect(r.stderr).toMatch(/does not start like DICOM/);
  });

  it('refuses an entry that inflates past its declared size (zip bomb), and reads a true one exactly', async () => {
    // DICOM-like start (preamble + DICM), 20 MiB real, declaring 17 MiB
    const block = new Uint8Array(2 ** 20);
    block.set([0x44, 0x49, 0x43, 0x4d], 128);
    const bomb = join(dir, 'bomb.zip');
    writeRepeatedZip(bomb, 'a.dcm', block, 20, 17 * 2 ** 20);
    const [e] = await listZip(bomb);
    await expect(readZipEntry(bomb, e!)).rejects.toMatchObject({ code: 'ZIP_CORRUPT', message: expect.stringMatching(/more than its declared/) });
    const small = join(dir, 'small.zip');
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 255);
    writeFileSync(small, zipSync({ 'x/b.bin': bytes }));
    const [s] = await listZip(small);
    expect(Buffer.from(await readZipEntry(small, s!)).equals(Buffer.from(bytes))).toBe(true);
    // an entry over the cap is refused before any read
    await expect(readZipEntry(small, s!, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'ZIP_ENTRY_TOO_LARGE' });
  });

  it('refuses an entry whose bytes do not match its CRC-32 (a stored slice with 100 bytes changed was modelled as the scan)', async () => {
    const series = dataPath('ct/philips-head-phantom-1mm');
    const name = readdirSync(series).filter((f) => f !== 'DIRFILE').sort()[0]!;
    const slice = new Uint8Array(readFileSync(join(series, name)));
    const zip = zipSync({ [`s/${name}`]: slice }, { level: 0 });
    // Stored: the slice's bytes lie in the zip as they are; change 100 of them near its end (pixel data).
    const at = Buffer.from(zip).indexOf(Buffer.from(slice.subarray(slice.length - 4096, slice.length - 4000)));
    expect(at).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) zip[at + i] ^= 0x5a;
    const bad = join(dir, 'bad-crc.zip');
    writeFileSync(bad, zip);
    const [e] = await listZip(bad);
    await expect(readZipEntry(bad, e!)).rejects.toMatchObject({ code: 'ZIP_CORRUPT', message: expect.stringMatching(new RegExp(`bad-crc\\.zip!/s/${name}: entry's bytes do not match its CRC-32`)) });
    const r = await runScan2printAsync(['inspect', bad], { timeout_ms: 120_000 });
    expect(r.stderr).toContain(`s/${name}: entry's bytes do not match its CRC-32`);
  });
});

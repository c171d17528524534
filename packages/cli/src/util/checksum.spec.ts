/**
 * The CLI's asynchronous SHA-256 (WebCrypto on libuv's threads) gives the synchronous hex on
 * real DICOM files, and hashes the bytes as they were when it was called.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../../../test/data.js';
import { sha256Hex, sha256HexAsync } from './checksum.js';

describe('sha256HexAsync', () => {
  it('gives sha256Hex on real files', async () => {
    const dir = dataPath('ct/philips-head-phantom-1mm');
    const files = readdirSync(dir).sort().slice(0, 20).map((n) => new Uint8Array(readFileSync(join(dir, n))));
    expect(await Promise.all(files.map(sha256HexAsync))).toEqual(files.map((b) => sha256Hex(b)));
    expect(await sha256HexAsync(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes the bytes as they were when called', async () => {
    const bytes = new Uint8Array(1 << 20).fill(7);
    const want = sha256Hex(bytes);
    const pending = sha256HexAsync(bytes);
    bytes.fill(0); // the import may hand the bytes on (a worker) or let them go
    expect(await pending).toBe(want);
  });
});

/**
 * The import half of the convert job records the same input checksum whether the host hashes
 * each file as it is read (sha256Hex) or off the calling thread (sha256HexAsync), however the
 * asynchronous hashes finish: on a real series (ct/philips-head-phantom-1mm).
 */
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../../test/data.js';
import { seriesSources } from '../../../../test/series.js';
import { sha256, toHex } from '../anonymise/sha256.js';
import type { StageRecord } from './record.js';
import type { ConvertJobHost, ConvertJobRequest } from './job-types.js';
import { importForConvert } from './job-import.js';
import { hashingSources } from './job-series.js';

const hex = (b: Uint8Array) => toHex(sha256(b));
const dir = dataPath('ct/philips-head-phantom-1mm');

/** An asynchronous hasher whose results come back in another order than the files were read. */
function shuffledAsyncHex(): { hexAsync: (b: Uint8Array) => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    hexAsync: (b) => {
      const sha = hex(b);
      const delay = (n++ * 7) % 5;
      return new Promise((res) => setTimeout(() => res(sha), delay));
    },
    calls: () => n,
  };
}

async function inputRecord(host: ConvertJobHost): Promise<StageRecord> {
  const req = { sources: seriesSources(dir), inputLabel: dir } as ConvertJobRequest;
  const records: StageRecord[] = [];
  const imported = await importForConvert(req, host, records, hex, {});
  imported.takeVolume();
  return records.find((r) => r.stage === 'input')!;
}

describe('input checksum', () => {
  it('hashingSources: an asynchronous hasher gives the synchronous digest', async () => {
    const read = async (h: ReturnType<typeof hashingSources>) => {
      // reversed: the digest is in path order whatever the read order
      for (const s of [...h.sources].reverse()) await s.read();
      return h.digest();
    };
    const shuffled = shuffledAsyncHex();
    const sync = await read(hashingSources(seriesSources(dir), hex));
    const async = await read(hashingSources(seriesSources(dir), hex, shuffled.hexAsync));
    expect(shuffled.calls()).toBe(sync.files);
    expect(async).toEqual(sync);
    expect(sync.files).toBe(141);
  });

  it('importForConvert records the same input figures with sha256HexAsync', async () => {
    const shuffled = shuffledAsyncHex();
    const sync = await inputRecord({});
    const async = await inputRecord({ sha256HexAsync: shuffled.hexAsync });
    expect(shuffled.calls()).toBe(141); // every file went through the host's asynchronous hasher
    expect(async).toEqual(sync);
    // the checksum the convert recorded before hashing went off the main thread
    expect(sync.figures).toMatchObject({ files: 141, skippedFiles: 0, sha256: 'c8a15570c97c07c7b279360146b1d60952f879a137e8f182effa0f22a2449b9a' });
  }, 60_000);

  it('a failed asynchronous hash fails the import', async () => {
    const host: ConvertJobHost = { sha256HexAsync: () => Promise.reject(new Error('hash failed')) };
    await expect(inputRecord(host)).rejects.toThrow('hash failed');
  }, 60_000);
});

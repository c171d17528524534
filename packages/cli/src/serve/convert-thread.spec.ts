/**
 * The convert thread's failures reach the server as the error core threw: a ScanError with
 * its code, kind and file, not a rebuilt one that lost the file (the job's message to the
 * user names the file from it). Runs the compiled thread entry in dist/ (the test command builds first).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertJobSettings, isScanError, runConvertJob } from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
import { linkedSubset, phantomFirstSlices } from '../../../../test/series-subset.js';
import { collectInputs } from '../io/inputs.js';
import { convertOnThread } from './convert-thread.js';

describe('convertOnThread', () => {
  it('a malformed DICOM (pydicom MR_truncated.dcm) fails the job with a ScanError naming the file', async () => {
    // PixelData declares 8192 bytes and the file holds 8130: core refuses the one input as UNREADABLE_DICOM.
    const bytes = new Uint8Array(readFileSync(dataPath('hardcases', 'pydicom', 'MR_truncated.dcm')));
    const name = 'upload/MR_truncated.dcm';
    const outputs: string[] = [];
    const err: unknown = await convertOnThread(
      {
        sources: [{ name, read: async () => bytes }],
        inputLabel: 'upload',
        segmentation: { method: { method: 'auto-threshold' } },
        condition: { smooth: false, minShell_mm3: 1 },
        outputs: { models: ['m.stl'] },
        now: new Date(Date.UTC(2026, 0, 1)),
      },
      { progress: () => {}, sink: async (n) => void outputs.push(n) },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isScanError(err), String(err)).toBe(true);
    if (!isScanError(err)) return;
    expect(err.file).toBe(name);
    expect(err.code).toBe('UNREADABLE_DICOM');
    expect(err.kind).toBe('input');
    expect(err.message).toMatch(/^upload\/MR_truncated\.dcm: .*truncated/i);
    expect(outputs).toEqual([]);
  });

  it('converts 40 real slices to the same STL bytes as the job run here, its input files handed over in shared blocks', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 's2p-thread-'));
    try {
      const dir = linkedSubset(tmp, 'ct', dataPath('ct/philips-head-phantom-1mm'), phantomFirstSlices(40));
      const { sources } = await collectInputs([dir]);
      // Each read hands out a fresh buffer (as a store does); the thread gets a shared block's copy.
      const job = { sources, inputLabel: 'ct', ...convertJobSettings({}), outputs: { models: ['m.stl'] }, now: new Date(Date.UTC(2026, 0, 1)) };
      const onThread = new Map<string, Uint8Array>();
      await convertOnThread(job, { progress: () => {}, sink: async (n, b) => void onThread.set(n, b) });
      const here = new Map<string, Uint8Array>();
      await runConvertJob(job, { sink: (n, b) => void here.set(n, b) });
      const stl = onThread.get('m.stl');
      expect(stl && stl.length).toBeGreaterThan(84);
      expect(Buffer.from(stl!).equals(Buffer.from(here.get('m.stl')!))).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

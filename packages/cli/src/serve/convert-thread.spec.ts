/**
 * The convert thread's failures reach the server as the error core threw: a ScanError with
 * its code, kind and file, not a rebuilt one that lost the file (the job's message to the
 * user names the file from it). Runs the compiled thread entry in dist/ (the test command builds first).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isScanError } from '@scan2print/core';
import { dataPath } from '../../../../test/data.js';
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
});

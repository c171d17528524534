// A user's input error found inside a worker thread must reach the command as that same
// error (exit 3, file named), not as an internal error: structured clone drops the class.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isScanError, parseDicomHeader, type WorkerPool } from '@scan2print/core';
import { createNodePool } from './node-pool.js';
import { reportError } from '../run.js';

/** The exit code the command would end with, and what it would print. */
function exitOf(err: unknown): { code: number; said: string } {
  let said = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((said += String(s)), true));
  try {
    return { code: reportError(err), said };
  } finally {
    spy.mockRestore();
  }
}

const data = process.env.SCAN2PRINT_DATA ?? resolve(import.meta.dirname, '../../../../../shared/data');
const file = resolve(data, 'hardcases/pydicom/CT_small.dcm');

describe('errors thrown inside a worker thread', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = createNodePool(1);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('an input error from a real decode keeps its kind, code and file', async () => {
    const bytes = new Uint8Array(readFileSync(file));
    const inst = parseDicomHeader(bytes, file)!;
    expect([inst.rows, inst.columns]).toEqual([128, 128]);
    // the stack's plane is not the image's: the worker's decode refuses the frame (FRAME_SIZE)
    const plane = 7;
    const stack = new Int16Array(new SharedArrayBuffer(2 * plane));
    const err = await pool.run('dicom.decodeIntoStack', { inst, bytes, stack, plane, slots: Int32Array.of(0) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isScanError(err)).toBe(true);
    if (!isScanError(err)) return;
    expect(err.kind).toBe('input');
    expect(err.code).toBe('FRAME_SIZE');
    expect(err.file).toBe(file);
    expect(err.message.startsWith(`${file}: `)).toBe(true);
    expect(err.message).toContain('expected 128×128');
    const { code, said } = exitOf(err);
    expect(code).toBe(3);
    expect(said).not.toContain('internal error');
  });

  it('a task that does not exist is an internal error, not an input one', async () => {
    const err = await pool.run('no.such.task', {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isScanError(err)).toBe(false);
    expect(exitOf(err).code).toBe(4);
  });
});

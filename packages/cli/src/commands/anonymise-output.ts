/**
 * The output side of `scan2print anonymise`: checks made before any file is read (the output
 * folder and a key file to be created must be writable: exit 3 naming them, not an internal
 * error from mkdir), and what an earlier run left in the same folder, so that its summary
 * (anonymisation.json) lists every file there, not only this run's.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { usageError } from '@scan2print/core';
import { preflightOutputs, unwritableReason } from '../util/output-set.js';

export const SUMMARY_FILE = 'anonymisation.json';

export interface OutputEntry {
  file: string;
  patientKey: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  modality?: string;
  transferSyntax: string;
  bytes: number;
}

/** `child` is `parent` or lies under it (both absolute). */
export function within(child: string, parent: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** The path with links resolved where it exists (the output folder may not exist yet: its nearest existing parent). */
function real(p: string): string {
  const abs = resolve(p);
  if (existsSync(abs)) return realpathSync(abs);
  const parent = dirname(abs);
  return parent === abs ? abs : join(real(parent), basename(abs));
}

/**
 * Refuses an output folder that holds an input, or lies inside an input folder: the folder meant to
 * be sent would hold the identifiable originals beside their anonymised copies, and the next run
 * would read its own outputs as inputs (new UIDs, new patient keys: duplicates).
 */
export function refuseOverlap(outDir: string, inputs: readonly string[]): void {
  const out = real(outDir);
  for (const input of inputs) {
    const inp = real(input);
    if (within(inp, out)) {
      throw usageError('INPUT_IN_OUTPUT', `the input ${input} is inside the output folder ${outDir}, which is meant to be sent: the originals would sit beside their anonymised copies; choose an output folder outside the inputs`);
    }
    if (within(out, inp)) {
      throw usageError('OUTPUT_IN_INPUT', `the output folder ${outDir} is inside the input folder ${input}: the next run would read the anonymised files as inputs; choose an output folder outside the inputs`);
    }
  }
}

/** Refuses an output folder that is a file (or under one) or cannot be written, and a new key file that cannot be made. */
export function preflightAnonymise(outDir: string, keyPath: string): void {
  preflightOutputs([join(outDir, SUMMARY_FILE)]);
  if (!existsSync(keyPath)) {
    const why = unwritableReason(keyPath);
    if (why) throw usageError('KEY_FILE_UNWRITABLE', `${keyPath}: cannot create the key file: ${why}`);
  }
}

/**
 * The files an earlier run's summary lists that are still in the folder and that this run
 * did not write again (its entries replace theirs). An unreadable or foreign summary: none.
 */
export function earlierOutputs(outDir: string, written: ReadonlySet<string>): OutputEntry[] {
  let before: { tool?: unknown; outputs?: unknown };
  try {
    before = JSON.parse(readFileSync(join(outDir, SUMMARY_FILE), 'utf8')) as typeof before;
  } catch {
    return [];
  }
  if (before.tool !== 'scan2print' || !Array.isArray(before.outputs)) return [];
  return (before.outputs as OutputEntry[]).filter(
    (o) => typeof o?.file === 'string' && typeof o.patientKey === 'string' && !written.has(o.file) && !o.file.includes('/') && existsSync(join(outDir, o.file)),
  );
}

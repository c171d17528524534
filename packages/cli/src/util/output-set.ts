/**
 * The outputs of one command, written all or nothing: every file goes to a hidden temporary
 * beside its target, and only when all exist are they renamed into place. A failure or an
 * interrupt (SIGINT/SIGTERM) removes the temporaries, so no `.partial` file and no partial
 * set (models without their report) is ever left. `preflight` checks the targets before
 * any work, so an unwritable output fails in a second, not after the whole run.
 */
import { accessSync, constants, mkdirSync, openSync, closeSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { inputError, usageError } from '@scan2print/core/job';
import { onInterrupt } from './interrupt.js';

let serial = 0;

/** Why `path` cannot be written, or undefined when it can (nothing is created). */
export function unwritableReason(path: string): string | undefined {
  const abs = resolve(path);
  try {
    if (statSync(abs).isDirectory()) return 'is a folder, expected a file name';
  } catch {
    // absent: fine, its folder decides
  }
  // The nearest existing ancestor must be a writable folder (missing folders are created).
  let dir = dirname(abs);
  for (;;) {
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) return `${dir} is not a folder`;
      break;
    } catch {
      const up = dirname(dir);
      if (up === dir) return 'no existing folder above it';
      dir = up;
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return `folder ${dir} is not writable`;
  }
  // Permission bits do not tell about read-only mounts (or root): probe with a real file.
  const probe = join(dir, `.scan2print-probe.${process.pid}.${serial++}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (e) {
    return `folder ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  return undefined;
}

/** The file `path` names (device and inode, so links count as the same file), or undefined when there is none. */
function fileId(path: string): string | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses (exit 3, naming the path) outputs that cannot be written, duplicates, and outputs
 * that are one of the command's input files (`inputs`): the run would replace what it reads,
 * and a failed or interrupted run would leave neither.
 */
export function preflightOutputs(paths: string[], inputs: readonly string[] = []): void {
  const seen = new Set<string>();
  const read = new Set(inputs.map(fileId).filter((id) => id !== undefined));
  for (const p of paths) {
    const abs = resolve(p);
    // A usage mistake (exit 2), e.g. --thresholds 200,200 naming one file twice.
    if (seen.has(abs)) throw usageError('OUTPUT_TWICE', `${p}: named twice as an output`);
    seen.add(abs);
    const id = fileId(abs);
    if (id !== undefined && read.has(id)) throw inputError('OUTPUT_IS_INPUT', 'is one of the inputs: writing it would replace the file being read (choose another output name)', p);
    const why = unwritableReason(p);
    if (why) throw inputError('OUTPUT_UNWRITABLE', `cannot write the output: ${why}`, p);
  }
}

export class OutputSet {
  private readonly temps = new Map<string, string>();
  private readonly release: () => void;
  private closed = false;

  constructor() {
    this.release = onInterrupt(() => this.abort());
  }

  /** Writes `bytes` for `path` under a temporary name; nothing carries `path` until commit. */
  write(path: string, bytes: Uint8Array | string): void {
    if (this.closed) throw new Error('output set already closed');
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    const tmp = this.temps.get(path) ?? join(dir, `.${basename(path)}.${process.pid}.${serial++}.partial`);
    this.temps.set(path, tmp);
    writeFileSync(tmp, bytes);
  }

  /** Renames every temporary into place; on any failure removes what this set wrote. */
  commit(): string[] {
    const done: string[] = [];
    try {
      for (const [path, tmp] of this.temps) {
        renameSync(tmp, path);
        done.push(path);
      }
    } catch (e) {
      for (const p of done) rmSync(p, { force: true });
      this.abort();
      throw e;
    }
    this.temps.clear();
    this.close();
    return done;
  }

  /** Removes every temporary (idempotent). */
  abort(): void {
    for (const tmp of this.temps.values()) rmSync(tmp, { force: true });
    this.temps.clear();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

/**
 * Test hook: SCAN2PRINT_TEST_HOLD_COMMIT_MS holds every output as a temporary for that long
 * before the renames, so a test can interrupt at a known point (no race with a fast run).
 */
export async function holdForTests(): Promise<void> {
  const ms = Number(process.env.SCAN2PRINT_TEST_HOLD_COMMIT_MS ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** Runs `body` with an output set: committed when it returns, aborted when it throws. */
export async function withOutputs<T>(body: (out: OutputSet) => Promise<T>): Promise<T> {
  const out = new OutputSet();
  try {
    const r = await body(out);
    await holdForTests();
    out.commit();
    return r;
  } catch (e) {
    out.abort();
    throw e;
  }
}

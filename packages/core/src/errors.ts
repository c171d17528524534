/**
 * Errors a user can act on. `kind` decides the CLI exit code:
 * usage → 2, input → 3 (the input is unusable; the message names file and reason),
 * internal → 4. Core code throws these instead of bare Errors wherever the cause is
 * known, so no caller ever needs to print a stack trace for a user's mistake.
 */
export type ErrorKind = 'usage' | 'input' | 'internal';

export class ScanError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly file: string | undefined;

  constructor(code: string, message: string, opts: { kind?: ErrorKind; file?: string; cause?: unknown } = {}) {
    super(opts.file ? `${opts.file}: ${message}` : message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'ScanError';
    this.code = code;
    this.kind = opts.kind ?? 'input';
    this.file = opts.file;
  }
}

export function inputError(code: string, message: string, file?: string, cause?: unknown): ScanError {
  return new ScanError(code, message, { kind: 'input', ...(file !== undefined ? { file } : {}), cause });
}

export function usageError(code: string, message: string): ScanError {
  return new ScanError(code, message, { kind: 'usage' });
}

export function isScanError(e: unknown): e is ScanError {
  return e instanceof ScanError;
}

/** A ScanError as it crosses a thread boundary (structured clone drops the class). */
export interface ScanErrorWire {
  message: string;
  code?: string;
  kind?: string;
  file?: string;
  /** A plain Error's stack from the other thread, for the log. */
  stack?: string;
}

/**
 * What a worker thread posts for an error it caught (scanErrorFromWire rebuilds it): every
 * field of a ScanError, so its kind and file survive; a plain Error's message and stack.
 */
export function scanErrorToWire(e: unknown): ScanErrorWire {
  if (isScanError(e)) return { message: e.message, code: e.code, kind: e.kind, ...(e.file !== undefined ? { file: e.file } : {}) };
  const err = e as Error | undefined;
  return { message: String(err?.message ?? e), ...(err?.stack ? { stack: err.stack } : {}) };
}

/**
 * The error a worker thread reported, rebuilt on this side: a ScanError again when the
 * worker threw one, so an unreadable input found inside a worker still ends as exit 3 with
 * its file named, not as an internal error. The message already carries the file's name.
 */
export function scanErrorFromWire(wire: ScanErrorWire): Error {
  const kinds: readonly string[] = ['usage', 'input', 'internal'];
  if (!wire.code || !wire.kind || !kinds.includes(wire.kind)) {
    const plain = new Error(wire.message);
    if (wire.stack) plain.stack = wire.stack;
    return plain;
  }
  const err = new ScanError(wire.code, wire.message, { kind: wire.kind as ErrorKind });
  if (wire.file !== undefined) (err as { file: string | undefined }).file = wire.file;
  return err;
}

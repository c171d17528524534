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

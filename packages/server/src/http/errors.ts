/**
 * Every error leaves as JSON `{error: {code, message}}` with a 4xx for anything the client
 * can fix and 503 when the database or storage does not answer; a 500 means our bug.
 */
import { isScanError } from '@scan2print/core';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** What the server's log says instead of the message, where the message quotes words not to be logged (a PACS's answer). */
    readonly logMessage?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, 'NOT_FOUND', `${what} not found`);
export const forbidden = (why: string) => new HttpError(403, 'FORBIDDEN', why);
export const badRequest = (code: string, message: string) => new HttpError(400, code, message);

const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ECONNABORTED|EAI_AGAIN|connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|terminating connection|Connection ended unexpectedly|not queryable|ENOTFOUND|socket hang up|Client was closed/i;

/** Node's and the PostgreSQL protocol's codes for a peer that is gone or not answering. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ENOTFOUND',
  'ENOSPC', 'EROFS', 'EIO',
  // PostgreSQL: admin/crash shutdown, cannot connect now, connection failures, too many connections.
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300',
]);

/**
 * Database or object store not answering (PostgreSQL down, S3 down, disk gone): the cause
 * chain is followed, as the AWS SDK and pg wrap the socket's error.
 */
export function isUnavailable(e: unknown, depth = 0): boolean {
  const err = e as { code?: string; message?: string; name?: string; cause?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!err || typeof err !== 'object' || depth > 4) return false;
  if (typeof err.code === 'string' && UNAVAILABLE_CODES.has(err.code)) return true;
  if (err.name === 'TimeoutError') return true;
  if ((err.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (UNAVAILABLE.test(String(err.message ?? ''))) return true;
  return err.cause !== undefined && isUnavailable(err.cause, depth + 1);
}

/** Which part failed: the store marks its errors (storage/store.ts markingFailures); else the database. */
function unavailablePart(e: unknown, depth = 0): string {
  const err = e as { unavailablePart?: string; cause?: unknown } | undefined;
  if (!err || typeof err !== 'object' || depth > 4) return 'database';
  return err.unavailablePart ?? (err.cause !== undefined ? unavailablePart(err.cause, depth + 1) : 'database');
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: unknown };
}

export function errorResponse(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof HttpError) return { status: e.status, body: { error: { code: e.code, message: e.message } } };
  if (isScanError(e)) {
    const status = e.kind === 'usage' ? 400 : e.kind === 'input' ? 422 : 500;
    return { status, body: { error: { code: e.code, message: e.message } } };
  }
  // PostgreSQL refuses text holding U+0000 (22P05 in jsonb, 22021 in text): the client's data, not our bug.
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === '22P05' || code === '22021') {
    return { status: 400, body: { error: { code: 'BAD_TEXT', message: 'text may not hold the NUL character (U+0000) or bytes that are not UTF-8' } } };
  }
  if (isUnavailable(e)) {
    return { status: 503, body: { error: { code: 'UNAVAILABLE', message: `the ${unavailablePart(e)} is not answering; try again shortly` } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error (logged)' } } };
}

/** Engine errors whose messages describe code (a property of undefined, an array length), not a client's data. */
const CODE_ERRORS = new Set(['TypeError', 'ReferenceError', 'RangeError']);

/**
 * An unexpected error as a log may hold it: its type, code and stack frames, and its message
 * only for engine errors about code. Other messages may quote a client's file name (which
 * can be a patient's name), a DICOM value or a request body: those go to the client alone.
 */
export function errorForLog(e: unknown): { type: string; code?: string; detail?: string; stack: string } {
  type Fields = { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const err = (typeof e === 'object' && e !== null ? e : {}) as Fields;
  const type = typeof err.name === 'string' ? err.name : typeof e;
  const frames = typeof err.stack === 'string' ? err.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') : '';
  return {
    type,
    ...(typeof err.code === 'string' ? { code: err.code } : {}),
    // Not named `message`: pino would then take the object for an Error and rename its type.
    ...(CODE_ERRORS.has(type) && typeof err.message === 'string' ? { detail: err.message } : {}),
    stack: frames,
  };
}

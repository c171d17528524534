/**
 * One HTTP exchange with a DICOMweb server (QIDO-RS, WADO-RS, STOW-RS), the way every one
 * of them is made: under a silence timer, its failures said as PacsErrors that name the
 * destination: PACS_UNREACHABLE (no connection), PACS_FAILED (the answer broke off, or
 * an HTTP error), PACS_TIMEOUT (connected, then silent).
 */
import { PacsError } from './send-dimse.js';

/** A DICOMweb base URL without its trailing slash (…/dicom-web). */
export const webBase = (url: string) => url.replace(/\/+$/, '');

export interface WebAuth {
  /** Extra request headers (e.g. Authorization: Bearer …); never logged. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** The destination as errors name it (its name); the URL is named too. */
  peer?: string;
  /** How long the server may stay silent (default WEB_SILENCE_MS; STOW-RS adds upload time). */
  silenceMs?: number;
}

/**
 * How long a DICOMweb server may stay silent: before it answers a query or a stored study,
 * and between the chunks of a retrieve. Comparable to a DIMSE destination's 10 s to accept
 * an association, longer because the answer is the work itself (a QIDO-RS search, a
 * WADO-RS study being read from disk). Without it a server that accepts the connection and
 * never answers holds the request for minutes, then reads as "could not connect".
 */
export const WEB_SILENCE_MS = 30_000;

/** A timer that aborts a request when the server stays silent for `ms`; touch() when it spoke. */
export interface Silence {
  signal: AbortSignal;
  touch(): void;
  /** The error to throw when the request failed: a timeout naming the destination, else `otherwise`. */
  failure(what: string, otherwise: PacsError): PacsError;
  clear(): void;
}

export function silence(url: string, auth: WebAuth, ms = auth.silenceMs ?? WEB_SILENCE_MS): Silence {
  const ctl = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error('timed out'));
    }, ms);
  };
  touch();
  const signal = auth.signal ? AbortSignal.any([auth.signal, ctl.signal]) : ctl.signal;
  return {
    signal,
    touch,
    failure(what, otherwise) {
      if (!timedOut) return otherwise;
      return new PacsError('PACS_TIMEOUT', `${what} ${whoOf(url, auth)}: timed out, no answer within ${Math.round(ms / 1000)} s (the server accepted the connection)`);
    },
    clear: () => clearTimeout(timer),
  };
}

/** The destination in an error: its name and the URL, or the URL. */
export const whoOf = (url: string, auth: WebAuth) => (auth.peer ? `to ${auth.peer} (${url})` : url);

/** Why fetch failed: undici puts the network's reason in `cause`. */
export const fetchReason = (e: unknown) => (e instanceof Error && e.cause instanceof Error ? e.cause.message : (e as Error).message);

/** An answer with an HTTP status the caller does not take: PACS_FAILED with the status and the start of the answer. */
export function httpFailure(what: string, url: string, auth: WebAuth, status: number, answer: string): PacsError {
  const words = answer.slice(0, 300).replace(/\s+/g, ' ').trim();
  return new PacsError('PACS_FAILED', `${what} ${whoOf(url, auth)}: HTTP ${status}${words ? ` ${words}` : ''}`, words);
}

export interface WebRequestOptions<B> {
  /** The silence allowed (default auth.silenceMs, else WEB_SILENCE_MS). */
  silenceMs?: number;
  /** Reads the answer's body (default: as text); touch `quiet` as chunks arrive to count silence between them. */
  read?: (r: Response, quiet: Silence) => Promise<B>;
}

/**
 * `what` (QIDO-RS, WADO-RS, STOW-RS) to `url`: the response and its body, read whole.
 * The status is the caller's to judge (httpFailure for one it does not take).
 */
export function webRequest(what: string, url: string, auth: WebAuth, init: RequestInit, opts?: { silenceMs?: number }): Promise<{ response: Response; body: string }>;
export function webRequest<B>(what: string, url: string, auth: WebAuth, init: RequestInit, opts: WebRequestOptions<B> & Required<Pick<WebRequestOptions<B>, 'read'>>): Promise<{ response: Response; body: B }>;
export async function webRequest<B>(what: string, url: string, auth: WebAuth, init: RequestInit, opts: WebRequestOptions<B> = {}): Promise<{ response: Response; body: B | string }> {
  const quiet = silence(url, auth, opts.silenceMs ?? auth.silenceMs ?? WEB_SILENCE_MS);
  try {
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers: { ...auth.headers, ...(init.headers as Record<string, string> | undefined) }, signal: quiet.signal });
    } catch (e) {
      throw quiet.failure(what, new PacsError('PACS_UNREACHABLE', `${what} ${whoOf(url, auth)}: could not connect (${fetchReason(e)})`));
    }
    try {
      return { response, body: opts.read ? await opts.read(response, quiet) : await response.text() };
    } catch (e) {
      throw quiet.failure(what, new PacsError('PACS_FAILED', `${what} ${whoOf(url, auth)}: the answer broke off (${fetchReason(e)})`));
    }
  } finally {
    quiet.clear();
  }
}

/**
 * The scan2print server's REST API as `scan2print upload` uses it: one base URL, a bearer
 * token, JSON in and out, and every failure turned into a message the user can act on —
 * the server not answering (naming the URL), a refused token (naming SCAN2PRINT_TOKEN and
 * --token), and the server's own 4xx message passed through. The token is never printed.
 */
import { inputError, usageError, type ScanError } from '@scan2print/core';

export interface ServerClient {
  /** The server's base URL as the user gave it, without a trailing `/` or `/api`. */
  readonly base: string;
  /** A request; resolves only for a 2xx response, else throws a ScanError (exit 3). */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

/** `http://host:8080`, `http://host:8080/`, `http://host:8080/api` → `http://host:8080`. */
export function serverBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw usageError('BAD_SERVER', `--server ${url}: expected a URL such as http://127.0.0.1:8080`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw usageError('BAD_SERVER', `--server ${url}: expected an http:// or https:// URL`);
  }
  if (u.username || u.password) throw usageError('BAD_SERVER', `--server: put no credentials in the URL; use --token or SCAN2PRINT_TOKEN`);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return `${u.origin}${path}`;
}

/** Plain http to another machine sends the token and the (anonymised) files readable on the way. */
export function isInsecureRemote(base: string): boolean {
  const u = new URL(base);
  return u.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** Why fetch failed, as the operating system said it (ECONNREFUSED, ENOTFOUND, …). */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

export function unreachableError(base: string, e: unknown): ScanError {
  return inputError(
    'SERVER_UNREACHABLE',
    `cannot reach the scan2print server at ${base} (${networkReason(e)}); check --server and that the server runs and answers there`,
  );
}

/** The server's error body `{error: {code, message}}`, or the status line when there is none. */
async function serverMessage(r: Response): Promise<{ code: string; message: string }> {
  const text = await r.text().catch(() => '');
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return { code: e.code ?? `HTTP_${r.status}`, message: e.message };
  } catch {
    // not JSON: a proxy's page, say
  }
  return { code: `HTTP_${r.status}`, message: `${r.status} ${r.statusText}`.trim() };
}

export function createClient(base: string, token: string, fetchImpl: typeof fetch = fetch): ServerClient {
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const isForm = body instanceof FormData;
    let r: Response;
    try {
      r = await fetchImpl(base + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}),
      });
    } catch (e) {
      throw Object.assign(unreachableError(base, e), { unreachable: true });
    }
    if (r.ok) return r;
    const { code, message } = await serverMessage(r);
    if (r.status === 401) {
      throw inputError(
        'BAD_TOKEN',
        `the server at ${base} refused the token (${message}); check SCAN2PRINT_TOKEN or --token (make one: POST /api/users/<id>/tokens)`,
      );
    }
    const what = `${method} ${path}`;
    if (r.status === 503) throw Object.assign(inputError('SERVER_UNAVAILABLE', `${base}: ${what}: ${message}`), { unavailable: true });
    throw Object.assign(inputError(code, `${base}: ${what} → ${r.status}: ${message}`), { status: r.status });
  };
  return {
    base,
    request,
    async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
      const r = await request(method, path, body, headers);
      const text = await r.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/** A failure a retry may cure: the network, or the server's database/storage briefly down (503). */
export function isTransient(e: unknown): boolean {
  const x = e as { unreachable?: boolean; unavailable?: boolean };
  return x?.unreachable === true || x?.unavailable === true;
}

/**
 * Runs `fn` up to `attempts` times while it fails transiently, waiting 1 s, 2 s, 4 s … Only
 * for requests that are safe to repeat: a batch of files (the server keeps one copy per
 * checksum) and a job start with an Idempotency-Key.
 */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 4, onRetry?: (e: unknown, n: number) => void): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await fn();
    } catch (e) {
      if (n >= attempts || !isTransient(e)) throw e;
      onRetry?.(e, n);
      await new Promise((r) => setTimeout(r, 1000 * 2 ** (n - 1)));
    }
  }
}

/**
 * The server's REST API as the app calls it: same origin, the session cookie set by
 * POST /api/session, and its CSRF token on every call that changes something. The token is
 * kept in localStorage (this origin's tabs share it, as they share the cookie), so a case
 * opened in a new tab is logged in too. Errors come back as ApiError with the server's code and message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error answer's parsed JSON body, where a caller needs more than its code and message. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

const CSRF_KEY = 's2p.csrf';

/**
 * Fired on window when the server answers 401 to a call made with a session (it ended: logged
 * out in another tab, expired, revoked), and when another tab logs out (its removal of the CSRF
 * token reaches this tab as a storage event): the app shows the login again, not a page that
 * looks logged in and fails on every click.
 */
export const SESSION_ENDED = 's2p:session-ended';

/** Calls `ended` when the session ends in this tab's calls or in another tab; returns the unsubscribe. */
export function onSessionEnded(ended: () => void): () => void {
  const storage = (e: StorageEvent): void => {
    if (e.key === CSRF_KEY && e.newValue === null) ended();
  };
  window.addEventListener(SESSION_ENDED, ended);
  window.addEventListener('storage', storage);
  return () => {
    window.removeEventListener(SESSION_ENDED, ended);
    window.removeEventListener('storage', storage);
  };
}

export function csrfToken(): string | null {
  return localStorage.getItem(CSRF_KEY);
}

/** Headers every state-changing request carries. */
export function authHeaders(): Record<string, string> {
  const t = csrfToken();
  return t ? { 'x-csrf-token': t } : {};
}

async function failure(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `the server answered ${res.status}`;
  let body: { error?: { code?: string; message?: string } } | undefined;
  try {
    body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message, body);
}

export async function request(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(method === 'GET' || method === 'HEAD' ? {} : authHeaders()) };
  let payload: BodyInit | undefined;
  if (body instanceof Blob || body instanceof FormData || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) payload = body as BodyInit;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, credentials: 'same-origin', ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) }, ...(payload !== undefined ? { body: payload } : {}) });
  if (!res.ok) {
    // A 401 with a session held (not a login attempt, not the first look before one): it ended.
    if (res.status === 401 && csrfToken() !== null && !(method === 'POST' && path === '/api/session')) window.dispatchEvent(new Event(SESSION_ENDED));
    throw await failure(res);
  }
  return res;
}

export async function api<T>(method: string, path: string, body?: unknown, init?: RequestInit): Promise<T> {
  const res = await request(method, path, body, init);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export interface Me {
  id: string;
  email: string;
  role: string;
  orgId: string | null;
}

export async function login(email: string, password: string): Promise<void> {
  const r = await api<{ csrfToken: string }>('POST', '/api/session', { email, password });
  localStorage.setItem(CSRF_KEY, r.csrfToken);
}

export async function logout(): Promise<void> {
  try {
    await api('DELETE', '/api/session');
  } finally {
    localStorage.removeItem(CSRF_KEY);
  }
}

/** The logged-in user, or null when the session is missing or expired. */
export async function currentUser(): Promise<Me | null> {
  try {
    if (!csrfToken()) return null;
    return await api<Me>('GET', '/api/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

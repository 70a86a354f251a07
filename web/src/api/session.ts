// The login session of the web interface: the principal, the CSRF token
// (kept in memory only; a reload gets it back from GET /api/v1/auth/me) and
// the hook that sends the user to the login page when the API answers 401.

export interface Principal {
  kind: 'user' | 'key';
  id: string;
  name: string;
  role: string;
  agency?: string;
}

export interface SessionInfo {
  principal: Principal;
  csrfToken?: string;
  user?: { name?: string; username?: string };
}

let csrfToken = '';
const expiredListeners = new Set<() => void>();

/** Calls l when a request is refused with 401 (the session ended). */
export function onSessionExpired(l: () => void): () => void {
  expiredListeners.add(l);
  return () => {
    expiredListeners.delete(l);
  };
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * fetch with the session: same-origin credentials, the X-CSRF-Token header
 * on writes, and a notice to the login page on 401.
 */
export async function apiFetch(input: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  if (unsafe.has(method) && csrfToken) headers.set('X-CSRF-Token', csrfToken);
  const res = await fetch(input, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 401 && !input.startsWith('/api/v1/auth/')) {
    for (const l of expiredListeners) l();
  }
  return res;
}

async function problemOf(res: Response): Promise<{ type?: string; detail?: string; title?: string }> {
  try {
    return (await res.json()) as { type?: string; detail?: string };
  } catch {
    return { title: res.statusText };
  }
}

/** GET /api/v1/auth/me: the current session, or null when not logged in. */
export async function me(signal?: AbortSignal): Promise<SessionInfo | null> {
  const res = await apiFetch('/api/v1/auth/me', { headers: { Accept: 'application/json' }, signal });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error((await problemOf(res)).detail ?? `HTTP ${res.status}`);
  const s = (await res.json()) as SessionInfo;
  csrfToken = s.csrfToken ?? '';
  return s;
}

export type LoginFailure = 'invalid' | 'totp' | 'totpSetup' | 'throttled' | 'error';

export class LoginError extends Error {
  readonly reason: LoginFailure;
  readonly retryAfter: number;
  constructor(reason: LoginFailure, detail: string, retryAfter = 0) {
    super(detail);
    this.reason = reason;
    this.retryAfter = retryAfter;
  }
}

/** POST /api/v1/auth/login. */
export async function login(username: string, password: string, totp?: string): Promise<SessionInfo> {
  let res: Response;
  try {
    res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(totp ? { username, password, totp } : { username, password }),
    });
  } catch (err) {
    throw new LoginError('error', err instanceof Error ? err.message : String(err));
  }
  if (res.ok) {
    const s = (await res.json()) as SessionInfo;
    csrfToken = s.csrfToken ?? '';
    return s;
  }
  const p = await problemOf(res);
  const detail = p.detail ?? p.title ?? `HTTP ${res.status}`;
  if (res.status === 429) throw new LoginError('throttled', detail, Number(res.headers.get('Retry-After') ?? 0));
  if ((p.type ?? '').endsWith('TOTPRequired')) throw new LoginError('totp', detail);
  if (res.status === 401) throw new LoginError('invalid', detail);
  if (res.status === 403) throw new LoginError('totpSetup', detail);
  throw new LoginError('error', detail);
}

/** POST /api/v1/auth/logout. */
export async function logout(): Promise<void> {
  await apiFetch('/api/v1/auth/logout', { method: 'POST' });
  csrfToken = '';
}

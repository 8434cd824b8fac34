import { session } from './session';

/** One issue of a 400 / 422 answer's `details.issues` (a path such as `steps[0].type`). */
export interface Issue {
  path: string;
  message: string;
  code?: string;
}

/** The API's one error shape, `{"error": {"code", "message", "details"?}}`, as a thrown value. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get issues(): Issue[] {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as Issue[]) : [];
  }
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

type Query = Record<string, string | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Called on a 401: the key stopped working (revoked, workspace suspended): back to sign-in. */
let onUnauthorized: () => void = () => undefined;
export const setUnauthorizedHandler = (fn: () => void) => {
  onUnauthorized = fn;
};

export const authHeaders = (key = session.key()): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/**
 * A /v1 call with the session's key (or an explicit one, to check it at sign-in). Bodies are JSON,
 * or sent as typed when `contentType` says so (a YAML definition). Throws ApiFailure on 4xx / 5xx.
 */
export async function api<T>(
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; contentType?: string; key?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(opts.key ?? session.key()) };
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] = opts.contentType ?? 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiFailure(0, 'network_error', 'The ingress did not answer (network error)');
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    if (res.status === 401 && opts.key === undefined) onUnauthorized();
    throw new ApiFailure(res.status, error?.code ?? `http_${res.status}`, error?.message ?? `HTTP ${res.status}`, error?.details ?? {});
  }
  return parsed as T;
}

/** A POST to a public URL the API handed out (approve / reject / resume): no API key, as any caller. */
export function postPublic<T>(url: string, body: unknown): Promise<T> {
  return api<T>('POST', sameOriginPath(url), { body, key: '' });
}

/** URLs in answers start with FLOWGATE_PUBLIC_URL; the console calls its own origin (connect-src 'self'). */
export function sameOriginPath(url: string): string {
  try {
    const u = new URL(url, location.origin);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

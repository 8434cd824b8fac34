import type { TriggerInput } from './execution';

/**
 * Parameter capture: a listening window on a workflow's webhook; the next real request is kept as a
 * sample (credentials stripped) from which a parameter schema is inferred.
 */
export const CAPTURE_DEFAULT_WINDOW_S = 180;
export const CAPTURE_MAX_WINDOW_S = 600;

export type CaptureStatus = 'listening' | 'captured' | 'expired';

/** Header and query names that look like credentials or signatures: never kept in a capture. */
const SENSITIVE = /auth|token|secret|signature|api[-_]?key|password|passwd|session|cookie|credential|^webhook-id$/i;

export function isSensitiveName(name: string): boolean {
  return SENSITIVE.test(name);
}

export interface CapturedRequest {
  method: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
}

/** What a capture keeps of a webhook request: no raw body, no credential-like headers or query values. */
export function capturedRequestOf(input: TriggerInput, extraSensitive: readonly string[] = []): CapturedRequest {
  const extra = new Set(extraSensitive.map((n) => n.toLowerCase()));
  const keep = (name: string) => !isSensitiveName(name) && !extra.has(name.toLowerCase());
  return {
    method: input.method,
    query: Object.fromEntries(Object.entries(input.query).filter(([k]) => keep(k))),
    headers: Object.fromEntries(Object.entries(input.headers).filter(([k]) => keep(k))),
    body: input.body,
  };
}

/** A window still open at `now` is listening; one that closed without a request has expired. */
export function captureStatusOf(capture: { captured_at: Date | null; expires_at: Date }, now: Date): CaptureStatus {
  if (capture.captured_at) return 'captured';
  return capture.expires_at.getTime() > now.getTime() ? 'listening' : 'expired';
}

/** What a redacted value reads as (the loggers' censor too). */
export const REDACTED = '[redacted]';

/**
 * A copy of a JSON value with the value of every credential-like key (isSensitiveName: the names a
 * capture drops) replaced by REDACTED, at any depth: headers, query parameters, body fields.
 */
export function redactSensitive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSensitive);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSensitiveName(k) ? REDACTED : redactSensitive(v)]));
}

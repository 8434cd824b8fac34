import { z } from 'zod';
import { httpMethodSchema } from './http-methods';

/**
 * CORS for webhook URLs called from browsers: a trigger's `cors` config answers preflights
 * (OPTIONS with Access-Control-Request-Method) itself and marks real responses readable by the
 * allowed origins. Pure: the caller passes the request's headers and sets what comes back.
 */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const corsSchema = z
  .object({
    /** Exact origins (`https://app.example.com`) or `"*"` for any. */
    allow_origins: z.union([
      z.literal('*'),
      z
        .array(z.url({ protocol: /^https?$/ }).max(500))
        .min(1)
        .max(100),
    ]),
    /** Request headers a browser may send; default: whatever the preflight asks for. */
    allow_headers: z.array(z.string().regex(HEADER_NAME, 'must be an HTTP header name')).max(100).optional(),
    /** Methods a browser may use; default: the webhook's `methods`. */
    allow_methods: z.array(httpMethodSchema).min(1).optional(),
    /** How long a browser may cache the preflight answer. */
    max_age_s: z.number().int().min(0).max(86_400).default(600),
  })
  .strict();
export type CorsConfig = z.infer<typeof corsSchema>;

/** Response headers a browser may read besides the safelisted ones. */
const EXPOSED = 'Retry-After, RateLimit, RateLimit-Policy, Idempotent-Replayed, Location';

/** The origin as browsers send it (`scheme://host[:port]`, no path), for comparison. */
function normalise(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/** The Access-Control-Allow-Origin value for a request from `origin`, or null if it is not allowed. */
export function allowedOrigin(cors: CorsConfig, origin: string | undefined): string | null {
  if (!origin) return null;
  if (cors.allow_origins === '*') return '*';
  const wanted = normalise(origin);
  return cors.allow_origins.some((o) => normalise(o) === wanted) ? origin : null;
}

/** Headers to add to a real (non-preflight) response. */
export function corsResponseHeaders(cors: CorsConfig, origin: string | undefined): Record<string, string> {
  const allowed = allowedOrigin(cors, origin);
  const vary: Record<string, string> = cors.allow_origins === '*' ? {} : { Vary: 'Origin' };
  if (allowed === null) return vary;
  return { ...vary, 'Access-Control-Allow-Origin': allowed, 'Access-Control-Expose-Headers': EXPOSED };
}

export interface PreflightRequest {
  origin: string | undefined;
  /** Access-Control-Request-Method */
  method: string | undefined;
  /** Access-Control-Request-Headers */
  headers: string | undefined;
}

/**
 * The answer to a preflight: always 204; the Access-Control-* headers only when the origin and the
 * requested method are allowed (the browser then refuses the real request by itself).
 */
export function preflightHeaders(cors: CorsConfig, req: PreflightRequest, webhookMethods: readonly string[]): Record<string, string> {
  const allowed = allowedOrigin(cors, req.origin);
  const methods = cors.allow_methods ?? webhookMethods;
  const vary = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
  const method = (req.method ?? '').toUpperCase();
  if (allowed === null || !methods.includes(method)) return vary;
  const requested = (req.headers ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => HEADER_NAME.test(h));
  const headers = cors.allow_headers ?? requested;
  return {
    ...vary,
    'Access-Control-Allow-Origin': allowed,
    'Access-Control-Allow-Methods': methods.join(', '),
    ...(headers.length > 0 ? { 'Access-Control-Allow-Headers': headers.join(', ') } : {}),
    'Access-Control-Max-Age': String(cors.max_age_s),
  };
}

/** A CORS preflight: OPTIONS carrying Access-Control-Request-Method. */
export function isPreflight(method: string, requestMethod: string | undefined): boolean {
  return method === 'OPTIONS' && typeof requestMethod === 'string' && requestMethod.length > 0;
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Webhook authentication: the methods a trigger requires (`trigger.webhook.auth`, one method or a
 * list that must ALL pass) and the pure check of one request against them. Secrets are never in the
 * definition: each method names the secrets it uses by its `id` (default: its type), and the caller
 * hands in up to two active secrets per method (rotation). Every comparison is constant-time; the
 * clock is passed in.
 */
const methodId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be lower-case letters, digits, "_" or "-" (max 32)')
  .optional();
/** An HTTP header name (RFC 9110 token). */
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name');

export const webhookAuthMethodSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  /** `Authorization: Bearer <token>`. */
  z.object({ type: z.literal('bearer'), id: methodId }).strict(),
  /** A named header carrying the token as is. */
  z
    .object({
      type: z.literal('header'),
      id: methodId,
      header: headerName.refine((h) => h.toLowerCase() !== 'authorization', 'use type "bearer" for Authorization'),
    })
    .strict(),
  /** HMAC over the raw body bytes, e.g. GitHub's `X-Hub-Signature-256: sha256=<hex>`. */
  z
    .object({
      type: z.literal('hmac'),
      id: methodId,
      header: headerName.default('X-Webhook-Signature'),
      algorithm: z.enum(['sha256', 'sha512']).default('sha256'),
      encoding: z.enum(['hex', 'base64']).default('hex'),
      prefix: z.string().max(32).optional(),
    })
    .strict(),
  /** Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …`. */
  z
    .object({
      type: z.literal('standard_webhooks'),
      id: methodId,
      tolerance_s: z.number().int().min(1).max(3_600).default(300),
    })
    .strict(),
]);
export type WebhookAuthMethod = z.infer<typeof webhookAuthMethodSchema>;
export type SecretMethod = Exclude<WebhookAuthMethod, { type: 'none' }>;

export const webhookAuthSchema = z
  .union([webhookAuthMethodSchema, z.array(webhookAuthMethodSchema).min(1).max(4)])
  .superRefine((auth, ctx) => {
    const seen = new Set<string>();
    (Array.isArray(auth) ? auth : [auth]).forEach((m, i) => {
      if (m.type === 'none') return;
      const id = methodKey(m);
      if (seen.has(id))
        ctx.addIssue({
          code: 'custom',
          path: Array.isArray(auth) ? [i, 'id'] : ['id'],
          message: `two methods use the secrets "${id}": give each its own id`,
        });
      seen.add(id);
    });
  });
export type WebhookAuth = z.infer<typeof webhookAuthSchema>;

/** The methods that must all pass (none configured = open webhook). */
export function authMethodsOf(auth: WebhookAuth | undefined): SecretMethod[] {
  if (!auth) return [];
  return (Array.isArray(auth) ? auth : [auth]).filter((m): m is SecretMethod => m.type !== 'none');
}

/** Which secrets a method uses (its id, else its type). */
export function methodKey(method: SecretMethod): string {
  return method.id ?? method.type;
}

/** Tokens (bearer, header) are kept as SHA-256 hashes; signing keys (hmac, Standard Webhooks) must be readable. */
export function secretStorageOf(method: SecretMethod): 'hash' | 'sealed' {
  return method.type === 'bearer' || method.type === 'header' ? 'hash' : 'sealed';
}

/** Headers that carry a credential and must not reach the workflow's `trigger.headers` (lower-case). */
export function credentialHeadersOf(methods: SecretMethod[]): string[] {
  return methods.flatMap((m) => (m.type === 'bearer' ? ['authorization'] : m.type === 'header' ? [m.header.toLowerCase()] : []));
}

/** `whsec_` + base64 of 24–64 bytes (the Standard Webhooks secret format). */
export function isStandardWebhooksSecret(secret: string): boolean {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!m?.[1]) return false;
  const bytes = Buffer.from(m[1], 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

export interface AuthRequest {
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/** Per method key: the SHA-256 hex hashes of its tokens, or its signing secrets in clear (at most two each). */
export interface AuthSecrets {
  hashes(methodKey: string): string[];
  keys(methodKey: string): string[];
}

/** A refusal names the method's key and its type (what the caller got wrong: a token, an HMAC, a Standard Webhooks signature). */
export type AuthOutcome =
  { ok: true } | { ok: false; code: 'unauthorized' | 'invalid_signature'; method: string; type: SecretMethod['type'] };

export function verifyWebhookAuth(methods: SecretMethod[], req: AuthRequest, secrets: AuthSecrets, nowMs: number): AuthOutcome {
  for (const method of methods) {
    const key = methodKey(method);
    let ok: boolean;
    switch (method.type) {
      case 'bearer': {
        const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header(req, 'authorization') ?? '');
        ok = tokenMatches(m?.[1], secrets.hashes(key));
        break;
      }
      case 'header':
        ok = tokenMatches(header(req, method.header.toLowerCase())?.trim(), secrets.hashes(key));
        break;
      case 'hmac':
        ok = hmacMatches(method, header(req, method.header.toLowerCase()), req.rawBody, secrets.keys(key));
        break;
      case 'standard_webhooks':
        ok = standardWebhooksMatches(method.tolerance_s, req, secrets.keys(key), nowMs);
        break;
    }
    if (!ok)
      return {
        ok: false,
        code: method.type === 'bearer' || method.type === 'header' ? 'unauthorized' : 'invalid_signature',
        method: key,
        type: method.type,
      };
  }
  return { ok: true };
}

function header(req: AuthRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Compares SHA-256 hashes (fixed length) in constant time against every stored one. */
function tokenMatches(token: string | undefined, hashes: string[]): boolean {
  if (!token || token.length > 1024) return false;
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let ok = false;
  for (const stored of hashes) {
    const expected = Buffer.from(stored, 'hex');
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) ok = true;
  }
  return ok;
}

function decodeSignature(value: string, encoding: 'hex' | 'base64'): Buffer | null {
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(value) ? Buffer.from(value, 'hex') : null;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : null;
}

function hmacMatches(method: Extract<SecretMethod, { type: 'hmac' }>, value: string | undefined, body: Buffer, keys: string[]): boolean {
  if (!value) return false;
  let sig = value.trim();
  if (method.prefix) {
    if (!sig.toLowerCase().startsWith(method.prefix.toLowerCase())) return false;
    sig = sig.slice(method.prefix.length);
  }
  const presented = decodeSignature(sig, method.encoding);
  if (!presented) return false;
  let ok = false;
  for (const key of keys) {
    const expected = createHmac(method.algorithm, key).update(body).digest();
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) ok = true;
  }
  return ok;
}

/** The key bytes of a `whsec_…` secret (as the standardwebhooks libraries read it). */
function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

function standardWebhooksMatches(toleranceS: number, req: AuthRequest, keys: string[], nowMs: number): boolean {
  const id = header(req, 'webhook-id');
  const timestamp = header(req, 'webhook-timestamp');
  const signatures = header(req, 'webhook-signature');
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp) || id.length > 256) return false;
  // Outside the tolerance (old or from the future): a replayed request is refused.
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > toleranceS) return false;
  const presented = signatures
    .split(' ')
    .slice(0, 10)
    .map((s) => s.split(','))
    .filter((p): p is [string, string] => p.length === 2 && p[0] === 'v1')
    .map(([, sig]) => decodeSignature(sig, 'base64'))
    .filter((b): b is Buffer => b !== null);
  let ok = false;
  for (const key of keys) {
    const expected = createHmac('sha256', standardWebhooksKey(key)).update(`${id}.${timestamp}.`).update(req.rawBody).digest();
    for (const sig of presented) if (sig.length === expected.length && timingSafeEqual(sig, expected)) ok = true;
  }
  return ok;
}

import { z } from 'zod';

/**
 * The ready `curl` line shown with a webhook URL. Credentials are never filled in: each auth method
 * of the trigger contributes a header with a `<placeholder>` the caller replaces.
 */

/**
 * The parts of `trigger.webhook.auth` a placeholder needs (one method or a list). Read loosely on
 * purpose: unknown methods add no header rather than failing the workflow view.
 */
const authMethod = z.looseObject({
  type: z.string(),
  header: z.string().optional(),
  prefix: z.string().optional(),
  encoding: z.string().optional(),
});
const authConfig = z.union([authMethod, z.array(authMethod)]);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Header name → placeholder value for the trigger's auth config (none for `none` / absent). */
export function authPlaceholderHeaders(auth: unknown): Record<string, string> {
  const parsed = authConfig.safeParse(auth);
  if (!parsed.success) return {};
  const methods = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const headers: Record<string, string> = {};
  for (const m of methods) {
    switch (m.type) {
      case 'bearer':
        headers.Authorization = 'Bearer <token>';
        break;
      case 'header':
        headers[m.header ?? 'X-Webhook-Secret'] = '<secret>';
        break;
      case 'hmac':
        headers[m.header ?? 'X-Webhook-Signature'] = `${m.prefix ?? ''}<${m.encoding === 'base64' ? 'base64' : 'hex'} HMAC of the body>`;
        break;
      case 'standard_webhooks':
      case 'standard-webhooks':
        headers['webhook-id'] = '<message id>';
        headers['webhook-timestamp'] = '<unix seconds>';
        headers['webhook-signature'] = 'v1,<base64 HMAC-SHA256 of id.timestamp.body>';
        break;
    }
  }
  return headers;
}

/** `curl -X POST '<url>' -H 'Content-Type: application/json' [-H '<auth>: <placeholder>'] -d '{...}'`. */
export function curlLine(url: string, method: string, authHeaders: Record<string, string> = {}): string {
  const parts = ['curl', '-X', method, shellQuote(url)];
  const withBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
  if (withBody) parts.push('-H', shellQuote('Content-Type: application/json'));
  for (const [name, value] of Object.entries(authHeaders)) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (withBody) parts.push('-d', shellQuote('{"hello":"world"}'));
  return parts.join(' ');
}

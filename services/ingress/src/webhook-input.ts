import { ApiError } from '@flowgate/contracts';
import type { TriggerInput } from '@flowgate/core';
import type { Request } from 'express';

/**
 * Turns an inbound webhook request into `trigger.*`: method, path, query, headers (lower-cased, minus
 * credentials) and the body parsed by content type (JSON, form, text; anything else as base64).
 */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export function parseBody(req: Request): unknown {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (raw.length === 0) return null;
  const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || type.endsWith('+json') || type === '') {
    try {
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      if (type !== '') throw new ApiError('invalid_json', 'Request body is not valid JSON');
      return raw.toString('utf8');
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  if (type.startsWith('text/') || type.endsWith('xml') || type === 'application/csv') return raw.toString('utf8');
  return { content_type: type, base64: raw.toString('base64') };
}

export function triggerInputOf(req: Request): TriggerInput {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HIDDEN_HEADERS.has(k)) continue;
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const query: Record<string, string | string[]> = {};
  const url = new URL(req.originalUrl, 'http://flowgate.invalid');
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    query[key] = all.length === 1 ? (all[0] as string) : all;
  }
  return { method: req.method, path: url.pathname, query, headers, body: parseBody(req) };
}

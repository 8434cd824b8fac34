import { ApiError } from '@flowgate/contracts';
import { bodyKindOf, mediaTypeOf, parseFormUrlEncoded, rawEncodingOf, type TriggerInput } from '@flowgate/core';
import type { Request } from 'express';
import { parseMultipart } from './multipart';

/**
 * Turns an inbound webhook request into `trigger.*`: method, path, query, headers (lower-cased, minus
 * credentials), the body parsed by content type (see core's content-type.ts: JSON, URL-encoded and
 * multipart forms, text / XML / CSV as text, anything else as base64 with its type) and `raw`, the
 * body exactly as received.
 */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

function rawOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

export async function parseBody(req: Request): Promise<unknown> {
  const raw = rawOf(req);
  if (raw.length === 0) return null;
  const type = mediaTypeOf(req.get('content-type'));
  switch (bodyKindOf(type)) {
    case 'json':
      try {
        return JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        if (type !== '') throw new ApiError('invalid_json', 'Request body is not valid JSON');
        return raw.toString('utf8');
      }
    case 'form':
      return parseFormUrlEncoded(raw.toString('utf8'));
    case 'multipart':
      return parseMultipart(raw, req.get('content-type') ?? '');
    case 'text':
      return raw.toString('utf8');
    case 'binary':
      return { content_type: type, base64: raw.toString('base64') };
  }
}

/** The body as received, for `trigger.raw` (undefined when there is none). */
export function rawBodyOf(req: Request): string | undefined {
  const raw = rawOf(req);
  if (raw.length === 0) return undefined;
  return raw.toString(rawEncodingOf(bodyKindOf(mediaTypeOf(req.get('content-type')))));
}

export async function triggerInputOf(req: Request): Promise<TriggerInput> {
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
  const body = await parseBody(req);
  const raw = rawBodyOf(req);
  return { method: req.method, path: url.pathname, query, headers, body, ...(raw === undefined ? {} : { raw }) };
}

import { bodyKindOf, mediaTypeOf, rawEncodingOf, type TriggerInput } from '@flowgate/core';

/**
 * The body of a trigger input as it was received (`GET /v1/executions/{id}/input`): its bytes and
 * its content type. `raw` holds the exact bytes (UTF-8 text, or base64 for multipart and binary
 * bodies: core's content-type.ts); an input without `raw` (a schedule's, an older execution's) is
 * its parsed body as JSON. Null when the request had no body.
 */
export function receivedBodyOf(input: Pick<TriggerInput, 'headers' | 'body' | 'raw'>): { contentType: string; bytes: Buffer } | null {
  const header = Object.entries(input.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (input.raw !== undefined) {
    const encoding = rawEncodingOf(bodyKindOf(mediaTypeOf(header)));
    return { contentType: header || 'application/octet-stream', bytes: Buffer.from(input.raw, encoding) };
  }
  if (input.body === null || input.body === undefined) return null;
  return { contentType: 'application/json', bytes: Buffer.from(JSON.stringify(input.body), 'utf8') };
}

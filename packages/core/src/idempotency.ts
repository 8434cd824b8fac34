import { JSONPath } from 'jsonpath-plus';
import { DomainError } from './errors';
import type { TriggerInput } from './execution';

/**
 * The idempotency key of a webhook: the `Idempotency-Key` header, else the value at the trigger's
 * `idempotency_key_path` (JSONPath into the body), else — on a trigger that verifies Standard
 * Webhooks signatures — the signed `webhook-id` (a sender's retry, or a replay of a captured request
 * within the timestamp tolerance, then gets the first execution and starts nothing), else none.
 * Keys are 1–255 printable characters.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY = /^[\x21-\x7e]{1,255}$/;

export const WEBHOOK_ID_HEADER = 'webhook-id';

export function idempotencyKeyOf(input: TriggerInput, bodyPath?: string, signedWebhookId = false): string | null {
  const header = input.headers[IDEMPOTENCY_HEADER];
  let key: string | null = header === undefined ? null : header.trim();
  if (key === null && bodyPath !== undefined && input.body !== null && typeof input.body === 'object') {
    const value: unknown = JSONPath({ path: bodyPath, json: input.body, wrap: false });
    if (typeof value === 'string' || typeof value === 'number') key = String(value);
  }
  if (key === null && signedWebhookId) {
    const id = input.headers[WEBHOOK_ID_HEADER]?.trim();
    // Its own namespace: never equal to an Idempotency-Key a sender chose.
    if (id) key = `webhook-id:${id}`.slice(0, 255);
  }
  if (key === null) return null;
  if (!KEY.test(key))
    throw new DomainError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces');
  return key;
}

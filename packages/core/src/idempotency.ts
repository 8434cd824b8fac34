import { JSONPath } from 'jsonpath-plus';
import { DomainError } from './errors';
import type { TriggerInput } from './execution';

/**
 * The idempotency key of a webhook: the `Idempotency-Key` header, else the value at the trigger's
 * `idempotency_key_path` (JSONPath into the body), else none. Keys are 1–255 printable characters.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotencyKeyOf(input: TriggerInput, bodyPath?: string): string | null {
  const header = input.headers[IDEMPOTENCY_HEADER];
  let key: string | null = header === undefined ? null : header.trim();
  if (key === null && bodyPath !== undefined && input.body !== null && typeof input.body === 'object') {
    const value: unknown = JSONPath({ path: bodyPath, json: input.body, wrap: false });
    if (typeof value === 'string' || typeof value === 'number') key = String(value);
  }
  if (key === null) return null;
  if (!KEY.test(key))
    throw new DomainError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces');
  return key;
}

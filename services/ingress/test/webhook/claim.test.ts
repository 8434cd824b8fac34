import type { TriggerInput } from '@flowgate/core';
import { idempotencyKeyFor } from '../../src/webhook/claim';
import { webhookWith } from './fixtures';

const input = (headers: Record<string, string>, body: unknown = null): TriggerInput => ({
  method: 'POST',
  path: '/h',
  query: {},
  headers,
  body,
});

describe('stage "claim idempotency"', () => {
  it('takes the Idempotency-Key header, else the configured body path, else nothing', () => {
    const webhook = webhookWith({ idempotency_key_path: '$.order.id' });
    expect(idempotencyKeyFor(webhook, 'production', input({ 'idempotency-key': 'k-1' }, { order: { id: 'o' } }))).toBe('k-1');
    expect(idempotencyKeyFor(webhook, 'production', input({}, { order: { id: 'o-7' } }))).toBe('o-7');
    expect(idempotencyKeyFor(webhook, 'production', input({}))).toBeNull();
  });

  it('keys other environments apart from production', () => {
    expect(idempotencyKeyFor(webhookWith({}), 'development', input({ 'idempotency-key': 'k-1' }))).toBe('development:k-1');
    expect(idempotencyKeyFor(webhookWith({}), 'staging', input({}))).toBeNull();
  });

  it("keys a version URL's requests apart from production's and other versions' (a key never holds a space)", () => {
    const key = input({ 'idempotency-key': 'k-1' });
    expect(idempotencyKeyFor(webhookWith({}), 'production', key, 1)).toBe('v1 k-1');
    expect(idempotencyKeyFor(webhookWith({}), 'production', key, 2)).toBe('v2 k-1');
    expect(idempotencyKeyFor(webhookWith({}), 'production', key)).toBe('k-1');
    expect(idempotencyKeyFor(webhookWith({}), 'production', input({}), 1)).toBeNull();
    // No production key can equal a version key: a key with a space is refused.
    expect(() => idempotencyKeyFor(webhookWith({}), 'production', input({ 'idempotency-key': 'v1 k-1' }))).toThrow(
      expect.objectContaining({ reason: 'idempotency_key' }),
    );
  });

  it('uses a signed Standard Webhooks webhook-id as the key', () => {
    const webhook = webhookWith({ auth: { type: 'standard_webhooks' } });
    expect(idempotencyKeyFor(webhook, 'production', input({ 'webhook-id': 'msg_1' }))).toBe('webhook-id:msg_1');
    expect(idempotencyKeyFor(webhookWith({}), 'production', input({ 'webhook-id': 'msg_1' }))).toBeNull();
  });

  it('refuses a malformed key with 400 (reason idempotency_key)', () => {
    expect(() => idempotencyKeyFor(webhookWith({}), 'production', input({ 'idempotency-key': 'has space' }))).toThrow(
      expect.objectContaining({ reason: 'idempotency_key', code: 'invalid_request', status: 400 }),
    );
  });
});

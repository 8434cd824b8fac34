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

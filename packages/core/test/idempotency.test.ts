import { DomainError, idempotencyKeyOf, type TriggerInput } from '../src';

const input = (headers: Record<string, string>, body: unknown = null): TriggerInput => ({
  method: 'POST',
  path: '/hooks/x',
  query: {},
  headers,
  body,
});

describe('idempotencyKeyOf', () => {
  it('takes the Idempotency-Key header first, trimmed', () => {
    expect(idempotencyKeyOf(input({ 'idempotency-key': ' order-1 ', 'webhook-id': 'msg_1' }, { id: 'b' }), '$.id', true)).toBe('order-1');
  });

  it('then the configured body path (string or number values only)', () => {
    expect(idempotencyKeyOf(input({}, { order: { id: 42 } }), '$.order.id')).toBe('42');
    expect(idempotencyKeyOf(input({}, { order: { id: { nested: true } } }), '$.order.id')).toBeNull();
  });

  it('then the signed webhook-id, only on a Standard Webhooks trigger, in its own namespace', () => {
    expect(idempotencyKeyOf(input({ 'webhook-id': 'msg_2' }), undefined, true)).toBe('webhook-id:msg_2');
    expect(idempotencyKeyOf(input({ 'webhook-id': 'msg_2' }), undefined, false)).toBeNull();
    expect(idempotencyKeyOf(input({ 'webhook-id': 'msg_3' }, { id: 'evt' }), '$.id', true)).toBe('evt');
  });

  it('refuses keys with spaces or non-printable characters', () => {
    expect(() => idempotencyKeyOf(input({ 'idempotency-key': 'two words' }))).toThrow(DomainError);
    expect(() => idempotencyKeyOf(input({ 'webhook-id': 'msg with space' }), undefined, true)).toThrow(DomainError);
  });

  it('none when nothing names one', () => {
    expect(idempotencyKeyOf(input({}))).toBeNull();
  });
});

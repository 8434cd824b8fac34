import { flowKeyOf, flowKeyToken, type TriggerInput } from '../src';

const input = (body: unknown, headers: Record<string, string> = {}): TriggerInput => ({
  method: 'POST',
  path: '/hooks/wh_x',
  query: {},
  headers,
  body,
});

describe('flowKeyOf', () => {
  it('gives a string value as is and other JSON values as JSON text', async () => {
    expect(await flowKeyOf('trigger.body.customer', input({ customer: 'acme' }))).toEqual({ value: 'acme' });
    expect(await flowKeyOf('trigger.body.n', input({ n: 42 }))).toEqual({ value: '42' });
    expect(await flowKeyOf('trigger.body.o', input({ o: { a: [1, true] } }))).toEqual({ value: '{"a":[1,true]}' });
  });

  it('reads headers and combines fields', async () => {
    const key = await flowKeyOf('trigger.headers."x-tenant" & "/" & trigger.body.id', input({ id: 7 }, { 'x-tenant': 't1' }));
    expect(key).toEqual({ value: 't1/7' });
  });

  it('gives the empty key for a missing or null value', async () => {
    expect(await flowKeyOf('trigger.body.customer', input({}))).toEqual({ value: '' });
    expect(await flowKeyOf('trigger.body.customer', input({ customer: null }))).toEqual({ value: '' });
  });

  it('gives the empty key with the error when the expression fails on this input', async () => {
    const key = await flowKeyOf('$number(trigger.body.x) + 1', input({ x: 'not a number' }));
    expect(key.value).toBe('');
    expect(key.error).toMatch(/expression failed/);
  });
});

describe('flowKeyToken', () => {
  it('is a fixed-size subject-safe token, equal for equal values and different otherwise', () => {
    const a = flowKeyToken('acme');
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(flowKeyToken('acme')).toBe(a);
    expect(flowKeyToken('acme2')).not.toBe(a);
    expect(flowKeyToken('x'.repeat(10_000))).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(flowKeyToken('')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

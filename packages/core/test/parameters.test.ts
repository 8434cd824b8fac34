import type { TriggerInput } from '../src/execution';
import { inferParameters, parametersSchema, resolveParameters } from '../src/parameters';

const input = (body: unknown, query: TriggerInput['query'] = {}): TriggerInput => ({
  method: 'POST',
  path: '/h',
  query,
  headers: {},
  body,
});
const spec = parametersSchema.parse({
  order_id: { type: 'string', required: true },
  amount: { type: 'number', required: true },
  qty: { type: 'integer', default: 1 },
  express: { type: 'boolean' },
  kind: { type: 'string', enum: ['a', 'b'] },
  tags: { type: 'array' },
  meta: { type: 'object' },
});

describe('typed parameters', () => {
  it('reads the body first, then the query; coerces text; fills defaults', () => {
    const result = resolveParameters(
      spec,
      input({ order_id: 'o-1', amount: 12.5, tags: ['x'] }, { express: 'true', kind: 'b', meta: 'ignored-not-object' }),
    );
    expect(result).toEqual({
      ok: false,
      code: 'invalid_parameters',
      message: 'Invalid parameter(s): meta must be an object',
      details: { parameters: [{ name: 'meta', message: 'meta must be an object' }] },
    });
    const ok = resolveParameters(spec, input({ order_id: 'o-1' }, { amount: '12.5', express: 'false', kind: 'a' }));
    expect(ok).toEqual({ ok: true, params: { order_id: 'o-1', amount: 12.5, qty: 1, express: false, kind: 'a' } });
  });

  it('names every missing required parameter', () => {
    const result = resolveParameters(spec, input({}));
    expect(result).toMatchObject({ ok: false, code: 'missing_parameters', message: 'Missing required parameter(s): order_id, amount' });
  });

  it('names each wrongly typed field', () => {
    const result = resolveParameters(spec, input({ order_id: 7, amount: 'lots', qty: 1.5, express: 'yes', kind: 'c' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.details.parameters.map((p) => p.message)).toEqual([
      'order_id must be a string',
      'amount must be a number',
      'qty must be an integer',
      'express must be a boolean',
      'kind must be one of a, b',
    ]);
  });

  it('passes the whole body as one parameter when asked', () => {
    expect(resolveParameters(undefined, input({ any: 'thing' }), 'payload')).toEqual({ ok: true, params: { payload: { any: 'thing' } } });
  });

  it('infers a schema from a sample', () => {
    expect(inferParameters({ id: 'x', n: 3, price: 2.5, ok: true, items: [], meta: {}, 'bad name': 1, gone: null })).toEqual({
      id: { type: 'string', required: true },
      n: { type: 'integer', required: true },
      price: { type: 'number', required: true },
      ok: { type: 'boolean', required: true },
      items: { type: 'array', required: true },
      meta: { type: 'object', required: true },
    });
    expect(inferParameters('not an object')).toEqual({});
  });

  it('rejects bad parameter names and types in the definition', () => {
    expect(parametersSchema.safeParse({ 'a-b': { type: 'string' } }).success).toBe(false);
    expect(parametersSchema.safeParse({ a: { type: 'date' } }).success).toBe(false);
  });
});

import { concurrencyKeysOf, flowKeyToken, gateOfQueue, listOf, slotGatesOf, validateDefinition, type TriggerInput } from '../src';

const input = (body: unknown): TriggerInput => ({ method: 'POST', path: '/hooks/wh_x', query: {}, headers: {}, body });
const steps = [{ id: 'a', type: 'transform', expression: '1' }];

describe('keyed concurrency', () => {
  it('evaluates each limit key on the trigger input, in order, cut to 256 characters', async () => {
    const limits = [
      { key: 'trigger.body.customer', limit: 1 },
      { key: 'trigger.body.region', limit: 5 },
    ];
    expect(await concurrencyKeysOf(limits, input({ customer: 'acme', region: 'eu' }))).toEqual(['acme', 'eu']);
    expect(await concurrencyKeysOf(limits[0], input({}))).toEqual(['']);
    expect(await concurrencyKeysOf(undefined, input({}))).toEqual([]);
    expect((await concurrencyKeysOf(limits[0], input({ customer: 'x'.repeat(1000) })))[0]).toHaveLength(256);
  });

  it('takes the keyed queues first, in order, then the workflow queue', () => {
    const def = {
      max_concurrent_executions: 10,
      concurrency: [
        { key: 'trigger.body.customer', limit: 1 },
        { key: 'trigger.body.region', limit: 3 },
      ],
    };
    expect(slotGatesOf(def, ['acme', 'eu'])).toEqual([
      { queue: `k0.${flowKeyToken('acme')}`, max: 1 },
      { queue: `k1.${flowKeyToken('eu')}`, max: 3 },
      { queue: '', max: 10 },
    ]);
    expect(slotGatesOf({ max_concurrent_executions: 0, concurrency: { key: 'x', limit: 2 } }, ['v'])).toEqual([
      { queue: `k0.${flowKeyToken('v')}`, max: 2 },
    ]);
    expect(slotGatesOf({ max_concurrent_executions: 0 }, [])).toEqual([]);
    expect(slotGatesOf({ max_concurrent_executions: 1 }, [])).toEqual([{ queue: '', max: 1 }]);
  });

  it('finds the gate a queue name stands for, or null when the definition has no such limit', () => {
    const def = { max_concurrent_executions: 0, concurrency: [{ key: 'k', limit: 4 }] };
    expect(gateOfQueue(def, 'k0.abc')).toEqual({ queue: 'k0.abc', max: 4 });
    expect(gateOfQueue(def, 'k1.abc')).toBeNull();
    expect(gateOfQueue(def, '')).toBeNull();
    expect(gateOfQueue({ max_concurrent_executions: 2 }, '')).toEqual({ queue: '', max: 2 });
    expect(gateOfQueue(def, 'nonsense')).toBeNull();
  });

  it('reads one object or a list the same way', () => {
    expect(listOf({ a: 1 })).toEqual([{ a: 1 }]);
    expect(listOf([{ a: 1 }, { a: 2 }])).toEqual([{ a: 1 }, { a: 2 }]);
    expect(listOf(undefined)).toEqual([]);
  });
});

describe('definitions with keyed flow control', () => {
  it('accepts one limit or a stacked list for concurrency and webhook rate limits', () => {
    const one = validateDefinition({
      name: 'w',
      steps,
      concurrency: { key: 'trigger.body.customer', limit: 2 },
      trigger: { webhook: { rate_limit: { per_second: 5, key: 'trigger.headers."x-tenant"' } } },
    });
    expect(one.ok).toBe(true);
    const list = validateDefinition({
      name: 'w',
      steps,
      concurrency: [
        { key: 'trigger.body.customer', limit: 1 },
        { key: 'trigger.body.region', limit: 5 },
      ],
      trigger: { webhook: { rate_limit: [{ per_second: 100 }, { per_second: 1, burst: 2, key: 'trigger.body.customer' }] } },
    });
    expect(list.ok).toBe(true);
  });

  it('reports every problem of the limits at its path, in one pass', () => {
    const result = validateDefinition({
      name: 'w',
      steps,
      concurrency: [
        { key: 'trigger.body.(', limit: 1 },
        { key: 'x', limit: 0, extra: true },
      ],
      trigger: { webhook: { rate_limit: { per_second: 1, key: '$$$(' } } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.path, i.code])).toEqual(
      expect.arrayContaining([
        ['concurrency[1].limit', 'too_small'],
        ['concurrency[1].extra', 'unrecognized_keys'],
        ['concurrency[0].key', 'invalid_expression'],
        ['trigger.webhook.rate_limit.key', 'invalid_expression'],
      ]),
    );
    expect(result.issues).toHaveLength(4);
  });

  it('refuses more than four stacked limits and a limit of the wrong type with a clear issue', () => {
    const five = Array.from({ length: 5 }, () => ({ key: 'x', limit: 1 }));
    const result = validateDefinition({ name: 'w', steps, concurrency: five });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => [i.path, i.code])).toEqual([['concurrency', 'too_big']]);
    const wrong = validateDefinition({ name: 'w', steps, concurrency: 'customer' });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.issues.map((i) => i.path)).toEqual(['concurrency']);
  });
});

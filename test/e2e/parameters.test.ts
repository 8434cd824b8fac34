import { request, Stack } from '../support/stack';

/** Typed parameters, method allow-list and schema inference at the webhook edge. */
describe('webhook parameters and methods', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('parameters', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const count = async (workflowId: string) =>
    (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId });

  it('checks and coerces parameters, exposes trigger.params, and refuses bad input with nothing queued', async () => {
    const wf = await stack.deploy({
      name: 'params',
      max_concurrent_executions: 0,
      trigger: {
        webhook: {
          methods: ['POST', 'GET'],
          parameters: {
            order_id: { type: 'string', required: true },
            amount: { type: 'number', required: true },
            qty: { type: 'integer', default: 1 },
          },
        },
      },
      steps: [{ id: 'echo', type: 'transform', expression: 'trigger.params' }],
    });
    const ok = await request(`${wf.sync}?amount=9.5`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order_id":"o-1"}',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ order_id: 'o-1', amount: 9.5, qty: 1 });
    const viaGet = await request(`${wf.sync}?order_id=o-2&amount=3&qty=2`);
    expect(viaGet.body).toEqual({ order_id: 'o-2', amount: 3, qty: 2 });

    const missing = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'missing_parameters', message: 'Missing required parameter(s): order_id, amount' });
    const wrong = await request(wf.async, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order_id": 5, "amount": "x"}',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('invalid_parameters');
    expect(wrong.body.error.details.parameters.map((p: { name: string }) => p.name)).toEqual(['order_id', 'amount']);
    const put = await request(wf.async, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET');
    expect(put.body.error.code).toBe('method_not_allowed');
    expect(await count(wf.id)).toBe(2);
  });

  it('infers a parameter schema from a sample', async () => {
    const res = await stack.api('POST', '/v1/parameters/infer', { order_id: 'o-1', amount: 12.5, lines: [] });
    expect(res.status).toBe(200);
    expect(res.body.parameters).toEqual({
      order_id: { type: 'string', required: true },
      amount: { type: 'number', required: true },
      lines: { type: 'array', required: true },
    });
    const pairs = await stack.api('POST', '/v1/parameters/infer', { pairs: [{ key: 'n', value: 3 }] });
    expect(pairs.body.parameters).toEqual({ n: { type: 'integer', required: true } });
    expect((await stack.api('POST', '/v1/parameters/infer', [1, 2])).status).toBe(400);
  });
});

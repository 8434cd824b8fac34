import { request, Stack } from '../support/stack';

/** The sync URL's response modes over HTTP: minimal, last_step, step (named), all_steps; trigger status / headers. */
describe('sync response modes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('response-modes', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const steps = [
    { id: 'enrich', name: 'Enrich order', type: 'transform', expression: '{"customer": "cus_" & $string(trigger.body.n)}' },
    { id: 'total', type: 'transform', expression: '{"total": trigger.body.n * 2}' },
  ];
  const call = async (response: unknown) => {
    const wf = await stack.deploy({ name: 'modes', trigger: { webhook: { response } }, steps });
    return request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 21 }) });
  };

  it('minimal answers the execution id and status only', async () => {
    const res = await call({ mode: 'minimal' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['execution_id', 'status']);
    expect(res.body.status).toBe('succeeded');
    // MongoDB follows the live state by group commit (the answer came from the live state).
    const doc = await (
      await stack.settledDb()
    )
      .collection<{ _id: string; status: string }>('executions')
      .findOne({ _id: res.body.execution_id });
    expect(doc?.status).toBe('succeeded');
  });

  it('last_step (the default) answers the last step output', async () => {
    const res = await call({ mode: 'last_step' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ total: 42 });
  });

  it('step answers the named step output', async () => {
    const res = await call({ mode: 'step', step: 'enrich' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ customer: 'cus_21' });
  });

  it('all_steps answers {stepId: {name, output}} without logs or durations', async () => {
    const res = await call({ mode: 'all_steps' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      enrich: { name: 'Enrich order', output: { customer: 'cus_21' } },
      total: { name: 'total', output: { total: 42 } },
    });
  });

  it('the trigger config overrides status and headers', async () => {
    const res = await call({ mode: 'step', step: 'total', status: 201, headers: { 'X-Source': 'flowgate' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-source')).toBe('flowgate');
    expect(res.body).toEqual({ total: 42 });
  });

  it('a step named in the response must exist: 422 naming the field, nothing created', async () => {
    const before = await (await stack.db()).collection('workflows').countDocuments();
    const res = await stack.api('POST', '/v1/workflows', {
      name: 'bad',
      trigger: { webhook: { response: { mode: 'step', step: 'nope' } } },
      steps,
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.error.details)).toContain('trigger.webhook.response.step');
    expect(await (await stack.db()).collection('workflows').countDocuments()).toBe(before);
  });
});

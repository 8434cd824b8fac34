import { request, sleep, Stack } from '../support/stack';

/** Capture mode: the next real webhook request becomes a sample whose parameters are inferred. */
describe('parameter capture', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('parameter-capture', { services: ['ingress', 'execution'] });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const executions = async (workflowId: string) =>
    (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId });

  it('captures the next request once (across replicas), strips credentials, still runs it, and infers parameters', async () => {
    const wf = await stack.deploy({
      name: 'capture-published',
      max_concurrent_executions: 0,
      trigger: { webhook: { methods: ['POST'] } },
      steps: [{ id: 'echo', type: 'transform', expression: 'trigger.body' }],
    });
    expect((await stack.api('GET', `/v1/workflows/${wf.id}/parameters/capture`)).status).toBe(404);
    const started = await stack.api('POST', `/v1/workflows/${wf.id}/parameters/capture`, {});
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ workflow_id: wf.id, status: 'listening', request: null, parameters: null });
    expect(Date.parse(started.body.expires_at) - Date.parse(started.body.started_at)).toBe(180_000);

    // The same webhook on the second replica: the capture window is shared state.
    const url = new URL(wf.sync);
    const onReplica2 = `${stack.ingressReplicaUrl(2)}${url.pathname}?source=crm&access_token=sekret`;
    const first = await request(onReplica2, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope', 'x-signature': 'sig', 'x-trace': 't1' },
      body: '{"order_id": "o-1", "amount": 9.5, "qty": 2, "paid": true, "items": [1], "meta": {"a": 1}}',
    });
    expect(first.status).toBe(200); // still ran normally
    expect(first.body).toMatchObject({ order_id: 'o-1' });
    const second = await request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"other": 1}' });
    expect(second.status).toBe(200);
    expect(await executions(wf.id)).toBe(2);

    const status = await stack.api('GET', `/v1/workflows/${wf.id}/parameters/capture`);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('captured');
    expect(status.body.request.method).toBe('POST');
    expect(status.body.request.query).toEqual({ source: 'crm' });
    expect(status.body.request.headers['x-trace']).toBe('t1');
    expect(status.body.request.headers).not.toHaveProperty('authorization');
    expect(status.body.request.headers).not.toHaveProperty('x-signature');
    expect(JSON.stringify(status.body)).not.toContain('sekret');
    expect(status.body.parameters).toEqual({
      order_id: { type: 'string', required: true },
      amount: { type: 'number', required: true },
      qty: { type: 'integer', required: true },
      paid: { type: 'boolean', required: true },
      items: { type: 'array', required: true },
      meta: { type: 'object', required: true },
    });
  });

  it('answers 200 {captured: true} without running on an unpublished workflow, and expires', async () => {
    const created = await stack.api('POST', '/v1/workflows', {
      name: 'capture-draft',
      steps: [{ id: 'echo', type: 'transform', expression: 'trigger.body' }],
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const hook: string = created.body.triggers.production.async;
    expect((await request(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);

    expect((await stack.api('POST', `/v1/workflows/${id}/parameters/capture`, { window_s: 601 })).status).toBe(400);
    expect((await stack.api('POST', `/v1/workflows/${id}/parameters/capture`, { window_s: 1 })).status).toBe(201);
    await sleep(1200);
    const expired = await stack.api('GET', `/v1/workflows/${id}/parameters/capture`);
    expect(expired.body.status).toBe('expired');
    expect((await request(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);

    expect((await stack.api('POST', `/v1/workflows/${id}/parameters/capture`, { window_s: 60 })).status).toBe(201);
    const captured = await request(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.c',
    });
    expect(captured.status).toBe(200);
    expect(captured.body).toEqual({ captured: true });
    expect(await executions(id)).toBe(0);
    const status = await stack.api('GET', `/v1/workflows/${id}/parameters/capture`);
    expect(status.body).toMatchObject({ status: 'captured', parameters: { email: { type: 'string', required: true } } });
    // the window is used up: the next request is the ordinary 404 again
    expect((await request(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });

  it('is scoped to the caller workspace', async () => {
    const wf = await stack.deploy({ name: 'capture-scope', steps: [{ id: 'x', type: 'transform', expression: '1' }] });
    const other = await stack.apiKeyForWorkspace('ws_capture_other');
    const res = await request(`${stack.ingressUrl}/v1/workflows/${wf.id}/parameters/capture`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect((await stack.api('GET', `/v1/workflows/${wf.id}/parameters/capture`)).status).toBe(404);
  });
});

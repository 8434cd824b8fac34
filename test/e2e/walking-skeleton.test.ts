import { Webhook } from 'standardwebhooks';
import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/** The thinnest path through all four services, over HTTP, on real NATS and MongoDB. */
describe('walking skeleton', () => {
  let stack: Stack;
  let downstream: Receiver;
  let callbacks: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver((req) => ({
      status: 200,
      body: { received: JSON.parse(req.body || 'null'), customer_id: 'c-42' },
    })).start();
    callbacks = await new Receiver().start();
    stack = await Stack.start('walking-skeleton');
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
    await callbacks?.stop();
  });

  const twoSteps = () => ({
    name: 'order-created',
    on_success_url: callbacks.url('/ok'),
    on_failure_url: callbacks.url('/failed'),
    steps: [
      { id: 'shape', type: 'transform', expression: '{"order": trigger.body.order_id, "double": trigger.body.amount * 2}' },
      {
        id: 'notify',
        type: 'http',
        request: {
          method: 'POST',
          url: `${downstream.url('/orders')}/{{trigger.body.order_id}}`,
          body: {
            order: '{{steps.shape.output.order}}',
            doubled: '{{steps.shape.output.double}}',
            note: 'order {{trigger.body.order_id}}',
          },
        },
        extract: { customer: '$.body.customer_id' },
      },
    ],
  });

  it('creates, publishes and lists webhook URLs for a workflow', async () => {
    const created = await stack.api('POST', '/v1/workflows', twoSteps());
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^wf_/);
    expect(created.body.published_version).toBeNull();
    const urls = created.body.triggers.production;
    expect(urls.async).toMatch(new RegExp(`^${stack.ingressUrl}/hooks/wh_`));
    expect(urls.sync).toBe(`${urls.async}/sync`);
    expect(urls.curl).toContain(urls.async);

    const beforePublish = await request(urls.async, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(beforePublish.status).toBe(404);
    expect(beforePublish.body.error.code).toBe('workflow_not_published');

    const published = await stack.api('POST', `/v1/workflows/${created.body.id}/publish`);
    expect(published.status).toBe(201);
    expect(published.body.version).toBe(1);
    const read = await stack.api('GET', `/v1/workflows/${created.body.id}`);
    expect(read.body.published_version).toBe(1);
    expect(read.body.triggers.production.async).toBe(urls.async);
  });

  it('rejects an invalid definition with 422 listing every bad field, and creates nothing', async () => {
    const before = await stack.api('GET', '/v1/workflows?limit=100');
    const res = await stack.api('POST', '/v1/workflows', {
      name: '',
      max_workflow_duration_seconds: 99999,
      steps: [
        { id: 'a', type: 'http', request: { url: 'x', method: 'FETCH' } },
        { id: 'a', type: 'branch', when: 'true', then: 'nowhere' },
        { id: 'c', type: 'teleport' },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_workflow_definition');
    const paths = res.body.error.details.issues.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'max_workflow_duration_seconds', 'steps[0].request.method', 'steps[2].type']));
    const after = await stack.api('GET', '/v1/workflows?limit=100');
    expect(after.body.data.length).toBe(before.body.data.length);
  });

  it('accepts an async webhook with 202 and runs both steps to success, checkpointed in MongoDB', async () => {
    const wf = await stack.deploy(twoSteps());
    const res = await request(`${wf.async}?source=test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-origin': 'jest' },
      body: JSON.stringify({ order_id: 'A-1', amount: 21 }),
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('queued');
    expect(res.body.status_url).toBe(`${stack.ingressUrl}/v1/executions/${res.body.execution_id}`);

    const execution = await stack.waitForExecution(res.body.execution_id);
    expect(execution.status).toBe('succeeded');
    expect(execution.trigger_input).toMatchObject({
      method: 'POST',
      query: { source: 'test' },
      body: { order_id: 'A-1', amount: 21 },
      headers: { 'x-request-origin': 'jest' },
    });
    expect(execution.step_executions.map((s: { step_id: string; status: string }) => [s.step_id, s.status])).toEqual([
      ['shape', 'succeeded'],
      ['notify', 'succeeded'],
    ]);
    expect(execution.step_executions[0].output).toEqual({ order: 'A-1', double: 42 });
    expect(execution.final_output).toMatchObject({ status: 200, body: { customer_id: 'c-42' } });

    const call = downstream.requests.find((r) => r.path === '/orders/A-1');
    expect(call).toBeDefined();
    expect(JSON.parse(call?.body ?? '{}')).toEqual({ order: 'A-1', doubled: 42, note: 'order A-1' });
    expect(call?.headers['idempotency-key']).toBe(`${res.body.execution_id}:notify`);
    expect(call?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-/);

    const db = await stack.settledDb(); // MongoDB follows the live state by group commit
    const steps = await db.collection('step_executions').find({ execution_id: res.body.execution_id }).toArray();
    expect(steps).toHaveLength(2);
    const stored = await db.collection('executions').findOne({ _id: res.body.execution_id } as never);
    expect(stored?.status).toBe('succeeded');
    expect(JSON.parse(String(stored?.context_json))).toEqual({ customer: 'c-42' });
  });

  it('answers the sync URL with the last step output', async () => {
    const wf = await stack.deploy({
      name: 'sync-echo',
      steps: [{ id: 'echo', type: 'transform', expression: '{"hello": trigger.body.name, "method": trigger.method}' }],
    });
    const res = await request(wf.sync, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada' }),
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ hello: 'Ada', method: 'POST' });
  });

  it('delivers one signed success callback and one signed failure callback', async () => {
    const ok = await stack.deploy(twoSteps());
    const failing = await stack.deploy({
      name: 'always-fails',
      on_success_url: callbacks.url('/ok'),
      on_failure_url: callbacks.url('/failed'),
      steps: [{ id: 'boom', type: 'fail', message: 'no stock for {{trigger.body.sku}}' }],
    });
    const before = callbacks.requests.length;
    const a = await request(ok.async, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order_id: 'B-2', amount: 1 }),
    });
    const b = await request(failing.async, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'X' }),
    });
    const failed = await stack.waitForExecution(b.body.execution_id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'workflow_failed', message: 'no stock for X', step_id: 'boom' });
    await stack.waitForExecution(a.body.execution_id);

    const mine = (id: string) => callbacks.requests.slice(before).filter((r) => r.body.includes(id));
    const deadline = Date.now() + 15_000;
    while ((mine(a.body.execution_id).length < 1 || mine(b.body.execution_id).length < 1) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now

    const verifier = new Webhook(stack.signingSecret);
    const [success] = mine(a.body.execution_id);
    const [failure] = mine(b.body.execution_id);
    expect(mine(a.body.execution_id)).toHaveLength(1);
    expect(mine(b.body.execution_id)).toHaveLength(1);
    expect(success?.path).toBe('/ok');
    expect(failure?.path).toBe('/failed');
    for (const cb of [success, failure]) {
      const headers = {
        'webhook-id': String(cb?.headers['webhook-id']),
        'webhook-timestamp': String(cb?.headers['webhook-timestamp']),
        'webhook-signature': String(cb?.headers['webhook-signature']),
      };
      expect(() => verifier.verify(cb?.body ?? '', headers)).not.toThrow();
      expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(cb?.body ?? '', headers)).toThrow();
    }
    expect(JSON.parse(success?.body ?? '{}')).toMatchObject({
      type: 'execution.succeeded',
      data: { execution_id: a.body.execution_id, status: 'succeeded' },
    });
    expect(JSON.parse(failure?.body ?? '{}')).toMatchObject({
      type: 'execution.failed',
      data: { execution_id: b.body.execution_id, status: 'failed' },
    });
  });

  it('ends a hanging execution as timed_out through a real scheduler timer', async () => {
    downstream.respond((req) =>
      req.path.startsWith('/hang') ? { status: 200, body: {}, delayMs: 20_000 } : { status: 200, body: { customer_id: 'c-42' } },
    );
    const wf = await stack.deploy({
      name: 'hangs',
      max_workflow_duration_seconds: 2,
      on_failure_url: callbacks.url('/failed'),
      steps: [{ id: 'wait', type: 'http', request: { method: 'GET', url: downstream.url('/hang') }, timeout_s: 60 }],
    });
    const res = await request(wf.async, { method: 'POST' });
    const started = Date.now();
    const execution = await stack.waitForExecution(res.body.execution_id, undefined, 15_000);
    expect(execution.status).toBe('timed_out');
    expect(execution.error.code).toBe('workflow_timed_out');
    expect(Date.now() - started).toBeLessThan(10_000);
    const db = await stack.db();
    expect(await db.collection('timers').findOne({ execution_id: res.body.execution_id })).toBeNull(); // fired, then deleted
  });
});

import { INLINE_TRIGGER_INPUT_MAX_BYTES } from '@flowgate/contracts';
import { request, sleep, Stack } from '../support/stack';

/**
 * `trigger.webhook.debounce` (ADR 0022) against the running services: events with one key within
 * the period answer 202 `debounced` with one execution id, and that one execution runs with the
 * last event's input when the window fires (a JetStream message schedule); windows are per key,
 * bounded by max_wait_s, shared by ingress replicas (NATS KV compare-and-set), and a fire survives
 * an executor killed around it.
 */
describe('debounce', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('debounce', { services: ['ingress', 'execution'] });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const onReplica2 = (url: string) => url.replace(stack.ingressUrl, stack.ingressReplicaUrl(2));

  const deploy = (name: string, debounce: Record<string, unknown>) =>
    stack.deploy({
      name,
      max_concurrent_executions: 0,
      trigger: { webhook: { debounce: { key: 'trigger.body.customer', ...debounce } } },
      steps: [{ id: 'last', type: 'transform', expression: 'trigger.body.n' }],
    });

  const executionsOf = async (workflowId: string) =>
    (await stack.settledDb()).collection('executions').find({ workflow_id: workflowId }).toArray();

  it('five events with one key within the period: all 202 debounced with one id; one execution runs, with the last body', async () => {
    const wf = await deploy('debounce-five', { period_s: 3 });
    const answers = [];
    for (let n = 1; n <= 5; n++) {
      // The sync URL answers the same: debounced events never wait for their execution.
      answers.push(await post(n === 3 ? wf.sync : wf.async, { customer: 'acme', n }));
      await sleep(150);
    }
    expect(answers.map((a) => [a.status, a.body.status])).toEqual(Array(5).fill([202, 'debounced']));
    const ids = new Set(answers.map((a) => a.body.execution_id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(answers[0]?.body.status_url).toBe(`${stack.ingressUrl}/v1/executions/${id}`);
    // Not started before the window fires (3 s after the last event).
    expect((await stack.api('GET', `/v1/executions/${id}`)).status).toBe(404);
    const done = await stack.waitForExecution(id);
    expect(done.status).toBe('succeeded');
    expect(done.trigger_input.body).toEqual({ customer: 'acme', n: 5 });
    expect(done.final_output).toBe(5);
    const all = await executionsOf(wf.id);
    expect(all.map((e) => e._id)).toEqual([id]);
    const metrics = await (await fetch(`${stack.opsUrl('execution')}/metrics`)).text();
    expect(metrics).toMatch(/^flowgate_debounce_fires_total\{[^}]*outcome="started"[^}]*\} [1-9]/m);
  });

  it('different keys are separate windows; an event after the fire opens a new window with a new id', async () => {
    const wf = await deploy('debounce-keys', { period_s: 2.5 });
    const a1 = await post(wf.async, { customer: 'a', n: 1 });
    const b1 = await post(wf.async, { customer: 'b', n: 10 });
    const a2 = await post(wf.async, { customer: 'a', n: 2 });
    const b2 = await post(wf.async, { customer: 'b', n: 20 });
    expect(a1.body.execution_id).toBe(a2.body.execution_id);
    expect(b1.body.execution_id).toBe(b2.body.execution_id);
    expect(a1.body.execution_id).not.toBe(b1.body.execution_id);
    const [a, b] = await Promise.all([stack.waitForExecution(a1.body.execution_id), stack.waitForExecution(b1.body.execution_id)]);
    expect([a.trigger_input.body.n, b.trigger_input.body.n]).toEqual([2, 20]);
    const after = await post(wf.async, { customer: 'a', n: 3 });
    expect(after.body.status).toBe('debounced');
    expect(after.body.execution_id).not.toBe(a1.body.execution_id);
    expect((await stack.waitForExecution(after.body.execution_id)).trigger_input.body.n).toBe(3);
    expect(await executionsOf(wf.id)).toHaveLength(3);
  });

  it('a capped workflow (max_concurrent_executions 1): windows that fire together run one after the other', async () => {
    const wf = await stack.deploy({
      name: 'debounce-capped',
      trigger: { webhook: { debounce: { key: 'trigger.body.customer', period_s: 1 } } },
      steps: [
        { id: 'pause', type: 'delay', duration_s: 1 },
        { id: 'last', type: 'transform', expression: 'trigger.body.n' },
      ],
    });
    const ids = [];
    for (const customer of ['x', 'y', 'z']) ids.push((await post(wf.async, { customer, n: customer })).body.execution_id);
    const done = await Promise.all(ids.map((id) => stack.waitForExecution(id, undefined, 30_000)));
    expect(done.map((e) => [e.status, e.final_output])).toEqual([
      ['succeeded', 'x'],
      ['succeeded', 'y'],
      ['succeeded', 'z'],
    ]);
    // One at a time: each started after the one before it finished.
    const spans = done.map((e) => [Date.parse(e.started_at), Date.parse(e.finished_at)]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    for (let i = 1; i < spans.length; i++) expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] ?? Infinity);
  });

  it('max_wait_s bounds a steady stream of events: the window fires max_wait_s after its first event', async () => {
    const wf = await deploy('debounce-max-wait', { period_s: 2, max_wait_s: 3 });
    const first = Date.now();
    const answers: { id: string; n: number; at: number }[] = [];
    for (let n = 1; Date.now() - first < 6_000; n++) {
      const res = await post(wf.async, { customer: 'stream', n });
      expect(res.body.status).toBe('debounced');
      answers.push({ id: res.body.execution_id, n, at: Date.now() });
      await sleep(250);
    }
    // Without max_wait nothing would have started while events kept coming (every 250 ms, under period_s).
    const firstId = answers[0]?.id;
    const firstWindow = answers.filter((a) => a.id === firstId);
    const started = await stack.waitForExecution(String(firstId));
    expect(started.status).toBe('succeeded');
    expect(started.trigger_input.body.n).toBe(firstWindow.at(-1)?.n);
    // The first window closed at ~3 s (max_wait_s, + the schedule's lag), while the stream went on.
    expect((firstWindow.at(-1)?.at ?? 0) - first).toBeLessThan(4_500);
    expect(new Set(answers.map((a) => a.id)).size).toBeGreaterThanOrEqual(2);
    for (const id of new Set(answers.map((a) => a.id))) {
      const e = await stack.waitForExecution(id);
      expect(e.trigger_input.body.n).toBe(answers.filter((a) => a.id === id).at(-1)?.n);
    }
  });

  it('two ingress replicas share one window', async () => {
    const wf = await deploy('debounce-replicas', { period_s: 3 });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(i % 2 === 0 ? wf.async : onReplica2(wf.async), { customer: 'shared', n: i })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const ids = new Set(answers.map((a) => a.body.execution_id));
    expect(ids.size).toBe(1);
    // One more, sequentially after the burst, on the second replica: the last event.
    const last = await post(onReplica2(wf.async), { customer: 'shared', n: 99 });
    expect(last.body.execution_id).toBe([...ids][0]);
    const done = await stack.waitForExecution(last.body.execution_id);
    expect(done.trigger_input.body.n).toBe(99);
    expect(await executionsOf(wf.id)).toHaveLength(1);
  });

  it('an executor killed before the window is due, or just as it fires: exactly one execution, with the last body', async () => {
    const wf = await deploy('debounce-crash', { period_s: 2 });
    // Killed 1.6 s after the last event (before due: the schedule fires into the stream while none runs),
    // then at the due time (the kill lands somewhere around the fire: before, during or after it).
    for (const [customer, killAfterMs] of [
      ['before', 1_600],
      ['at-due', 2_050],
    ] as const) {
      let id = '';
      for (let n = 1; n <= 3; n++) id = (await post(wf.async, { customer, n })).body.execution_id;
      await sleep(killAfterMs);
      await stack.stopService('execution', 'SIGKILL');
      await sleep(2_500);
      await stack.startService('execution');
      const done = await stack.waitForExecution(id);
      expect(done.status).toBe('succeeded');
      expect(done.trigger_input.body).toEqual({ customer, n: 3 });
    }
    expect(await executionsOf(wf.id)).toHaveLength(2);
  });

  it('an idempotent repeat answers its first delivery’s window and does not become its last event', async () => {
    const wf = await deploy('debounce-idem', { period_s: 3 });
    const first = await post(wf.async, { customer: 'i', n: 1 }, { 'idempotency-key': 'evt-1' });
    const other = await post(wf.async, { customer: 'i', n: 2 }, { 'idempotency-key': 'evt-2' });
    const repeat = await post(onReplica2(wf.async), { customer: 'i', n: 1 }, { 'idempotency-key': 'evt-1' });
    expect([first.body.status, other.body.status, repeat.body.status]).toEqual(['debounced', 'debounced', 'debounced']);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(new Set([first.body.execution_id, other.body.execution_id, repeat.body.execution_id]).size).toBe(1);
    const done = await stack.waitForExecution(first.body.execution_id);
    expect(done.trigger_input.body.n).toBe(2);
    expect(await executionsOf(wf.id)).toHaveLength(1);
  });

  it('a window counts one execution of the workspace’s quota; events joining it cost nothing', async () => {
    const tenant = await stack.newWorkspace('debounce-quota');
    expect((await stack.api('PATCH', `/v1/workspaces/${tenant.id}`, { quotas: { executions_per_day: 2 } })).status).toBe(200);
    const created = await request(`${stack.ingressUrl}/v1/workflows?publish=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'debounce-quota',
        max_concurrent_executions: 0,
        trigger: { webhook: { debounce: { key: 'trigger.body.customer', period_s: 10 } } },
        steps: [{ id: 'last', type: 'transform', expression: 'trigger.body.n' }],
      }),
    });
    expect(created.status).toBe(201);
    const url = String(created.body.triggers.production.async);
    const statuses: number[] = [];
    for (const [customer, n] of [
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['a', 3],
      ['c', 1],
      ['b', 2],
    ] as const)
      statuses.push((await post(url, { customer, n })).status);
    // a and b open the two windows the quota allows; c would be a third execution.
    expect(statuses).toEqual([202, 202, 202, 202, 429, 202]);
  });

  it('large inputs: the window runs with the last event’s body, and the superseded one is removed', async () => {
    const wf = await deploy('debounce-large', { period_s: 3 });
    const big = (n: number) => ({ customer: 'big', n, blob: 'x'.repeat(INLINE_TRIGGER_INPUT_MAX_BYTES + 1_000) });
    const first = await post(wf.async, big(1));
    const second = await post(wf.async, big(2));
    expect(second.body.execution_id).toBe(first.body.execution_id);
    const done = await stack.waitForExecution(first.body.execution_id);
    expect(done.status).toBe('succeeded');
    expect(done.final_output).toBe(2);
    expect(done.trigger_input_ref).toMatch(/^dbn_/);
    const served = await fetch(done.trigger_input_url, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(JSON.parse(await served.text())).toEqual(big(2));
    // This stack's database holds no other debounced payloads.
    const chunks = await (
      await stack.settledDb()
    )
      .collection('payloads')
      .find({}, { projection: { payload_id: 1 } })
      .toArray();
    expect([...new Set(chunks.map((c) => String(c.payload_id)).filter((id) => id.startsWith('dbn_')))]).toEqual([done.trigger_input_ref]);
  });

  it('an invalid key expression and an unknown field in debounce are 422 at their paths', async () => {
    const bad = await stack.api('POST', '/v1/workflows', {
      name: 'debounce-bad',
      trigger: { webhook: { debounce: { key: 'trigger.body.(', period_s: 1 } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_workflow_definition');
    expect(bad.body.error.details.issues).toEqual([
      expect.objectContaining({ path: 'trigger.webhook.debounce.key', code: 'invalid_expression' }),
    ]);
    const unknown = await stack.api('POST', '/v1/workflows', {
      name: 'debounce-unknown',
      trigger: { webhook: { debounce: { key: 'trigger.body.c', period_s: 1, wait: 3 } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details.issues).toEqual([expect.objectContaining({ path: 'trigger.webhook.debounce.wait' })]);
  });
});

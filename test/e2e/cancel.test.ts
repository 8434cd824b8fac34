import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/** POST /v1/executions/{id}/cancel ends a running execution for good; /replay runs one again. */
describe('cancel and replay', () => {
  let stack: Stack;
  let downstream: Receiver;
  let callbacks: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true }, delayMs: 3_000 })).start();
    callbacks = await new Receiver().start();
    stack = await Stack.start('cancel');
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
    await callbacks?.stop();
  });

  it('cancels a running execution: the in-flight step is aborted, later steps never run, no callback', async () => {
    const wf = await stack.deploy({
      name: 'cancellable',
      on_success_url: callbacks.url('/ok'),
      on_failure_url: callbacks.url('/failed'),
      steps: [
        { id: 'slow', type: 'http', request: { method: 'GET', url: downstream.url('/slow') } },
        { id: 'later', type: 'http', request: { method: 'GET', url: downstream.url('/later') } },
      ],
    });
    const res = await request(wf.async, { method: 'POST' });
    const id: string = res.body.execution_id;
    await stack.waitForExecution(id, (e) => e.status === 'running' && e.step_executions.length > 0);

    const cancelled = await stack.api('POST', `/v1/executions/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled', error: { code: 'cancelled' } });

    await sleep(4_000); // past the slow step's answer
    const after = await stack.api('GET', `/v1/executions/${id}`);
    expect(after.body.status).toBe('cancelled');
    expect(downstream.requests.filter((r) => r.path === '/later')).toHaveLength(0);
    expect(callbacks.requests).toHaveLength(0);
    expect(await (await stack.db()).collection('timers').countDocuments({ execution_id: id })).toBe(0);

    const metrics = (await request(`${stack.opsUrl('execution')}/metrics`)).text;
    expect(metrics).toMatch(/flowgate_executions_finished_total\{[^}]*status="cancelled"[^}]*\} 1\n/);

    const again = await stack.api('POST', `/v1/executions/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('answers 404 for an unknown execution', async () => {
    for (const action of ['cancel', 'replay']) {
      const res = await stack.api('POST', `/v1/executions/00000000-0000-4000-8000-000000000000/${action}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('execution_not_found');
    }
  });

  it('replays an execution: same trigger input, latest published version, linked to the original', async () => {
    const created = await stack.api('POST', '/v1/workflows?publish=true', {
      name: 'replayable',
      steps: [{ id: 'v', type: 'transform', expression: '{"version": 1, "n": trigger.body.n}' }],
    });
    const original = await request(created.body.triggers.production.async, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n": 5}',
    });
    await stack.waitForExecution(original.body.execution_id);
    const definition = created.body.definition;
    await stack.api('PUT', `/v1/workflows/${created.body.id}`, {
      ...definition,
      steps: [{ id: 'v', type: 'transform', expression: '{"version": 2, "n": trigger.body.n}' }],
    });
    await stack.api('POST', `/v1/workflows/${created.body.id}/publish`);

    const replay = await stack.api('POST', `/v1/executions/${original.body.execution_id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body.replay_of).toBe(original.body.execution_id);
    const done = await stack.waitForExecution(replay.body.execution_id);
    expect(done).toMatchObject({
      status: 'succeeded',
      workflow_version: 2,
      replay_of: original.body.execution_id,
      final_output: { version: 2, n: 5 },
      trigger_input: { body: { n: 5 } },
    });
  });
});

import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/**
 * POST /v1/executions/{id}/replay {"from_step": …}: a new execution on the original's version that
 * begins at the chosen step, the outputs of the steps the original completed before it carried over.
 */
describe('replay from a chosen step', () => {
  let stack: Stack;
  let downstream: Receiver;
  let calls = 0;

  beforeAll(async () => {
    // `/a` hands out a token; `/b` fails the first time, then echoes what it was sent.
    downstream = await new Receiver((req) => {
      if (req.path === '/a') return { status: 200, body: { token: `tok-${++calls}`, region: 'eu' } };
      if (req.path === '/b') {
        const seen = downstream.requests.filter((r) => r.path === '/b').length;
        return seen === 1 ? { status: 500, body: { error: 'down' } } : { status: 200, body: { echoed: JSON.parse(req.body) as unknown } };
      }
      return { status: 404 };
    }).start();
    stack = await Stack.start('replay');
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  const definition = (version: number) => ({
    name: 'replay-from-step',
    steps: [
      { id: 'a', type: 'http', request: { method: 'POST', url: downstream.url('/a') }, extract: { token: '$.body.token' } },
      {
        id: 'b',
        type: 'http',
        request: { method: 'POST', url: downstream.url('/b'), body: { token: '{{steps.a.output.body.token}}', n: '{{trigger.body.n}}' } },
      },
      {
        id: 'c',
        type: 'transform',
        expression: `{"version": ${version}, "a": steps.a.output.body.token, "b": steps.b.output.body.echoed, "context_token": context.token}`,
      },
    ],
  });

  let workflowId = '';
  let originalId = '';

  beforeAll(async () => {
    const wf = await stack.deploy(definition(1));
    workflowId = wf.id;
    const started = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 7}' });
    originalId = String(started.body.execution_id);
    const failed = await stack.waitForExecution(originalId);
    expect(failed.status).toBe('failed');
    expect(failed.error.step_id).toBe('b');
    // A later version: the replay from a step still runs the version the original ran.
    await stack.api('PUT', `/v1/workflows/${workflowId}`, definition(2));
    expect((await stack.api('POST', `/v1/workflows/${workflowId}/publish`)).status).toBe(201);
  });

  it('refuses a step that is not in the workflow, an unknown field, and a step the original never reached: nothing starts', async () => {
    const unknown = await stack.api('POST', `/v1/executions/${originalId}/replay`, { from_step: 'ghost' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('invalid_request');
    expect(unknown.body.error.details.issues[0].path).toBe('from_step');

    const extra = await stack.api('POST', `/v1/executions/${originalId}/replay`, { from_step: 'b', from: 'a' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.issues[0]).toMatchObject({ path: 'from', code: 'unrecognized_keys' });

    // The original failed at b: c's inputs (b's output) were never made.
    const notReached = await stack.api('POST', `/v1/executions/${originalId}/replay`, { from_step: 'c' });
    expect(notReached.status).toBe(409);
    expect(notReached.body.error).toMatchObject({ code: 'conflict', details: { from_step: 'c' } });

    const db = await stack.settledDb();
    expect(await db.collection('executions').countDocuments({ replay_of: originalId })).toBe(0);
  });

  it('begins at the step on the original version: the earlier step is not run again, its output (and extract) carried over', async () => {
    const replay = await stack.api('POST', `/v1/executions/${originalId}/replay`, { from_step: 'b' });
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ status: 'queued', replay_of: originalId, from_step: 'b' });
    const done = await stack.waitForExecution(String(replay.body.execution_id));
    expect(done.status).toBe('succeeded');
    expect(done.workflow_version).toBe(1);
    expect(done.replay_of).toBe(originalId);
    expect(done.replay_from_step).toBe('b');
    expect(done.final_output).toEqual({ version: 1, a: 'tok-1', b: { token: 'tok-1', n: 7 }, context_token: 'tok-1' });
    expect(done.step_executions.map((s: { step_id: string; status: string }) => [s.step_id, s.status])).toEqual([
      ['a', 'carried_over'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
    expect(done.step_executions[0].output).toMatchObject({ status: 200, body: { token: 'tok-1', region: 'eu' } });
    // Step a ran once (for the original), b twice (failed, then in the replay).
    expect(downstream.requests.filter((r) => r.path === '/a')).toHaveLength(1);
    expect(downstream.requests.filter((r) => r.path === '/b')).toHaveLength(2);
    // The original is untouched.
    const original = await stack.api('GET', `/v1/executions/${originalId}`);
    expect(original.body.status).toBe('failed');
  });

  it('without from_step replays as before: from the first step, on the latest published version', async () => {
    const replay = await stack.api('POST', `/v1/executions/${originalId}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body.from_step).toBeNull();
    const done = await stack.waitForExecution(String(replay.body.execution_id));
    expect(done.status).toBe('succeeded');
    expect(done.workflow_version).toBe(2);
    expect(done.replay_from_step).toBeNull();
    expect(done.final_output).toMatchObject({ version: 2, a: 'tok-2' });
    expect(done.step_executions.map((s: { status: string }) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});

import { request, sleep, Stack } from '../support/stack';

/**
 * An ingress stopping while a sync caller waits for a long execution: the caller is answered before
 * the shutdown bound (FLOWGATE_SHUTDOWN_TIMEOUT_MS) with the 202 it would get at its own timeout —
 * the execution id and status URL — instead of a cut connection, the process exits 0, and the
 * execution still finishes.
 */
describe('ingress shutdown with a sync caller waiting', () => {
  let stack: Stack;
  const SHUTDOWN_BOUND_MS = 6_000;

  beforeAll(async () => {
    stack = await Stack.start('ingress-drain', {
      services: ['ingress', 'execution', 'scheduler'],
      env: { ingress: { FLOWGATE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_BOUND_MS) } },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('answers it with its 202 before the bound, exits 0, and the execution goes on', async () => {
    const wf = await stack.deploy({
      name: 'slow-sync',
      trigger: { webhook: { sync_timeout_s: 120 } },
      steps: [
        { id: 'pause', type: 'delay', duration_s: 10 },
        { id: 'answer', type: 'transform', expression: '{"done": true}' },
      ],
    });
    const waiting = request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
      (res) => ({ res, at: Date.now() }),
      (err: unknown) => ({ err: String(err), at: Date.now() }),
    );
    // the webhook is accepted and its caller follows the execution (parked in its delay)
    await sleep(2_000);
    const t0 = Date.now();
    const exited = stack.stopService('ingress', 'SIGTERM');
    const answer = await waiting;
    expect(answer).toMatchObject({ res: { status: 202, body: { status: expect.any(String) } } });
    expect(answer.at - t0).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(await exited).toBe(0);
    const executionId = 'res' in answer ? String(answer.res.body.execution_id) : '';
    expect(executionId).not.toBe('');

    await stack.startService('ingress');
    const done = await stack.waitForExecution(executionId, undefined, 60_000);
    expect(done.status).toBe('succeeded');
  }, 120_000);
});

import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/** kill -9 the executor in the middle of a workflow: it resumes where it was, nothing runs twice. */
describe('crash recovery', () => {
  let stack: Stack;
  let downstream: Receiver;
  let callbacks: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver((req) => ({
      status: 200,
      body: { path: req.path },
      delayMs: req.path.startsWith('/slow') ? 3_000 : 0,
    })).start();
    callbacks = await new Receiver().start();
    stack = await Stack.start('crash-recovery', { env: { execution: { FLOWGATE_ACK_WAIT_MS: '5000' } } });
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
    await callbacks?.stop();
  });

  it('resumes after SIGKILL: completed steps are kept, the interrupted one re-runs with the same idempotency key, one callback', async () => {
    const wf = await stack.deploy({
      name: 'five-steps',
      on_success_url: callbacks.url('/done'),
      steps: [
        { id: 'first', type: 'http', request: { method: 'POST', url: downstream.url('/first/{{trigger.body.n}}') } },
        { id: 'shape', type: 'transform', expression: '{"n": trigger.body.n}' },
        { id: 'slow', type: 'http', request: { method: 'POST', url: downstream.url('/slow/{{steps.shape.output.n}}') } },
        { id: 'after', type: 'http', request: { method: 'POST', url: downstream.url('/after/{{trigger.body.n}}') } },
        { id: 'answer', type: 'transform', expression: '"done"' },
      ],
    });
    const res = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 7}' });
    expect(res.status).toBe(202);
    const id: string = res.body.execution_id;

    const deadline = Date.now() + 10_000;
    while (!downstream.requests.some((r) => r.path === '/slow/7') && Date.now() < deadline) await sleep(20);
    expect(await stack.stopService('execution', 'SIGKILL')).toBeNull();
    await stack.startService('execution');

    const execution = await stack.waitForExecution(id, undefined, 40_000);
    expect(execution.status).toBe('succeeded');
    expect(execution.final_output).toBe('done');

    const count = (path: string) => downstream.requests.filter((r) => r.path === path).length;
    expect(count('/first/7')).toBe(1);
    expect(count('/slow/7')).toBe(2);
    expect(count('/after/7')).toBe(1);
    const slowKeys = downstream.requests.filter((r) => r.path === '/slow/7').map((r) => r.headers['idempotency-key']);
    expect(slowKeys).toEqual([`${id}:slow`, `${id}:slow`]);

    const steps = execution.step_executions.map((s: { step_id: string; status: string }) => `${s.step_id}:${s.status}`);
    expect(steps.filter((s: string) => s.endsWith(':succeeded'))).toEqual([
      'first:succeeded',
      'shape:succeeded',
      'slow:succeeded',
      'after:succeeded',
      'answer:succeeded',
    ]);
    expect(steps).toContain('slow:interrupted'); // the attempt the crash interrupted stays visible

    await callbacks.waitFor(1);
    await sleep(1_000);
    expect(callbacks.requests.filter((r) => r.body.includes(id))).toHaveLength(1);
  });
});

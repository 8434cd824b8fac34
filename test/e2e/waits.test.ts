import { Webhook } from 'standardwebhooks';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/** delay, wait_for_webhook and approval park the execution; timers and public URLs resume it. */
describe('parking steps', () => {
  let stack: Stack;
  let downstream: Receiver;
  let callbacks: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    callbacks = await new Receiver(() => ({ status: 204 })).start();
    stack = await Stack.start('waits');
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
    await callbacks?.stop();
  });

  const fire = async (url: string, body: unknown = {}) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    return res.body.execution_id as string;
  };
  const post = (url: string, body?: unknown) =>
    request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const waiting = (id: string) => stack.waitForExecution(id, (e) => e.status === 'waiting', 30_000);

  it('delay: parks as waiting with its resume time, then the scheduler resumes it', async () => {
    const wf = await stack.deploy({
      name: 'delay',
      max_concurrent_executions: 0,
      steps: [
        { id: 'pause', type: 'delay', duration_s: 1.5 },
        { id: 'after', type: 'transform', expression: '"resumed"' },
      ],
    });
    const id = await fire(wf.async);
    const parked = await waiting(id);
    expect(parked.waiting_reason).toBe('delay');
    expect(Date.parse(parked.waiting_payload.resume_at)).toBe(Date.parse(parked.waiting_expires_at));
    const done = await stack.waitForExecution(id, undefined, 30_000);
    expect(done.status).toBe('succeeded');
    expect(done.final_output).toBe('resumed');
    expect(done.waiting_reason).toBeNull();
    const pause = done.step_executions.find((s: { step_id: string }) => s.step_id === 'pause');
    expect(Date.parse(pause.finished_at) - Date.parse(pause.started_at)).toBeGreaterThanOrEqual(1_400);
    expect(done.step_executions.map((s: { status: string }) => s.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('wait_for_webhook: the POST to resume_url becomes the step output; the URL works once', async () => {
    const wf = await stack.deploy({
      name: 'wait-hook',
      max_concurrent_executions: 0,
      steps: [
        { id: 'wait', type: 'wait_for_webhook', expires_in_s: 60 },
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/paid/{{steps.wait.output.payment}}') } },
      ],
    });
    const id = await fire(wf.async);
    const parked = await waiting(id);
    expect(parked.waiting_reason).toBe('webhook');
    const resumeUrl: string = parked.waiting_payload.resume_url;
    expect(resumeUrl).toMatch(new RegExp(`^${stack.ingressUrl}/resume/wt_[A-Za-z0-9_-]+$`));

    const bad = await request(resumeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payment": ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const unknown = await post(`${stack.ingressUrl}/resume/wt_${'x'.repeat(43)}`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('wait_not_found');
    expect((await stack.waitForExecution(id, (e) => e.status === 'waiting')).status).toBe('waiting');

    const [first, second] = await Promise.all([post(resumeUrl, { payment: 'p-1' }), post(resumeUrl, { payment: 'p-2' })]);
    expect([first.status, second.status].sort()).toEqual([202, 409]);
    const accepted = first.status === 202 ? first : second;
    expect(accepted.body).toEqual({ execution_id: id, status: 'resuming', status_url: `${stack.ingressUrl}/v1/executions/${id}` });
    const done = await stack.waitForExecution(id);
    expect(done.status).toBe('succeeded');
    const won = first.status === 202 ? 'p-1' : 'p-2';
    expect(done.step_executions[0].output).toEqual({ payment: won });
    expect(downstream.requests.filter((r) => r.path.startsWith('/paid/')).map((r) => r.path)).toEqual([`/paid/${won}`]);
    const late = await post(resumeUrl, { payment: 'p-3' });
    expect(late.status).toBe(404);
  });

  it('an expired wait follows on_timeout, or fails with wait_expired', async () => {
    const wf = await stack.deploy({
      name: 'wait-expiry',
      max_concurrent_executions: 0,
      steps: [
        { id: 'wait', type: 'wait_for_webhook', expires_in_s: 1, on_timeout: 'late' },
        { id: 'on_time', type: 'transform', expression: '"on time"', next: 'end' },
        { id: 'late', type: 'transform', expression: '"late"' },
        { id: 'end', type: 'transform', expression: '$' },
      ],
    });
    const strict = await stack.deploy({
      name: 'wait-strict',
      max_concurrent_executions: 0,
      steps: [{ id: 'wait', type: 'wait_for_webhook', expires_in_s: 1 }],
    });
    const [a, b] = await Promise.all([fire(wf.async), fire(strict.async)]);
    const followed = await stack.waitForExecution(a, undefined, 30_000);
    expect(followed.status).toBe('succeeded');
    expect(followed.step_executions.map((s: { step_id: string }) => s.step_id)).toEqual(['wait', 'late', 'end']);
    expect(followed.step_executions[0].output).toMatchObject({ expired: true });
    const failed = await stack.waitForExecution(b, undefined, 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'wait_expired', step_id: 'wait' });
  });

  it('approval: signed approval_required callback with its URLs, review, approve with a comment', async () => {
    const wf = await stack.deploy({
      name: 'approval',
      max_concurrent_executions: 0,
      on_approval_required_url: callbacks.url('/approval'),
      steps: [
        { id: 'review', type: 'approval', message: 'Refund {{trigger.body.amount}} EUR?' },
        { id: 'refund', type: 'http', request: { method: 'POST', url: downstream.url('/refund/{{steps.review.output.decision}}') } },
      ],
    });
    const id = await fire(wf.async, { amount: 120 });
    const parked = await waiting(id);
    expect(parked.waiting_reason).toBe('approval');
    const { review_url, approve_url, reject_url, message } = parked.waiting_payload;
    expect(message).toBe('Refund 120 EUR?');
    expect(approve_url).toBe(`${review_url}/approve`);
    expect(reject_url).toBe(`${review_url}/reject`);

    const deadline = Date.now() + 15_000;
    while (!callbacks.requests.some((r) => r.path === '/approval') && Date.now() < deadline) await sleep(100);
    const cb = callbacks.requests.find((r) => r.path === '/approval');
    expect(cb).toBeDefined();
    const verified = new Webhook(stack.signingSecret).verify(cb?.body ?? '', cb?.headers as Record<string, string>) as {
      type: string;
      data: { execution_id: string; approval: Record<string, string> };
    };
    expect(verified.type).toBe('execution.approval_required');
    expect(verified.data.execution_id).toBe(id);
    expect(verified.data.approval.approve_url).toBe(approve_url);

    const shown = await request(review_url);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ execution_id: id, step_id: 'review', message: 'Refund 120 EUR?', approve_url, reject_url });
    const badBody = await post(approve_url, { comment: 5 });
    expect(badBody.status).toBe(400);
    expect((await post(approve_url, { comment: 'fine by me' })).status).toBe(202);
    const done = await stack.waitForExecution(id);
    expect(done.status).toBe('succeeded');
    expect(done.step_executions[0].output).toMatchObject({ decision: 'approved', comment: 'fine by me' });
    expect(downstream.requests.some((r) => r.path === '/refund/approved')).toBe(true);
    expect((await post(reject_url)).status).toBe(404);
  });

  it('approval rejected without on_reject fails the execution; a cancelled wait cannot be resumed', async () => {
    const wf = await stack.deploy({ name: 'reject', max_concurrent_executions: 0, steps: [{ id: 'review', type: 'approval' }] });
    const [rejected, cancelled] = await Promise.all([fire(wf.async), fire(wf.async)]);
    const parked = await waiting(rejected);
    expect((await post(parked.waiting_payload.reject_url, { comment: 'no budget' })).status).toBe(202);
    const done = await stack.waitForExecution(rejected);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'approval_rejected', message: 'step "review" was rejected: no budget' });

    const other = await waiting(cancelled);
    const cancel = await request(`${stack.ingressUrl}/v1/executions/${cancelled}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    expect((await post(other.waiting_payload.approve_url)).status).toBe(404);
    expect((await stack.waitForExecution(cancelled)).status).toBe('cancelled');
  });

  it('time parked does not count toward max_workflow_duration_seconds', async () => {
    const wf = await stack.deploy({
      name: 'long-wait',
      max_concurrent_executions: 0,
      max_workflow_duration_seconds: 2,
      steps: [
        { id: 'pause', type: 'delay', duration_s: 3 },
        { id: 'after', type: 'transform', expression: '"ok"' },
      ],
    });
    const id = await fire(wf.async);
    const done = await stack.waitForExecution(id, undefined, 30_000);
    expect(done.status).toBe('succeeded');
  });

  it('the executor killed with SIGKILL while executions wait: after a restart they resume and finish once', async () => {
    const wf = await stack.deploy({
      name: 'wait-crash',
      max_concurrent_executions: 0,
      steps: [
        { id: 'wait', type: 'wait_for_webhook' },
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/after-crash/{{steps.wait.output.n}}') } },
      ],
    });
    const ids = await Promise.all([1, 2].map(() => fire(wf.async)));
    const urls: string[] = [];
    for (const id of ids) urls.push((await waiting(id)).waiting_payload.resume_url);
    await stack.stopService('execution', 'SIGKILL');
    // Accepted while the executor is down: the resume command waits in JetStream.
    expect((await post(urls[0] ?? '', { n: 1 })).status).toBe(202);
    await stack.startService('execution');
    expect((await post(urls[1] ?? '', { n: 2 })).status).toBe(202);
    for (const id of ids) expect((await stack.waitForExecution(id)).status).toBe('succeeded');
    expect(
      downstream.requests
        .filter((r) => r.path.startsWith('/after-crash/'))
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/after-crash/1', '/after-crash/2']);
  });
});

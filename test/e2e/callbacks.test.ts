import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Webhook } from 'standardwebhooks';
import { callbackWorkflow, deliveryOf, fire, requestsFor, verifyFlowgate, waitForRequests, webhookHeaders } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { sleep, Stack } from '../support/stack';

/**
 * Signed callbacks: per-workspace secrets with rotation, the delivery log API, redelivery, and one
 * successful delivery per event (also when the event is published twice).
 */
describe('callbacks: signing, delivery log, redelivery', () => {
  let stack: Stack;
  let receiver: Receiver;
  /** Paths answered with a fixed status (else 200). */
  const answers = new Map<string, number>();

  beforeAll(async () => {
    receiver = await new Receiver((req) => ({ status: answers.get(req.path) ?? 200, body: { seen: true } })).start();
    stack = await Stack.start('callbacks');
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  /** Verifies with the standardwebhooks package and with the README's plain snippet; both must agree. */
  const verifies = (secret: string, r: Parameters<typeof webhookHeaders>[0]) => {
    const check = (verify: () => unknown) => {
      try {
        verify();
        return true;
      } catch {
        return false;
      }
    };
    const library = check(() => new Webhook(secret).verify(r.body, webhookHeaders(r)));
    expect(check(() => verifyFlowgate(secret, webhookHeaders(r), r.body))).toBe(library);
    return library;
  };

  it('signs with the workspace secret after a rotation; both secrets verify until the previous one expires', async () => {
    const key = await stack.apiKeyForWorkspace('ws-rotate');
    const auth = { authorization: `Bearer ${key}` };
    const wf = await callbackWorkflow(stack, receiver.url('/rotate'), { apiKey: key });

    const initial = await stack.api('GET', '/v1/callback-secret', undefined, auth);
    expect(initial.status).toBe(200);
    expect(initial.body.secrets).toEqual([{ id: 'default', current: true, source: 'deployment', created_at: null, expires_at: null }]);

    const rotated = await stack.api('POST', '/v1/callback-secret/rotate', { previous_secret_expires_in_s: 3 }, auth);
    expect(rotated.status).toBe(201);
    const secret: string = rotated.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(rotated.body.id).toMatch(/^cbs_/);
    const listed = await stack.api('GET', '/v1/callback-secret', undefined, auth);
    expect(listed.body.secrets.map((s: { id: string; current: boolean }) => [s.id, s.current])).toEqual([
      [rotated.body.id, true],
      ['default', false],
    ]);
    expect(Date.parse(listed.body.secrets[1].expires_at) - Date.now()).toBeLessThanOrEqual(3_000);
    expect(listed.text).not.toContain(secret.slice(6, 20));
    const stored = await (await stack.db()).collection('callback_secrets').findOne({ _id: 'ws-rotate' } as never);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6, 20)); // sealed at rest

    // During the rotation: two v1 signatures, each secret verifies on its own.
    const during = await fire(wf.async);
    const [cb] = await waitForRequests(receiver.requests, during, 1);
    expect(String(cb?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(String(cb?.headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    expect(cb && verifies(secret, cb)).toBe(true);
    expect(cb && verifies(stack.signingSecret, cb)).toBe(true);
    expect(cb && verifies(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, cb)).toBe(false);

    // The default workspace is untouched: one signature with the deployment secret.
    const other = await callbackWorkflow(stack, receiver.url('/default'));
    const plain = await fire(other.async);
    const [dcb] = await waitForRequests(receiver.requests, plain, 1);
    expect(String(dcb?.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(dcb && verifies(stack.signingSecret, dcb)).toBe(true);
    expect(dcb && verifies(secret, dcb)).toBe(false);

    // After expiry: only the new secret signs.
    await sleep(Math.max(0, Date.parse(listed.body.secrets[1].expires_at) - Date.now()) + 200);
    const after = await fire(wf.async);
    const [acb] = await waitForRequests(receiver.requests, after, 1);
    expect(String(acb?.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(acb && verifies(secret, acb)).toBe(true);
    expect(acb && verifies(stack.signingSecret, acb)).toBe(false);
    const final = await stack.api('GET', '/v1/callback-secret', undefined, auth);
    expect(final.body.secrets.map((s: { id: string }) => s.id)).toEqual([rotated.body.id]);

    // A second rotation keeps the first secret for the default grace of 24 h; 0 revokes at once.
    const second = await stack.api('POST', '/v1/callback-secret/rotate', undefined, auth);
    expect(second.status).toBe(201);
    const grace = Date.parse(second.body.secrets[1].expires_at) - Date.now();
    expect(grace).toBeGreaterThan(23.9 * 3600_000);
    expect(grace).toBeLessThanOrEqual(24 * 3600_000);
    const third = await stack.api('POST', '/v1/callback-secret/rotate', { previous_secret_expires_in_s: 0 }, auth);
    expect(third.body.secrets.map((s: { id: string }) => s.id)).toEqual([third.body.id]);
    const bad = await stack.api('POST', '/v1/callback-secret/rotate', { previous_secret_expires_in_s: -1 }, auth);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });

  it('logs every delivery and attempt; lists them with filters and cursor pagination', async () => {
    answers.set('/gone', 410);
    const ok = await callbackWorkflow(stack, receiver.url('/log-ok'));
    const failing = await callbackWorkflow(stack, receiver.url('/gone'), { fail: true });
    // One after the other, each delivered before the next starts: newest first is then well defined.
    const succeededIds: string[] = [];
    const delivered = [];
    for (let i = 0; i < 3; i++) {
      const id = await fire(ok.async);
      succeededIds.push(id);
      delivered.push(await deliveryOf(stack, id));
    }
    const failedId = await fire(failing.async);
    const failed = await deliveryOf(stack, failedId);

    const one = delivered[0];
    expect(one).toMatchObject({
      id: `${succeededIds[0]}.execution.succeeded`,
      webhook_id: `${succeededIds[0]}.execution.succeeded`,
      execution_id: succeededIds[0],
      workflow_id: ok.id,
      event: 'execution.succeeded',
      url: receiver.url('/log-ok'),
      status: 'succeeded',
      cycle: 1,
      attempt_count: 1,
      next_attempt_at: null,
      payload: { type: 'execution.succeeded', data: { execution_id: succeededIds[0], status: 'succeeded', final_output: { answer: 42 } } },
    });
    expect(one.attempts).toEqual([
      expect.objectContaining({ cycle: 1, attempt: 1, status_code: 200, error: null, response_body: '{"seen":true}' }),
    ]);
    expect(one.attempts[0].latency_ms).toBeGreaterThanOrEqual(0);
    // The body received is exactly the stored payload.
    expect(JSON.parse(requestsFor(receiver.requests, one.execution_id)[0]?.body ?? '')).toEqual(one.payload);

    // A 410 is final: one attempt, failed (the dead letter), and it stays listed.
    expect(failed).toMatchObject({ status: 'failed', event: 'execution.failed', attempt_count: 1 });
    expect(failed.attempts[0]).toMatchObject({ status_code: 410, error: 'HTTP 410', error_code: 'http_status' });

    const list = (query: string) => stack.api('GET', `/v1/deliveries?${query}`);
    const failedList = await list('status=failed');
    expect(failedList.body.data.map((d: { id: string }) => d.id)).toEqual([failed.id]);
    expect(failedList.body.data[0].last_attempt).toMatchObject({ status_code: 410 });
    expect(failedList.body.data[0].attempts).toBeUndefined();
    const byEvent = await list(`event=execution.failed`);
    expect(byEvent.body.data.map((d: { id: string }) => d.id)).toEqual([failed.id]);
    const byWorkflow = await list(`workflow_id=${ok.id}&status=succeeded,failed`);
    expect(byWorkflow.body.data).toHaveLength(3);

    // Cursor pagination, newest first, no item twice.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof list>> = await list(`workflow_id=${ok.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((d: { id: string }) => d.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...succeededIds].reverse().map((id) => `${id}.execution.succeeded`));

    expect((await list('status=lost')).status).toBe(400);
    expect((await list('cursor=nonsense')).body.error.code).toBe('invalid_request');
    expect((await list('colour=red')).status).toBe(400);
    expect((await stack.api('GET', `/v1/deliveries/${randomUUID()}.execution.succeeded`)).body.error.code).toBe('delivery_not_found');
    // Workspace scoping: another workspace sees nothing of this one.
    const otherKey = await stack.apiKeyForWorkspace('ws-other');
    const foreign = await stack.api('GET', `/v1/deliveries/${one.id}`, undefined, { authorization: `Bearer ${otherKey}` });
    expect(foreign.status).toBe(404);
    const foreignList = await stack.api('GET', '/v1/deliveries', undefined, { authorization: `Bearer ${otherKey}` });
    expect(foreignList.body.data).toEqual([]);
  });

  it('redelivers a failed delivery as a fresh cycle with the same webhook-id and body; 409 while pending', async () => {
    answers.set('/later', 422);
    const wf = await callbackWorkflow(stack, receiver.url('/later'));
    const id = await fire(wf.async);
    const failed = await deliveryOf(stack, id);
    expect(failed.status).toBe('failed');
    const [first] = requestsFor(receiver.requests, id);

    answers.delete('/later');
    const res = await stack.api('POST', `/v1/deliveries/${failed.id}/redeliver`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: failed.id, status: 'pending', cycle: 2 });
    const done = await deliveryOf(stack, id, (d) => d.status === 'succeeded' && d.cycle === 2);
    expect(done.attempts.map((a: { cycle: number; status_code: number }) => [a.cycle, a.status_code])).toEqual([
      [1, 422],
      [2, 200],
    ]);
    const [, second] = await waitForRequests(receiver.requests, id, 2);
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(second?.body).toBe(first?.body);
    expect(second && verifies(stack.signingSecret, second)).toBe(true);

    // A succeeded delivery can be sent again too (a receiver that lost it); a repeated request is one redelivery.
    const again = await stack.api('POST', `/v1/deliveries/${failed.id}/redeliver`);
    expect(again.body.cycle).toBe(3);
    await deliveryOf(stack, id, (d) => d.cycle === 3 && d.status === 'succeeded');
    await sleep(500);
    expect(requestsFor(receiver.requests, id)).toHaveLength(3);

    // While attempts are still running: 409.
    answers.set('/flaky', 503);
    const flaky = await callbackWorkflow(stack, receiver.url('/flaky'));
    const flakyId = await fire(flaky.async);
    const pending = await deliveryOf(stack, flakyId, (d) => d.attempt_count >= 1);
    expect(pending.status).toBe('pending');
    const conflict = await stack.api('POST', `/v1/deliveries/${pending.id}/redeliver`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('delivery_pending');
    expect((await stack.api('POST', `/v1/deliveries/${randomUUID()}.execution.failed/redeliver`)).status).toBe(404);
  });

  it('delivers exactly once per event, also when the same execution event is published again', async () => {
    const wf = await callbackWorkflow(stack, receiver.url('/once'));
    const ids = await Promise.all(Array.from({ length: 10 }, (_, n) => fire(wf.async, { n })));
    await Promise.all(ids.map((id) => deliveryOf(stack, id)));

    // The execution service re-publishes a final event after a redelivered command; after the
    // de-duplication window it is a new message. It must not cause a second delivery.
    await republish(ids[0] ?? '', wf.id, receiver.url('/once'));
    await sleep(1_500);
    for (const id of ids) expect(requestsFor(receiver.requests, id)).toHaveLength(1);
    const webhookIds = new Set(ids.map((id) => requestsFor(receiver.requests, id)[0]?.headers['webhook-id']));
    expect(webhookIds.size).toBe(10);
    const docs = await (
      await stack.db()
    )
      .collection('deliveries')
      .find({ execution_id: { $in: ids } })
      .toArray();
    expect(docs).toHaveLength(10);
    expect(docs.every((d) => d.status === 'succeeded' && d.attempts.length === 1)).toBe(true);

    // Republished while the delivery is still retrying: the message driving it keeps it, the copy is dropped.
    let calls = 0;
    receiver.respond((req) => (req.path === '/dup' && ++calls === 1 ? { status: 503 } : { status: answers.get(req.path) ?? 200 }));
    const dup = await callbackWorkflow(stack, receiver.url('/dup'));
    const dupId = await fire(dup.async);
    await deliveryOf(stack, dupId, (d) => d.attempt_count === 1);
    await republish(dupId, dup.id, receiver.url('/dup'));
    const done = await deliveryOf(stack, dupId);
    expect(done.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([503, 200]);
    await sleep(1_500);
    expect(requestsFor(receiver.requests, dupId)).toHaveLength(2);
  });

  /** Publishes an execution's final event again as a new message (what a repeat after the dedup window is). */
  async function republish(executionId: string, workflowId: string, url: string): Promise<void> {
    const execution = await stack.waitForExecution(executionId);
    const nc = await connect({ servers: stack.natsUrl });
    try {
      const event = {
        event_id: randomUUID(),
        execution_id: executionId,
        workspace_id: 'default',
        workflow_id: workflowId,
        workflow_version: 1,
        status: 'succeeded',
        final_output_json: JSON.stringify(execution.final_output),
        error: null,
        created_at: execution.created_at,
        started_at: execution.started_at,
        finished_at: execution.finished_at,
        on_success_url: url,
        on_failure_url: null,
      };
      await jetstream(nc).publish(`${stack.prefix}.evt.execution.default.succeeded`, JSON.stringify(event), { msgID: randomUUID() });
    } finally {
      await nc.close();
    }
  }
});

import { Webhook } from 'standardwebhooks';
import { freePort } from '../../scripts/local-servers';
import { callbackWorkflow, deliveryOf, fire, requestsFor, waitForRequests, webhookHeaders } from '../support/callbacks';
import { Receiver, type Received, type Responder } from '../support/receiver';
import { sleep, Stack } from '../support/stack';

/**
 * The retry policy with a short real schedule (0, 1 s, 1 s with ±20 % jitter) and a 1 s attempt
 * timeout: network errors, timeouts, 429 and 5xx are retried with the same webhook-id; other 4xx are
 * final; after the last attempt the delivery is failed and stays listed.
 */
describe('callbacks: retries', () => {
  let stack: Stack;
  let receiver: Receiver;
  /** Per path: the answers of successive requests (the last one repeats). */
  const scripts = new Map<string, ReturnType<Responder>[]>();
  const counts = new Map<string, number>();

  beforeAll(async () => {
    receiver = await new Receiver((req) => {
      const script = scripts.get(req.path) ?? [{ status: 200 }];
      const n = counts.get(req.path) ?? 0;
      counts.set(req.path, n + 1);
      return script[Math.min(n, script.length - 1)] ?? { status: 200 };
    }).start();
    stack = await Stack.start('callback-retries', {
      env: { callback: { FLOWGATE_CALLBACK_TIMEOUT_MS: '1000', FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: '0,1,1' } },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  const gaps = (requests: Received[]) => requests.slice(1).map((r, i) => r.at - (requests[i]?.at ?? 0));
  const sameId = (requests: Received[]) => new Set(requests.map((r) => r.headers['webhook-id'])).size === 1;

  it('retries 5xx and 429 after the scheduled delays with jitter, same webhook-id and body, fresh signatures', async () => {
    scripts.set('/flaky', [{ status: 500, body: 'x'.repeat(5_000) }, { status: 429 }, { status: 200, body: { ok: 1 } }]);
    const wf = await callbackWorkflow(stack, receiver.url('/flaky'));
    const id = await fire(wf.async);
    const delivery = await deliveryOf(stack, id);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts.map((a: { status_code: number; error_code: string | null }) => [a.status_code, a.error_code])).toEqual([
      [500, 'http_status'],
      [429, 'http_status'],
      [200, null],
    ]);
    expect(delivery.attempts[0].response_body).toBe('x'.repeat(1_024)); // trimmed
    expect(delivery.attempts[2].response_body).toBe('{"ok":1}');
    const requests = requestsFor(receiver.requests, id);
    expect(requests).toHaveLength(3);
    expect(sameId(requests)).toBe(true);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    for (const gap of gaps(requests)) {
      expect(gap).toBeGreaterThanOrEqual(750); // 1 s − 20 % (timer slack aside)
      expect(gap).toBeLessThan(2_500);
    }
    for (const r of requests) expect(() => new Webhook(stack.signingSecret).verify(r.body, webhookHeaders(r))).not.toThrow();
  });

  it('does not retry other 4xx answers', async () => {
    scripts.set('/bad', [{ status: 400, body: { error: 'nope' } }]);
    scripts.set('/redirect', [{ status: 301, headers: { location: 'http://example.org/' } }]);
    const wf = await callbackWorkflow(stack, receiver.url('/bad'));
    const wf2 = await callbackWorkflow(stack, receiver.url('/redirect'));
    const [id, id2] = [await fire(wf.async), await fire(wf2.async)];
    const [delivery, redirected] = [await deliveryOf(stack, id), await deliveryOf(stack, id2)];
    expect(delivery).toMatchObject({ status: 'failed', attempt_count: 1 });
    expect(delivery.attempts[0]).toMatchObject({ status_code: 400, error: 'HTTP 400', response_body: '{"error":"nope"}' });
    expect(redirected).toMatchObject({ status: 'failed', attempt_count: 1 });
    await sleep(2_500); // a retry would have come by now
    expect(requestsFor(receiver.requests, id)).toHaveLength(1);
    expect(requestsFor(receiver.requests, id2)).toHaveLength(1);
  });

  it('retries a receiver that does not answer within the attempt timeout', async () => {
    scripts.set('/slow', [{ status: 200, delayMs: 5_000 }, { status: 200 }]);
    const wf = await callbackWorkflow(stack, receiver.url('/slow'));
    const id = await fire(wf.async);
    const delivery = await deliveryOf(stack, id);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts[0]).toMatchObject({ status_code: null, error_code: 'timeout' });
    expect(delivery.attempts[0].latency_ms).toBeGreaterThanOrEqual(950);
    expect(delivery.attempts[0].latency_ms).toBeLessThan(2_000);
    expect(delivery.attempts[1]).toMatchObject({ status_code: 200, error: null });
    const requests = await waitForRequests(receiver.requests, id, 2);
    expect(sameId(requests)).toBe(true);
  });

  it('retries network errors, then marks the delivery failed after the last attempt and keeps it listed', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/nobody-listens`;
    const wf = await callbackWorkflow(stack, closed, { fail: true });
    const id = await fire(wf.async);
    const started = Date.now();
    const delivery = await deliveryOf(stack, id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toHaveLength(3);
    expect(delivery.attempts.every((a: { error_code: string }) => a.error_code === 'network')).toBe(true);
    expect(delivery.attempts[0].error).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500); // two ~1 s delays
    const listed = await stack.api('GET', `/v1/deliveries?status=failed&execution_id=${id}`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: delivery.id, status: 'failed', attempt_count: 3 })]);
    const metrics = await (await fetch(`${stack.opsUrl('callback')}/metrics`)).text();
    expect(metrics).toMatch(
      /flowgate_callback_deliveries_failed_total\{reason="exhausted",workspace_id="default",service="callback"\} [1-9]/,
    );
    expect(metrics).toMatch(/flowgate_callback_attempts_total\{outcome="retry",workspace_id="default",service="callback"\} [1-9]/);
  });
});

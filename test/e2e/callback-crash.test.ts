import { Webhook } from 'standardwebhooks';
import { callbackWorkflow, deliveryOf, fire, requestsFor, waitForRequests, webhookHeaders } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { sleep, Stack } from '../support/stack';

/**
 * kill -9 of the callback service while receivers hold requests open: after the restart each
 * delivery is attempted again with the same webhook-id (the one duplicate a receiver de-duplicates),
 * and exactly one successful attempt is recorded.
 */
describe('callbacks: crash during a delivery', () => {
  let stack: Stack;
  let receiver: Receiver;
  const seen = new Set<string>();

  beforeAll(async () => {
    // The first request of each delivery hangs (the crash happens meanwhile); later ones succeed.
    receiver = await new Receiver((req) => {
      const id = String(req.headers['webhook-id']);
      if (seen.has(id)) return { status: 200, body: { ok: true } };
      seen.add(id);
      return { status: 200, delayMs: 60_000 };
    }).start();
    stack = await Stack.start('callback-crash', {
      env: { callback: { FLOWGATE_CALLBACK_TIMEOUT_MS: '30000', FLOWGATE_CALLBACK_ACK_WAIT_MS: '2000' } },
    });
  });

  afterAll(async () => {
    await receiver?.stop();
    await stack?.stop();
  });

  it('re-attempts with the same webhook-id after SIGKILL; one successful delivery each', async () => {
    const wf = await callbackWorkflow(stack, receiver.url('/crash'));
    const ids = await Promise.all([0, 1, 2].map((n) => fire(wf.async, { n })));
    for (const id of ids) await waitForRequests(receiver.requests, id, 1);

    const db = await stack.db();
    const inFlight = await db
      .collection('deliveries')
      .find({ execution_id: { $in: ids } })
      .toArray();
    expect(inFlight.map((d) => [d.status, d.attempts.length, d.attempt_started_at instanceof Date])).toEqual([
      ['pending', 0, true],
      ['pending', 0, true],
      ['pending', 0, true],
    ]);

    await stack.stopService('callback', 'SIGKILL');
    const killedAt = Date.now();
    await stack.startService('callback');

    for (const id of ids) {
      const requests = await waitForRequests(receiver.requests, id, 2, 15_000);
      expect(requests[1]?.headers['webhook-id']).toBe(requests[0]?.headers['webhook-id']);
      expect(requests[1]?.body).toBe(requests[0]?.body);
      expect(() =>
        new Webhook(stack.signingSecret).verify(requests[1]?.body ?? '', webhookHeaders(requests[1] ?? requests[0]!)),
      ).not.toThrow();
      expect((requests[1]?.at ?? 0) - killedAt).toBeLessThan(10_000); // ack wait 2 s after the last heartbeat

      const delivery = await deliveryOf(stack, id);
      expect(delivery.status).toBe('succeeded');
      expect(
        delivery.attempts.map((a: { error_code: string | null; status_code: number | null }) => [a.error_code, a.status_code]),
      ).toEqual([
        ['interrupted', null],
        [null, 200],
      ]);
    }
    await sleep(2_500); // a third request would have come by now
    for (const id of ids) expect(requestsFor(receiver.requests, id)).toHaveLength(2);
  });
});

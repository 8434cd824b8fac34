import { createServer, type Server } from 'node:http';
import { callbackWorkflow, fire, requestsFor, waitForRequests } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { sleep, Stack } from '../support/stack';

/**
 * A receiver that never answers holds at most FLOWGATE_CALLBACK_MAX_PER_HOST attempts (here 2) until
 * the attempt timeout (8 s); with 4 attempts in flight per replica, deliveries to another receiver
 * still go out at once instead of queueing behind it.
 */
describe('callbacks: a hanging receiver does not delay others', () => {
  let stack: Stack;
  let fast: Receiver;
  /** Accepts requests and never answers; counts the ones open at the same time. */
  let hanging: Server;
  const open = { now: 0, max: 0, received: [] as number[], closed: [] as number[] };

  beforeAll(async () => {
    hanging = createServer((_req, res) => {
      open.now++;
      open.max = Math.max(open.max, open.now);
      open.received.push(Date.now());
      res.on('close', () => {
        open.now--;
        open.closed.push(Date.now());
      });
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    fast = await new Receiver(() => ({ status: 204 })).start();
    stack = await Stack.start('callback-isolation', {
      env: {
        callback: {
          FLOWGATE_CALLBACK_MAX_PER_HOST: '2',
          FLOWGATE_CALLBACK_CONCURRENCY: '4',
          FLOWGATE_CALLBACK_TIMEOUT_MS: '8000',
          FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: '0,60',
        },
      },
    });
  });

  afterAll(async () => {
    hanging?.closeAllConnections();
    await new Promise<void>((resolve) => (hanging ? hanging.close(() => resolve()) : resolve()));
    await stack?.stop();
    await fast?.stop();
  });

  it('bounds attempts per destination and keeps delivering to other destinations', async () => {
    const address = hanging.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const toHanging = await callbackWorkflow(stack, `http://127.0.0.1:${port}/never`);
    const toFast = await callbackWorkflow(stack, fast.url('/quick'));

    // 14 deliveries to the hanging receiver: 2 on the wire, 8 waiting for its slots, the rest handed back.
    await Promise.all(Array.from({ length: 14 }, (_, n) => fire(toHanging.async, { n })));
    const deadline = Date.now() + 15_000;
    while (open.received.length < 2 && Date.now() < deadline) await sleep(50);
    expect(open.received.length).toBeGreaterThanOrEqual(2);

    // Deliveries elsewhere are not queued behind it: they arrive while its first attempts still hang
    // (with only the global bound of 4, they would wait for those attempts to time out).
    const ids = await Promise.all(Array.from({ length: 4 }, (_, n) => fire(toFast.async, { n })));
    const received = await Promise.all(ids.map(async (id) => (await waitForRequests(fast.requests, id, 1, 15_000))[0]?.at ?? 0));
    const firstTimeout = open.closed[0] ?? Infinity;
    expect(Math.max(...received)).toBeLessThan(firstTimeout);
    expect(open.max).toBe(2);

    // Across timeout periods the hanging destination never has more than 2 attempts open; slots pass on.
    const later = Date.now() + 20_000;
    while (open.received.length < 4 && Date.now() < later) await sleep(100);
    expect(open.received.length).toBeGreaterThanOrEqual(4);
    expect(open.max).toBe(2);
    for (const id of ids) expect(requestsFor(fast.requests, id)).toHaveLength(1);

    const metrics = await (await fetch(`${stack.opsUrl('callback')}/metrics`)).text();
    expect(metrics).toMatch(/flowgate_callback_deferred_total\{[^}]*service="callback"[^}]*\} [1-9]/);
    const timedOut = await (await stack.db()).collection('deliveries').countDocuments({ 'attempts.error_code': 'timeout' });
    expect(timedOut).toBeGreaterThanOrEqual(2);
  });
});

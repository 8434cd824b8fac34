import { createServer, type Server } from 'node:http';
import { callbackWorkflow, deliveryOf, fire } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { sleep, Stack } from '../support/stack';

/**
 * SSRF protection of callbacks, as for http steps: only public addresses unless allow-listed
 * (FLOWGATE_EGRESS_ALLOW_CIDRS of the callback service, here only 127.0.0.2/32), checked on the
 * resolved address. A refused destination is a failed delivery with a clear error, not retried.
 */
describe('callbacks: egress guard', () => {
  let stack: Stack;
  let loopback: Receiver;
  let allowed: Server;
  const allowedHits: string[] = [];
  let allowedPort = 0;

  beforeAll(async () => {
    loopback = await new Receiver().start(); // 127.0.0.1: not allow-listed
    allowed = createServer((req, res) => {
      allowedHits.push(String(req.headers['webhook-id']));
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => allowed.listen(0, '127.0.0.2', resolve));
    const address = allowed.address();
    allowedPort = typeof address === 'object' && address ? address.port : 0;
    stack = await Stack.start('callback-egress', { env: { callback: { FLOWGATE_EGRESS_ALLOW_CIDRS: '127.0.0.2/32' } } });
  });

  afterAll(async () => {
    await stack?.stop();
    await loopback?.stop();
    allowed?.closeAllConnections();
    await new Promise<void>((resolve) => (allowed ? allowed.close(() => resolve()) : resolve()));
  });

  it('delivers to an allow-listed private address', async () => {
    const wf = await callbackWorkflow(stack, `http://127.0.0.2:${allowedPort}/ok`);
    const id = await fire(wf.async);
    const delivery = await deliveryOf(stack, id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 1 });
    expect(allowedHits).toContain(delivery.id);
  });

  it.each([
    ['a loopback IP literal', () => loopback.url('/cb'), /refused: it is a non-public address \(loopback\)/],
    [
      'a name that resolves to loopback',
      () => `http://localhost:${loopback.port}/cb`,
      /localhost refused: it resolves to a non-public address/,
    ],
    ['IPv6 loopback', () => `http://[::1]:${loopback.port}/cb`, /refused: it is a non-public address \(loopback\)/],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /link-local, cloud metadata/],
    ['a private (RFC 1918) address', () => 'http://10.11.12.13/hook', /private \(RFC 1918\)/],
  ])('refuses %s: failed at once with egress_forbidden, no retry', async (_what, url, message) => {
    const wf = await callbackWorkflow(stack, url(), { fail: true });
    const id = await fire(wf.async);
    const delivery = await deliveryOf(stack, id);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ status_code: null, error_code: 'egress_forbidden' });
    expect(delivery.attempts[0].error).toMatch(message);
    expect(delivery.attempts[0].error).toMatch(/not in the egress allow-list/);
    await sleep(1_500); // the schedule's next attempt (1 s) would have happened
    const again = await stack.api('GET', `/v1/deliveries/${delivery.id}`);
    expect(again.body.attempts).toHaveLength(1);
    expect(loopback.requests).toHaveLength(0);
  });
});

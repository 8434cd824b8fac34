import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/**
 * Keyed flow control over HTTP against the running services: `concurrency` per key (two execution
 * replicas, arrival order per key, other keys not held up) and `trigger.webhook.rate_limit` per key.
 */
describe('keyed concurrency and rate limits', () => {
  const STEP_MS = 400;
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true }, delayMs: STEP_MS })).start();
    stack = await Stack.start('keyed-flow', { services: ['ingress', 'execution'] });
    await stack.startService('execution', 2);
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  const fire = (url: string, body: unknown) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** Calls of one prefix that overlapped the most (every call takes STEP_MS). */
  const peak = (prefix: string) => {
    const at = downstream.requests.filter((r) => r.path.startsWith(prefix)).map((r) => r.at);
    return Math.max(0, ...at.map((t) => at.filter((u) => u >= t && u < t + STEP_MS - 20).length));
  };

  it('one run per customer at a time, in arrival order per customer, while other customers run beside it', async () => {
    const wf = await stack.deploy({
      name: 'per-customer',
      max_concurrent_executions: 0,
      concurrency: { key: 'trigger.body.customer', limit: 1 },
      steps: [
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/pc/{{trigger.body.customer}}/{{trigger.body.n}}') } },
      ],
    });
    const ids: string[] = [];
    for (let n = 1; n <= 4; n++) {
      for (const customer of ['acme', 'globex']) {
        const res = await fire(wf.async, { customer, n });
        expect(res.status).toBe(202);
        ids.push(res.body.execution_id);
      }
    }
    for (const id of ids) expect((await stack.waitForExecution(id, undefined, 60_000)).status).toBe('succeeded');
    expect(peak('/pc/acme/')).toBe(1);
    expect(peak('/pc/globex/')).toBe(1);
    expect(peak('/pc/')).toBe(2); // the two customers ran side by side
    const order = (customer: string) => downstream.requests.filter((r) => r.path.startsWith(`/pc/${customer}/`)).map((r) => r.path);
    expect(order('acme')).toEqual(['/pc/acme/1', '/pc/acme/2', '/pc/acme/3', '/pc/acme/4']);
    expect(order('globex')).toEqual(['/pc/globex/1', '/pc/globex/2', '/pc/globex/3', '/pc/globex/4']);
    const shown = await stack.api('GET', `/v1/executions/${ids[0]}`);
    expect(shown.body.concurrency_keys).toEqual(['acme']);
  });

  it('stacks a key limit under the workflow cap: a busy customer never takes the places of others', async () => {
    const wf = await stack.deploy({
      name: 'stacked',
      max_concurrent_executions: 2,
      concurrency: [{ key: 'trigger.body.customer', limit: 1 }],
      steps: [
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/st/{{trigger.body.customer}}/{{trigger.body.n}}') } },
      ],
    });
    const fired = [];
    for (let n = 1; n <= 4; n++) fired.push(await fire(wf.async, { customer: 'noisy', n }));
    fired.push(await fire(wf.async, { customer: 'quiet', n: 1 }));
    for (const res of fired) expect((await stack.waitForExecution(res.body.execution_id, undefined, 60_000)).status).toBe('succeeded');
    expect(peak('/st/noisy/')).toBe(1);
    expect(peak('/st/')).toBe(2);
    const paths = downstream.requests.filter((r) => r.path.startsWith('/st/')).map((r) => r.path);
    // The quiet customer ran while the noisy one's second run still waited (before the noisy queue drained).
    expect(paths.indexOf('/st/quiet/1')).toBeLessThan(paths.indexOf('/st/noisy/3'));
  });

  it('a bucket per key: one customer is limited, another is not, and the workspace sees a clear 429', async () => {
    const wf = await stack.deploy({
      name: 'keyed-rate',
      max_concurrent_executions: 0,
      trigger: { webhook: { rate_limit: { per_second: 0.1, burst: 1, key: 'trigger.headers."x-tenant"' } } },
      steps: [{ id: 'shape', type: 'transform', expression: '{"ok": true}' }],
    });
    const fireAs = (tenant: string) =>
      request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': tenant }, body: '{}' });
    expect((await fireAs('t1')).status).toBe(202);
    const limited = await fireAs('t1');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.body.error.message).not.toContain('t1'); // the key value is the caller's data: not echoed
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(limited.headers.get('ratelimit-policy')).toContain('"trigger_key"');
    expect((await fireAs('t2')).status).toBe(202);
  });

  it('refuses bad keyed settings in one 422 listing each at its path, and creates nothing', async () => {
    const before = (await stack.api('GET', '/v1/workflows?limit=100')).body.data.length;
    const res = await stack.api('POST', '/v1/workflows', {
      name: 'bad-keys',
      concurrency: [
        { key: 'trigger.body.(', limit: 1 },
        { key: 'x', limit: 0 },
      ],
      trigger: { webhook: { rate_limit: { per_second: 1, key: '$$(', bucket: 3 } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'concurrency[0].key',
      'concurrency[1].limit',
      'trigger.webhook.rate_limit.bucket',
      'trigger.webhook.rate_limit.key',
    ]);
    expect((await stack.api('GET', '/v1/workflows?limit=100')).body.data.length).toBe(before);
  });
});

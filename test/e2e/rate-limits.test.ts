import { request, sleep, Stack } from '../support/stack';

/** Rate limits hold across two ingress replicas (shared token buckets in NATS KV). */
describe('rate limits', () => {
  const PER_S = 4;
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('rate-limits', {
      services: ['ingress', 'execution'],
      env: { ingress: { FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S: String(PER_S), FLOWGATE_RATE_LIMIT_WORKSPACE_BURST: String(PER_S) } },
    });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('admits within 10 % of the workspace limit with two replicas, and answers 429 with Retry-After and RateLimit headers', async () => {
    const wf = await stack.deploy({
      name: 'limited',
      max_concurrent_executions: 0,
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const urls = [wf.async, wf.async.replace(stack.ingressUrl, stack.ingressReplicaUrl(2))];
    await sleep(1_100); // the bucket is full (it started full when the workflow was created)
    const DURATION_MS = 6_000;
    const started = Date.now();
    let admitted = 0;
    let rejected = 0;
    let lastAdmitted = 0;
    let limited: Awaited<ReturnType<typeof request<{ error: { code: string } }>>> | undefined;
    const worker = async (w: number) => {
      for (let i = 0; Date.now() - started < DURATION_MS; i++) {
        const sentAt = Date.now();
        const res = await request(urls[(w + i) % 2] ?? '', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        if (res.status === 202) {
          admitted++;
          lastAdmitted = Math.max(lastAdmitted, (sentAt + Date.now()) / 2);
        } else if (res.status === 429) {
          rejected++;
          limited ??= res;
        } else throw new Error(`unexpected ${res.status} ${res.text}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    // The full bucket, then the refill until the last admitted request (taken between send and answer).
    const elapsedS = (lastAdmitted - started) / 1000;
    const expected = PER_S + PER_S * elapsedS;
    console.info(`rate limit: ${admitted} admitted, ${rejected} refused in ${elapsedS.toFixed(1)} s, expected ≈ ${expected.toFixed(0)}`);
    expect(Math.abs(admitted - expected) / expected).toBeLessThanOrEqual(0.1);

    expect(limited?.body.error.code).toBe('rate_limited');
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited?.headers.get('ratelimit-policy')).toBe(`"workspace";q=${PER_S};w=1`);
    expect(limited?.headers.get('ratelimit')).toMatch(/^"workspace";r=0;t=\d+$/);
    expect(await (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: wf.id })).toBe(admitted);
  });

  it('a trigger limit applies on top of the workspace one', async () => {
    const wf = await stack.deploy({
      name: 'trigger-limited',
      max_concurrent_executions: 0,
      trigger: { webhook: { rate_limit: { per_second: 1, burst: 2 } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    await sleep(1_100);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await request(wf.async, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status);
    expect(statuses).toEqual([202, 202, 429, 429]);
    const ok = await request(wf.async, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect([202, 429]).toContain(ok.status);
  });
});

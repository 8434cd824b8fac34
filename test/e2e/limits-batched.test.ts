import { request, sleep, Stack } from '../support/stack';

/**
 * Rate limits and quotas large enough that replicas reserve tokens / units in batches (ADR 0012):
 * two ingress replicas offered twice the limit admit it within 10 %, and a quota is never passed.
 */
describe('batched reservations across two ingress replicas', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('limits-batched', { services: ['ingress'] });
    await stack.startService('ingress', 2);
    await sleep(2_500); // both replicas have counted each other (heartbeat every 2 s)
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const fire = (url: string) => request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const bothReplicas = (url: string) => [url, url.replace(stack.ingressUrl, stack.ingressReplicaUrl(2))];

  it('a 100/s trigger limit offered 200/s over two replicas admits 100/s within 10 %', async () => {
    const PER_S = 100; // a batch of 2 per reservation with two replicas
    const wf = await stack.deploy({
      name: 'batched-rate',
      max_concurrent_executions: 0,
      trigger: { webhook: { rate_limit: { per_second: PER_S, burst: PER_S } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const urls = bothReplicas(wf.async);
    const OFFERED_PER_S = 2 * PER_S;
    const DURATION_MS = 4_000;
    const started = Date.now();
    let admitted = 0;
    let refused = 0;
    let lastAdmitted = started;
    const inflight: Promise<void>[] = [];
    // Open loop: requests go out on schedule whatever the answers take.
    for (let i = 0; i < (OFFERED_PER_S * DURATION_MS) / 1000; i++) {
      const due = started + (i * 1000) / OFFERED_PER_S;
      if (due > Date.now()) await sleep(due - Date.now());
      const sentAt = Date.now();
      inflight.push(
        fire(urls[i % 2] ?? '').then((res) => {
          if (res.status === 202) {
            admitted++;
            lastAdmitted = Math.max(lastAdmitted, (sentAt + Date.now()) / 2);
          } else if (res.status === 429) refused++;
          else throw new Error(`unexpected ${res.status} ${res.text}`);
        }),
      );
    }
    await Promise.all(inflight);
    // The full bucket, then the refill until the last admitted request (taken between send and answer).
    const elapsedS = (lastAdmitted - started) / 1000;
    const expected = PER_S + PER_S * elapsedS;
    console.info(
      `batched rate limit: ${admitted} admitted, ${refused} refused in ${elapsedS.toFixed(1)} s, expected ≈ ${expected.toFixed(0)}`,
    );
    expect(Math.abs(admitted - expected) / expected).toBeLessThanOrEqual(0.1);
  });

  it('a day quota of 300 offered 600 requests over two replicas admits it within 10 %, never more', async () => {
    const LIMIT = 300;
    const key = await stack.apiKeyForWorkspace('batched');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const put = await request(`${stack.ingressUrl}/v1/workspace/quotas`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ executions_per_day: LIMIT }),
    });
    expect(put.status).toBe(200);
    const created = await request(`${stack.ingressUrl}/v1/workflows?publish=true`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'batched-quota',
        max_concurrent_executions: 0,
        steps: [{ id: 'a', type: 'transform', expression: '1' }],
      }),
    });
    expect(created.status).toBe(201);
    const urls = bothReplicas(created.body.triggers.production.async as string);
    let next = 0;
    const statuses: number[] = [];
    const worker = async () => {
      for (let i = next++; i < 2 * LIMIT; i = next++) statuses.push((await fire(urls[i % 2] ?? '')).status);
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const admitted = statuses.filter((s) => s === 202).length;
    console.info(`batched quota: ${admitted} of ${statuses.length} admitted, limit ${LIMIT}`);
    expect(statuses.filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect(admitted).toBeLessThanOrEqual(LIMIT);
    expect(admitted).toBeGreaterThanOrEqual(LIMIT * 0.9);
  });
});

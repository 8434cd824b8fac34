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
    // Each decision falls between its request's send and its answer: bound the window both ways.
    let firstAnswered = Number.POSITIVE_INFINITY;
    let lastAdmittedSent = started;
    let lastAdmittedAnswered = started;
    const inflight: Promise<void>[] = [];
    // Open loop: requests go out on schedule whatever the answers take.
    for (let i = 0; i < (OFFERED_PER_S * DURATION_MS) / 1000; i++) {
      const due = started + (i * 1000) / OFFERED_PER_S;
      if (due > Date.now()) await sleep(due - Date.now());
      const sentAt = Date.now();
      inflight.push(
        fire(urls[i % 2] ?? '').then((res) => {
          const answeredAt = Date.now();
          firstAnswered = Math.min(firstAnswered, answeredAt);
          if (res.status === 202) {
            admitted++;
            lastAdmittedSent = Math.max(lastAdmittedSent, sentAt);
            lastAdmittedAnswered = Math.max(lastAdmittedAnswered, answeredAt);
          } else if (res.status === 429) refused++;
          else throw new Error(`unexpected ${res.status} ${res.text}`);
        }),
      );
    }
    await Promise.all(inflight);
    // The full bucket, then the refill while requests kept coming: at least from the first answer
    // to the last admitted send, at most from the first send to the last admitted answer.
    const least = PER_S + (PER_S * Math.max(0, lastAdmittedSent - firstAnswered)) / 1000;
    const most = PER_S + (PER_S * (lastAdmittedAnswered - started)) / 1000;
    console.info(
      `batched rate limit: ${admitted} admitted, ${refused} refused; the limit allows ${least.toFixed(0)}–${most.toFixed(0)} in that window`,
    );
    expect(admitted).toBeGreaterThanOrEqual(least * 0.9);
    expect(admitted).toBeLessThanOrEqual(most * 1.1);
    // Answers came quickly enough for the bounds to mean something (a few % apart on a quiet machine).
    expect(most - least).toBeLessThan(0.4 * least);
  });

  it('a day quota of 300 offered 600 requests over two replicas admits it within 10 %, never more', async () => {
    const LIMIT = 300;
    const key = await stack.apiKeyForWorkspace('batched');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    // The operator sets a workspace's limits.
    const put = await stack.api('PATCH', '/v1/workspaces/batched', { quotas: { executions_per_day: LIMIT } });
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

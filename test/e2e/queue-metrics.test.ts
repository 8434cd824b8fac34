import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNats, type LocalServer } from '../../scripts/local-servers';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/**
 * Queue gauges of the execution service, read from JetStream's consumer info: a backlog behind a
 * stalled downstream shows as depth + ack pending, drains to zero, and a scrape stays quick while
 * NATS is gone.
 */
describe('execution queue metrics', () => {
  const CONCURRENCY = 2;
  const N = 12;
  let stack: Stack;
  let nats: LocalServer;
  let natsDir: string;
  let downstream: Receiver;
  let holdMs = 4_000;

  beforeAll(async () => {
    natsDir = mkdtempSync(join(tmpdir(), 'flowgate-queue-nats-'));
    nats = await startNats(natsDir);
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true }, delayMs: holdMs })).start();
    stack = await Stack.start('queue-metrics', {
      services: ['ingress', 'execution'],
      natsUrl: nats.url,
      env: { execution: { FLOWGATE_EXECUTION_CONCURRENCY: String(CONCURRENCY) } },
    });
  });

  afterAll(async () => {
    // A failed outage test may leave NATS stopped; the stack's clean-up needs it.
    if (nats && (nats.process.exitCode !== null || nats.process.signalCode !== null)) nats = await startNats(natsDir, { port: nats.port });
    await stack?.stop();
    await nats?.stop();
    await downstream?.stop();
  });

  const scrape = async () => {
    const started = Date.now();
    const res = await request(`${stack.opsUrl('execution')}/metrics`);
    expect(res.status).toBe(200);
    const value = (name: string) => {
      const match = new RegExp(`^${name}\\{[^}]*consumer="execution"[^}]*\\} (\\S+)$`, 'm').exec(res.text);
      return match ? Number(match[1]) : undefined;
    };
    return {
      ms: Date.now() - started,
      depth: value('flowgate_queue_depth'),
      ackPending: value('flowgate_consumer_ack_pending'),
      redelivered: value('flowgate_consumer_redelivered'),
      errors: value('flowgate_queue_metrics_errors_total') ?? 0,
    };
  };

  it('reports the backlog behind a stalled downstream as depth + ack pending, then drains to zero', async () => {
    const idle = await scrape();
    expect(idle).toMatchObject({ depth: 0, ackPending: 0, redelivered: 0 });

    const wf = await stack.deploy({
      name: 'backlog',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/backlog/{{trigger.body.n}}') } }],
    });
    const fired = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i + 1 }) }),
      ),
    );
    expect(fired.map((r) => r.status)).toEqual(Array.from({ length: N }, () => 202));

    // Every downstream call is held for 4 s and the replica runs CONCURRENCY at once: until the
    // first one returns, nothing is acknowledged, so depth + ack pending accounts for all N.
    let peak = { depth: 0, ackPending: 0 };
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const m = await scrape();
      if ((m.depth ?? 0) + (m.ackPending ?? 0) === N && (m.depth ?? 0) > peak.depth)
        peak = { depth: m.depth ?? 0, ackPending: m.ackPending ?? 0 };
      if (peak.depth >= N - 2 * CONCURRENCY && downstream.requests.length >= CONCURRENCY) break;
      await sleep(200);
    }
    expect(peak.depth).toBeGreaterThanOrEqual(N - 2 * CONCURRENCY);
    expect(peak.ackPending).toBeGreaterThanOrEqual(CONCURRENCY);

    holdMs = 0;
    const db = await stack.db();
    const drained = Date.now() + 60_000;
    while ((await db.collection('executions').countDocuments({ workflow_id: wf.id, status: 'succeeded' })) < N && Date.now() < drained)
      await sleep(250);
    expect(await db.collection('executions').countDocuments({ workflow_id: wf.id, status: 'succeeded' })).toBe(N);

    let after = await scrape();
    const settle = Date.now() + 10_000;
    while ((after.depth !== 0 || after.ackPending !== 0) && Date.now() < settle) {
      await sleep(250);
      after = await scrape();
    }
    expect(after).toMatchObject({ depth: 0, ackPending: 0, redelivered: 0, errors: 0 });
  }, 120_000);

  it('answers /metrics within its bound while NATS is down (last values), and fresh values once NATS is back', async () => {
    await nats.stop();
    // Past the 1 s cache: each scrape asks NATS, which cannot answer.
    for (let i = 0; i < 2; i++) {
      await sleep(1_500);
      const down = await scrape();
      expect(down.ms).toBeLessThan(2_500);
      expect(down).toMatchObject({ depth: 0, ackPending: 0 });
    }

    nats = await startNats(natsDir, { port: nats.port });
    const ready = Date.now() + 30_000;
    for (const service of ['ingress', 'execution'] as const)
      while ((await request(`${stack.opsUrl(service)}/readyz`)).status !== 200 && Date.now() < ready) await sleep(250);
    // A new held execution must show up as ack pending: the values are read afresh, not the cached ones.
    holdMs = 3_000;
    const wf = await stack.deploy({
      name: 'after-outage',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/after') } }],
    });
    const fired = await request(wf.async, { method: 'POST' });
    expect(fired.status).toBe(202);
    let seen = await scrape();
    const deadline = Date.now() + 15_000;
    while (seen.ackPending !== 1 && Date.now() < deadline) {
      await sleep(200);
      seen = await scrape();
    }
    expect(seen.ackPending).toBe(1);
    expect((await stack.waitForExecution(fired.body.execution_id, undefined, 30_000)).status).toBe('succeeded');
  }, 60_000);
});

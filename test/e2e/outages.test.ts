import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, startNats, type LocalServer } from '../../scripts/local-servers';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/** Dependencies go away for real (dedicated servers stopped and restarted): nothing accepted is lost. */
describe('outages', () => {
  let stack: Stack;
  let nats: LocalServer;
  let ferret: LocalServer;
  let natsDir: string;
  let ferretDir: string;
  let downstream: Receiver;
  let wf: { id: string; async: string; sync: string };

  beforeAll(async () => {
    natsDir = mkdtempSync(join(tmpdir(), 'flowgate-outage-nats-'));
    ferretDir = mkdtempSync(join(tmpdir(), 'flowgate-outage-ferret-'));
    [nats, ferret] = await Promise.all([startNats(natsDir), startFerretDb(ferretDir)]);
    downstream = await new Receiver((req) => ({ status: 200, body: { path: req.path }, delayMs: 1_000 })).start();
    stack = await Stack.start('outages', { natsUrl: nats.url, mongoUrl: ferret.url });
    wf = await stack.deploy({
      name: 'outage',
      max_concurrent_executions: 0,
      steps: [
        { id: 'shape', type: 'transform', expression: '{"n": trigger.body.n}' },
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/call/{{trigger.body.n}}') } },
      ],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([nats?.stop(), ferret?.stop()]);
    await downstream?.stop();
  });

  const fire = async (n: number) =>
    request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });

  it('MongoDB down for 10 s: webhooks get 503 and nothing is accepted; in-flight executions finish once it is back', async () => {
    const accepted = await Promise.all([1, 2, 3, 4, 5].map(fire));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    await ferret.stop();
    const during = await fire(99);
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe('dependency_unavailable');
    await sleep(10_000);
    ferret = await startFerretDb(ferretDir, { port: ferret.port });

    for (const res of accepted) expect((await stack.waitForExecution(res.body.execution_id, undefined, 90_000)).status).toBe('succeeded');
    for (const n of [1, 2, 3, 4, 5]) expect(downstream.requests.filter((r) => r.path === `/call/${n}`).length).toBeGreaterThanOrEqual(1);
    expect(downstream.requests.some((r) => r.path === '/call/99')).toBe(false);
    const deadLetters = await (await stack.db()).collection('dead_letters').countDocuments();
    expect(deadLetters).toBe(0);
  });

  it('NATS restarted while executions run: they all finish, and new webhooks are accepted after', async () => {
    const accepted = await Promise.all([11, 12, 13].map(fire));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    await nats.stop();
    await sleep(2_000);
    nats = await startNats(natsDir, { port: nats.port });
    for (const res of accepted) expect((await stack.waitForExecution(res.body.execution_id, undefined, 90_000)).status).toBe('succeeded');

    const deadline = Date.now() + 30_000;
    let after = await fire(14);
    while (after.status !== 202 && Date.now() < deadline) {
      await sleep(500);
      after = await fire(14);
    }
    expect(after.status).toBe(202);
    expect((await stack.waitForExecution(after.body.execution_id, undefined, 60_000)).status).toBe('succeeded');
  });
});

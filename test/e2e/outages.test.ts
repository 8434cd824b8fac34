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

  it('MongoDB down for 10 s: a known webhook is still accepted (durable in JetStream), an unknown one gets 503; every accepted execution finishes once it is back', async () => {
    const accepted = await Promise.all([1, 2, 3, 4, 5].map(fire));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    await ferret.stop();
    const during = await fire(99);
    expect(during.status).toBe(202);
    // A webhook whose trigger is not in memory cannot be checked: nothing is accepted.
    const unknown = await request(wf.async.replace(/wh_[A-Za-z0-9_-]+/, 'wh_notknownnotknownnotknown'), { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(503);
    expect(unknown.body.error.code).toBe('dependency_unavailable');
    await sleep(10_000);
    ferret = await startFerretDb(ferretDir, { port: ferret.port });

    for (const res of [...accepted, during]) {
      expect((await stack.waitForExecution(res.body.execution_id, undefined, 90_000)).status).toBe('succeeded');
    }
    for (const n of [1, 2, 3, 4, 5, 99]) expect(downstream.requests.filter((r) => r.path === `/call/${n}`)).toHaveLength(1);
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

  it('NATS restarted while executions wait: every wait and delay resumes once it is back', async () => {
    const waitWf = await stack.deploy({
      name: 'outage-wait',
      max_concurrent_executions: 0,
      steps: [
        { id: 'wait', type: 'wait_for_webhook', expires_in_s: 300 },
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/resumed/{{steps.wait.output.n}}') } },
      ],
    });
    const delayWf = await stack.deploy({
      name: 'outage-delay',
      max_concurrent_executions: 0,
      steps: [
        { id: 'pause', type: 'delay', duration_s: 4 },
        { id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/delayed/{{trigger.body.n}}') } },
      ],
    });
    const start = async (url: string, n: number) =>
      (await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) })).body
        .execution_id as string;
    const waits = await Promise.all([21, 22, 23].map((n) => start(waitWf.async, n)));
    const delays = await Promise.all([31, 32].map((n) => start(delayWf.async, n)));
    const resumeUrls: string[] = [];
    for (const id of waits) resumeUrls.push((await stack.waitForExecution(id, (e) => e.status === 'waiting')).waiting_payload.resume_url);

    await nats.stop();
    await sleep(2_000);
    nats = await startNats(natsDir, { port: nats.port });

    for (const [i, url] of resumeUrls.entries()) {
      const deadline = Date.now() + 30_000;
      let res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: 21 + i }),
      });
      while (res.status === 503 && Date.now() < deadline) {
        await sleep(500);
        res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 21 + i }) });
      }
      expect(res.status).toBe(202);
    }
    for (const id of [...waits, ...delays]) expect((await stack.waitForExecution(id, undefined, 90_000)).status).toBe('succeeded');
    const paths = downstream.requests.map((r) => r.path).filter((p) => p.startsWith('/resumed/') || p.startsWith('/delayed/'));
    expect(paths.sort()).toEqual(['/delayed/31', '/delayed/32', '/resumed/21', '/resumed/22', '/resumed/23']);
  });
});

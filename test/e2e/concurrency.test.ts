import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { createSubjects } from '@flowgate/contracts';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/** max_concurrent_executions holds across two execution replicas, and waiting runs start in arrival order. */
describe('max_concurrent_executions', () => {
  const STEP_MS = 400;
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true }, delayMs: STEP_MS })).start();
    stack = await Stack.start('concurrency', { services: ['ingress', 'execution'] });
    await stack.startService('execution', 2);
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  const deploy = (name: string, max: number) =>
    stack.deploy({
      name,
      max_concurrent_executions: max,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url(`/${name}/{{trigger.body.n}}`) } }],
    });
  const fire = (url: string, n: number) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
  /** Most calls in flight at once, from arrival times (every call takes STEP_MS). */
  const peak = (prefix: string) => {
    const at = downstream.requests.filter((r) => r.path.startsWith(prefix)).map((r) => r.at);
    return Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + STEP_MS - 20).length));
  };

  it('cap 1: one at a time, in arrival order', async () => {
    const wf = await deploy('one', 1);
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push((await fire(wf.async, n)).body.execution_id);
    for (const id of ids) expect((await stack.waitForExecution(id, undefined, 60_000)).status).toBe('succeeded');
    expect(peak('/one/')).toBe(1);
    expect(downstream.requests.filter((r) => r.path.startsWith('/one/')).map((r) => r.path)).toEqual([
      '/one/1',
      '/one/2',
      '/one/3',
      '/one/4',
      '/one/5',
    ]);
  });

  it('cap 2 under a burst: never more than two, and both slots are used', async () => {
    const wf = await deploy('two', 2);
    const fired = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => fire(wf.async, n)));
    for (const res of fired) expect((await stack.waitForExecution(res.body.execution_id, undefined, 60_000)).status).toBe('succeeded');
    expect(downstream.requests.filter((r) => r.path.startsWith('/two/'))).toHaveLength(8);
    expect(peak('/two/')).toBe(2);
    // Slots are handed back right after each end is durable, just after it became visible.
    const queue = async () => {
      const nc = await connect({ servers: stack.natsUrl });
      try {
        const kv = await new Kvm(nc).open(createSubjects(stack.prefix).slotsBucket);
        const entry = await kv.get(`default.${wf.id}`);
        return entry?.json<{ running: string[]; waiting: string[] }>() ?? { running: [], waiting: [] };
      } finally {
        await nc.close();
      }
    };
    const deadline = Date.now() + 5_000;
    while ((await queue()).running.length > 0 && Date.now() < deadline) await sleep(100);
    expect(await queue()).toEqual({ running: [], waiting: [] });
  });

  it('cap 0 means unlimited', async () => {
    const wf = await deploy('many', 0);
    const fired = await Promise.all([1, 2, 3, 4].map((n) => fire(wf.async, n)));
    for (const res of fired) expect((await stack.waitForExecution(res.body.execution_id, undefined, 60_000)).status).toBe('succeeded');
    expect(peak('/many/')).toBeGreaterThan(2);
  });
});

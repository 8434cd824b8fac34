import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { createSubjects } from '@flowgate/contracts';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack, TERMINAL } from '../support/stack';

/**
 * kill -9 the executor while group commits are in flight: many executions are between a live-state
 * write (NATS KV) and the MongoDB flush that carries them. Afterwards every accepted execution
 * finished exactly once, MongoDB holds all of them with every step attempt, and a step that had
 * finished (its record committed) never ran again: a downstream call is repeated only for an
 * attempt recorded as `interrupted`, always with the same Idempotency-Key.
 */
describe('group commit crash', () => {
  const N = 150;
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true }, delayMs: 5 })).start();
    stack = await Stack.start('group-commit-crash', {
      services: ['ingress', 'execution'],
      // A long lazy delay keeps running snapshots in the buffer when the executor dies.
      env: { execution: { FLOWGATE_ACK_WAIT_MS: '5000', FLOWGATE_PROJECTION_LAZY_MS: '1000' } },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  }, 60_000);

  it('loses nothing acknowledged and runs no finished step again', async () => {
    const wf = await stack.deploy({
      name: 'two-calls',
      max_concurrent_executions: 0,
      steps: [
        { id: 'a', type: 'http', request: { method: 'POST', url: downstream.url('/a/{{trigger.body.n}}') } },
        { id: 'b', type: 'http', request: { method: 'POST', url: downstream.url('/b/{{trigger.body.n}}') } },
      ],
    });
    const ids: string[] = [];
    let killed = false;
    const fire = async (n: number) => {
      const res = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
      expect(res.status).toBe(202);
      ids.push(res.body.execution_id);
    };
    for (let n = 0; n < N; n += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => fire(n + i)));
      if (!killed && downstream.requests.length >= 60) {
        expect(await stack.stopService('execution', 'SIGKILL')).toBeNull();
        killed = true;
        await stack.startService('execution');
      }
    }
    expect(killed).toBe(true);
    expect(ids).toHaveLength(N);

    const db = await stack.db();
    const deadline = Date.now() + 120_000;
    let ended = 0;
    while (Date.now() < deadline) {
      ended = await db.collection('executions').countDocuments({ workflow_id: wf.id, status: { $in: TERMINAL } });
      if (ended >= N) break;
      await sleep(250);
    }
    expect(ended).toBe(N);
    const docs = await db.collection('executions').find({ workflow_id: wf.id }).toArray();
    expect(docs).toHaveLength(N);
    expect(docs.every((d) => d.status === 'succeeded')).toBe(true);
    expect(new Set(docs.map((d) => String(d._id)))).toEqual(new Set(ids));

    // Every end reached MongoDB and left the live bucket (those the crash caught between the live
    // write and the flush by the recovery sweep).
    const nc = await connect({ servers: stack.natsUrl });
    try {
      const kv = await new Kvm(nc).open(createSubjects(stack.prefix).liveExecutionsBucket);
      const liveLeft = async () => {
        let n = 0;
        for await (const key of await kv.keys()) if (key) n++;
        return n;
      };
      const until = Date.now() + 60_000;
      while ((await liveLeft()) > 0 && Date.now() < until) await sleep(500);
      expect(await liveLeft()).toBe(0);
    } finally {
      await nc.close();
    }

    const steps = await db
      .collection('step_executions')
      .find({ execution_id: { $in: ids } })
      .toArray();
    for (const id of ids) {
      const mine = steps.filter((s) => s.execution_id === id);
      for (const stepId of ['a', 'b']) {
        const attempts = mine.filter((s) => s.step_id === stepId);
        expect(attempts.filter((s) => s.status === 'succeeded')).toHaveLength(1);
        const interrupted = attempts.filter((s) => s.status === 'interrupted').length;
        const calls = downstream.requests.filter((r) => r.headers['idempotency-key'] === `${id}:${stepId}`);
        // Every call but the last one is an attempt the crash interrupted.
        expect(calls.length).toBeGreaterThanOrEqual(1);
        expect(calls.length).toBeLessThanOrEqual(1 + interrupted);
      }
    }
  }, 240_000);
});

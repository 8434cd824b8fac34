import { INLINE_TRIGGER_INPUT_MAX_BYTES } from '@flowgate/contracts';
import type { Db } from 'mongodb';
import { callbackWorkflow, deliveryOf, fire } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/**
 * Retention on the real services (ADR 0020): real executions run (with their step records,
 * callback deliveries and, for a large input, its stored payload); the test then backdates their
 * start and end in MongoDB — what time would have done — and the scheduler's sweeper (a pass every
 * 400 ms here, batches of 2) removes those ended longer ago than their retention: the workspace's,
 * a workflow's own override, another workspace's own. Recent ones, live ones (a waiting approval,
 * however old) and one whose callback delivery is still pending stay; the metric counts what went.
 */
const DAY = 24 * 60 * 60 * 1000;

describe('retention', () => {
  let stack: Stack;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    stack = await Stack.start('retention', {
      env: { scheduler: { FLOWGATE_RETENTION_SWEEP_MS: '400', FLOWGATE_RETENTION_BATCH: '2', FLOWGATE_RETENTION_PAUSE_MS: '10' } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const until = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };
  /** What time would have done: the execution started and ended `days` ago. */
  const endedDaysAgo = async (db: Db, id: string, days: number) => {
    const at = new Date(Date.now() - days * DAY);
    const res = await db
      .collection<{ _id: string }>('executions')
      .updateOne({ _id: id }, { $set: { created_at: new Date(at.getTime() - 1_000), finished_at: at } });
    expect(res.matchedCount).toBe(1);
  };
  const counts = async (db: Db, id: string) => ({
    execution: await db.collection('executions').countDocuments({ _id: id as never }),
    steps: await db.collection('step_executions').countDocuments({ execution_id: id }),
    deliveries: await db.collection('deliveries').countDocuments({ execution_id: id }),
    payloads: await db.collection('payloads').countDocuments({ payload_id: id }),
  });
  const removedMetric = async () => {
    const text = (await request(`${stack.opsUrl('scheduler')}/metrics`)).text;
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^flowgate_retention_removed_total\{kind="(\w+)"[^}]*\} (\d+)/gm)) out[m[1] ?? ''] = Number(m[2]);
    return out;
  };

  it('removes what ended longer ago than its retention, with its steps, deliveries and payload; keeps the rest', async () => {
    const a = await stack.newWorkspace('retention-a');
    const b = await stack.newWorkspace('retention-b');
    expect((await stack.api('PATCH', '/v1/workspace', { retention_days: 10 }, as(a.key))).body).toMatchObject({
      retention_days: 10,
      effective_retention_days: 10,
    });
    expect((await stack.api('GET', '/v1/workspace', undefined, as(b.key))).body).toMatchObject({
      retention_days: null,
      effective_retention_days: 30,
    });

    const quick = await callbackWorkflow(stack, receiver.url('/a'), { apiKey: a.key, name: 'quick' });
    const short = await callbackWorkflow(stack, receiver.url('/short'), { apiKey: a.key, name: 'short' });
    const patched = await stack.api('PATCH', `/v1/workflows/${short.id}`, { retention_days: 2 }, as(a.key));
    expect([patched.status, patched.body.retention_days]).toEqual([200, 2]);
    const approval = await stack.api(
      'POST',
      '/v1/workflows?publish=true',
      { name: 'approve', steps: [{ id: 'review', type: 'approval' }] },
      as(a.key),
    );
    const other = await callbackWorkflow(stack, receiver.url('/b'), { apiKey: b.key, name: 'other' });

    const big = JSON.stringify({ n: 1, blob: 'x'.repeat(INLINE_TRIGGER_INPUT_MAX_BYTES + 1_000) });
    const run = {
      old: await fire(quick.async), // ended 11 days ago: past A's 10
      recent: await fire(quick.async), // ended 9 days ago: within A's 10
      large: await fire(quick.async, JSON.parse(big)), // 11 days, with its input stored out of line
      pending: await fire(quick.async), // 11 days, but its delivery is still pending
      shortOld: await fire(short.async), // 3 days: past the workflow's own 2 (A's 10 would keep it)
      shortNew: await fire(short.async), // 1 day
      bMid: await fire(other.async), // 15 days: B keeps 30
      bOld: await fire(other.async), // 31 days: past B's 30
    };
    for (const [key, id] of Object.entries(run)) {
      const apiKey = key.startsWith('b') ? b.key : a.key;
      await until(
        `${key} to succeed`,
        async () => (await stack.api('GET', `/v1/executions/${id}`, undefined, as(apiKey))).body.status === 'succeeded',
      );
      await deliveryOf(stack, id, (d) => d.status === 'succeeded', { apiKey });
    }
    const waiting = String(
      (
        await request(String(approval.body.triggers.production.async), {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        })
      ).body.execution_id,
    );
    await until(
      'the approval wait',
      async () => (await stack.api('GET', `/v1/executions/${waiting}`, undefined, as(a.key))).body.status === 'waiting',
    );

    const db = await stack.settledDb();
    expect((await counts(db, run.large)).payloads).toBeGreaterThan(0);
    for (const [id, days] of [
      [run.old, 11],
      [run.recent, 9],
      [run.large, 11],
      [run.pending, 11],
      [run.shortOld, 3],
      [run.shortNew, 1],
      [run.bMid, 15],
      [run.bOld, 31],
    ] as const)
      await endedDaysAgo(db, id, days);
    // A live execution is never touched, however long ago it started.
    await db
      .collection<{ _id: string }>('executions')
      .updateOne({ _id: waiting }, { $set: { created_at: new Date(Date.now() - 400 * DAY) } });
    // A delivery still waiting for a retry keeps its execution (and everything of it) back.
    await db.collection<{ _id: string }>('deliveries').updateOne({ execution_id: run.pending }, { $set: { status: 'pending' } });

    const gone = [run.old, run.large, run.shortOld, run.bOld];
    await until('the sweeper to remove the expired executions', async () => {
      for (const id of gone) if ((await counts(db, id)).execution > 0) return false;
      return true;
    });
    await sleep(1_000); // a few more passes: nothing else goes
    for (const id of gone) expect([id, await counts(db, id)]).toEqual([id, { execution: 0, steps: 0, deliveries: 0, payloads: 0 }]);
    for (const id of [run.recent, run.pending, run.shortNew, run.bMid]) {
      const left = await counts(db, id);
      expect([id, left.execution, left.steps > 0, left.deliveries]).toEqual([id, 1, true, 1]);
    }
    expect((await counts(db, waiting)).execution).toBe(1);
    expect((await stack.api('GET', `/v1/executions/${waiting}`, undefined, as(a.key))).body.status).toBe('waiting');
    // Over HTTP: the removed ones are gone, the kept ones answer.
    expect((await stack.api('GET', `/v1/executions/${run.old}`, undefined, as(a.key))).status).toBe(404);
    expect((await stack.api('GET', `/v1/executions/${run.bOld}`, undefined, as(b.key))).status).toBe(404);
    expect((await stack.api('GET', `/v1/executions/${run.recent}`, undefined, as(a.key))).status).toBe(200);
    expect((await stack.api('GET', `/v1/executions/${run.bMid}`, undefined, as(b.key))).status).toBe(200);
    const listed = await stack.api('GET', `/v1/deliveries?workflow_id=${quick.id}&limit=100`, undefined, as(a.key));
    expect((listed.body.data as { execution_id: string }[]).map((d) => d.execution_id).sort()).toEqual([run.recent, run.pending].sort());

    // Each step record and delivery counted once, the payload once (one per execution here: one step, one callback).
    expect(await removedMetric()).toEqual({ executions: 4, steps: 4, deliveries: 4, payloads: 1 });

    // The delivery settles: the next passes take the execution with it.
    await db.collection<{ _id: string }>('deliveries').updateOne({ execution_id: run.pending }, { $set: { status: 'failed' } });
    await until('the kept-back execution to go', async () => (await counts(db, run.pending)).execution === 0);
    expect(await counts(db, run.pending)).toEqual({ execution: 0, steps: 0, deliveries: 0, payloads: 0 });
    expect(await removedMetric()).toEqual({ executions: 5, steps: 5, deliveries: 5, payloads: 1 });

    // The operator's setting for B: 20 days still keeps its 15-day run, 14 days removes it at the next pass.
    expect((await stack.api('PATCH', `/v1/workspaces/${b.id}`, { retention_days: 20 })).body.effective_retention_days).toBe(20);
    await sleep(1_200);
    expect((await counts(db, run.bMid)).execution).toBe(1);
    expect((await stack.api('PATCH', `/v1/workspaces/${b.id}`, { retention_days: 14 })).status).toBe(200);
    await until("B's 15-day run under 14 days", async () => (await counts(db, run.bMid)).execution === 0);
    expect((await counts(db, run.recent)).execution).toBe(1);
  });

  it('refuses bad retention input in the one error shape and changes nothing', async () => {
    const ws = await stack.newWorkspace('retention-bad');
    const flow = await callbackWorkflow(stack, receiver.url('/bad'), { apiKey: ws.key, name: 'bad' });
    for (const [method, path, key] of [
      ['PATCH', '/v1/workspace', ws.key],
      ['PATCH', `/v1/workspaces/${ws.id}`, stack.apiKey],
      ['PATCH', `/v1/workflows/${flow.id}`, ws.key],
    ] as const) {
      for (const body of [{ retention_days: 0 }, { retention_days: 'x' }, { retention_days: 5, unknown_field: 1 }]) {
        const res = await stack.api(method, path, body, as(key));
        expect([path, res.status, Object.keys(res.body), res.body.error.code]).toEqual([path, 400, ['error'], 'invalid_request']);
        expect(res.body.error.details.issues[0].path).toBe(Object.keys(body).find((k) => k !== 'retention_days') ?? 'retention_days');
      }
    }
    expect((await stack.api('GET', '/v1/workspace', undefined, as(ws.key))).body.retention_days).toBeNull();
    expect((await stack.api('GET', `/v1/workflows/${flow.id}`, undefined, as(ws.key))).body.retention_days).toBeNull();
  });
});

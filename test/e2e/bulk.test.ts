import { request, sleep, Stack } from '../support/stack';

/** POST /v1/executions/bulk: replay or cancel by filter, as a background job with progress; dry_run counts. */
describe('bulk replay and cancel', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('bulk');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const parked = (name: string) => ({
    name,
    max_concurrent_executions: 0,
    steps: [{ id: 'wait', type: 'wait_for_webhook', expires_in_s: 600 }],
  });

  async function startParked(hook: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await request(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
      ids.push(String(res.body.execution_id));
    }
    for (const id of ids) await stack.waitForExecution(id, (e) => e.status === 'waiting');
    return ids;
  }

  async function jobDone(url: string): Promise<any> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await stack.api('GET', new URL(url).pathname);
      expect(res.status).toBe(200);
      if (res.body.status === 'succeeded' || Date.now() > deadline) return res.body;
      await sleep(100);
    }
  }

  it('refuses unknown fields and actions, and answers 404 for an unknown job', async () => {
    const extra = await stack.api('POST', '/v1/executions/bulk', { action: 'cancel', filter: {}, limit: 5 });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.issues[0]).toMatchObject({ path: 'limit', code: 'unrecognized_keys' });
    const action = await stack.api('POST', '/v1/executions/bulk', { action: 'delete', filter: {} });
    expect(action.status).toBe(400);
    expect(action.body.error.details.issues[0].path).toBe('action');
    const missing = await stack.api('GET', `/v1/executions/bulk/bulk_${'0'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect((await stack.api('GET', '/v1/executions/bulk/nope')).status).toBe(404);
  });

  it('counts in a dry run, cancels by filter with progress, then replays the cancelled ones once each', async () => {
    const target = await stack.deploy(parked('bulk-target'));
    const other = await stack.deploy(parked('bulk-other'));
    const targets = await startParked(target.async, 3);
    const [bystander] = await startParked(other.async, 1);
    await stack.settledDb();

    const filter = { workflow_id: target.id, status: ['waiting'] };
    const dry = await stack.api('POST', '/v1/executions/bulk', { action: 'cancel', filter, dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ dry_run: true, action: 'cancel', matched: 3 });
    for (const id of targets) expect((await stack.api('GET', `/v1/executions/${id}`)).body.status).toBe('waiting');

    const cancel = await stack.api('POST', '/v1/executions/bulk', { action: 'cancel', filter });
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({
      action: 'cancel',
      status: 'running',
      total: 3,
      filter: { workflow_id: target.id, status: ['waiting'] },
    });
    const cancelled = await jobDone(String(cancel.body.status_url));
    expect(cancelled).toMatchObject({ status: 'succeeded', total: 3, processed: 3, succeeded: 3, skipped: 0, failed: 0, errors: [] });
    for (const id of targets) expect((await stack.api('GET', `/v1/executions/${id}`)).body.status).toBe('cancelled');
    expect((await stack.api('GET', `/v1/executions/${bystander}`)).body.status).toBe('waiting');

    await stack.settledDb();
    const replay = await stack.api('POST', '/v1/executions/bulk', {
      action: 'replay',
      filter: { workflow_id: target.id, status: ['cancelled'] },
    });
    expect(replay.status).toBe(202);
    const replayed = await jobDone(String(replay.body.status_url));
    expect(replayed).toMatchObject({ status: 'succeeded', total: 3, processed: 3, succeeded: 3, failed: 0 });
    const db = await stack.settledDb();
    const replays = await db
      .collection<{ _id: string; replay_of: string | null }>('executions')
      .find({ replay_of: { $in: targets } })
      .toArray();
    expect(replays.map((r) => r.replay_of).sort()).toEqual([...targets].sort());

    // A replica that took the job over from scratch (its progress lost in a crash) replays nothing twice:
    // the job set back as a crash would leave it, then a fresh ingress, whose start-up look finds it
    // (a running replica finds such a job only at its once-a-minute look).
    await stack.stopService('ingress');
    await db
      .collection<{ _id: string }>('bulk_jobs')
      .updateOne(
        { _id: String(replay.body.id) },
        { $set: { status: 'running', cursor: null, processed: 0, succeeded: 0, skipped: 0, failed: 0, finished_at: null } },
      );
    await stack.startService('ingress');
    const retaken = await jobDone(String(replay.body.status_url));
    expect(retaken).toMatchObject({ status: 'succeeded', processed: 3, succeeded: 0, skipped: 3, failed: 0 });
    const settled = await stack.settledDb();
    expect(await settled.collection('executions').countDocuments({ replay_of: { $in: targets } })).toBe(3);

    // A filter taken now holds the originals and their replays.
    const again = await stack.api('POST', '/v1/executions/bulk', { action: 'cancel', filter: { workflow_id: target.id }, dry_run: true });
    expect(again.body.matched).toBe(6);
  });
});

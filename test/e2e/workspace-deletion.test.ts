import { collections, recordDeadLetter } from '@flowgate/store';
import { request, sleep, Stack } from '../support/stack';

/**
 * Deleting a workspace on the real services (ADR 0016): its live executions (waiting on an
 * approval, queued behind max_concurrent_executions) are cancelled through the execution service,
 * then every document it owns is removed; its URLs, wait tokens and keys stop working; another
 * workspace is untouched.
 */
describe('workspace deletion', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start('ws-deletion');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const deployIn = async (key: string, definition: unknown) => {
    const created = await stack.api('POST', '/v1/workflows?publish=true', definition, as(key));
    expect(created.status).toBe(201);
    return { id: String(created.body.id), url: String(created.body.triggers.production.async) };
  };
  const fire = async (url: string) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    return String(res.body.execution_id);
  };
  const statusOf = async (key: string, id: string) => (await stack.api('GET', `/v1/executions/${id}`, undefined, as(key))).body.status;
  const until = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  it('cancels what is live, removes every document, leaves a tombstone; the other workspace keeps all', async () => {
    const doomed = await stack.newWorkspace('doomed');
    const kept = await stack.newWorkspace('kept');
    const approval = { name: 'approve', max_concurrent_executions: 1, steps: [{ id: 'review', type: 'approval' }] };
    const finished = { name: 'quick', max_concurrent_executions: 0, steps: [{ id: 't', type: 'transform', expression: '1' }] };
    const a = await deployIn(doomed.key, approval);
    const quick = await deployIn(doomed.key, finished);
    const keptFlow = await deployIn(kept.key, approval);

    const done = await fire(quick.url);
    await until('the quick run to end', async () => (await statusOf(doomed.key, done)) === 'succeeded');
    const waiting = await fire(a.url);
    await until('the approval wait', async () => (await statusOf(doomed.key, waiting)) === 'waiting');
    await fire(a.url); // queued behind the waiting one (max 1)
    const parked = (await stack.api('GET', `/v1/executions/${waiting}`, undefined, as(doomed.key))).body;
    const approveUrl = String(parked.waiting_payload.approve_url);
    const keptWaiting = await fire(keptFlow.url);
    await until('the other workspace waits', async () => (await statusOf(kept.key, keptWaiting)) === 'waiting');

    // A dead letter of each (recorded as a consumer records one).
    const deadLetters = collections(await stack.db()).deadLetters;
    for (const [seq, ws] of [
      [900_001, doomed.id],
      [900_002, kept.id],
    ] as const) {
      const subject = stack.subjects.command('timer', ws);
      await recordDeadLetter(deadLetters, {
        consumer: 'execution',
        streamSequence: seq,
        subject,
        data: '{',
        reason: 'malformed_json',
        deliveryCount: 1,
      });
    }
    expect((await stack.api('GET', '/v1/dead-letters', undefined, as(doomed.key))).body.data).toHaveLength(1);

    const marked = await stack.api('DELETE', `/v1/workspaces/${doomed.id}`);
    expect(marked.status).toBe(202);
    // At once: the key is refused, the webhook is unknown.
    expect((await stack.api('GET', '/v1/workflows', undefined, as(doomed.key))).status).toBe(401);
    const refused = await request(a.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([refused.status, refused.body.error.code]).toEqual([404, 'webhook_not_found']);

    let shown = marked.body;
    await until('the tombstone', async () => {
      shown = (await stack.api('GET', `/v1/workspaces/${doomed.id}`)).body;
      return shown.status === 'deleted';
    });
    expect(shown.deletion).toMatchObject({ finished_at: expect.any(String), cancelled: expect.any(Number) });
    expect(shown.deletion.cancelled).toBeGreaterThanOrEqual(2);
    expect(shown.deletion.removed).toMatchObject({ workflows: 2, apiKeys: 1, executions: 3, deadLetters: 1 });

    const db = await stack.settledDb();
    for (const collection of [
      'workflows',
      'workflow_versions',
      'triggers',
      'executions',
      'step_executions',
      'api_keys',
      'wait_tokens',
      'dead_letters',
    ])
      expect([collection, await db.collection(collection).countDocuments({ workspace_id: doomed.id })]).toEqual([collection, 0]);
    // The wait token went with the rest.
    expect((await request(approveUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);

    // The other workspace is untouched: its wait still resumes.
    expect(await statusOf(kept.key, keptWaiting)).toBe('waiting');
    expect((await stack.api('GET', '/v1/dead-letters', undefined, as(kept.key))).body.data).toEqual([
      expect.objectContaining({ id: 'dl_execution_900002', workspace_id: kept.id }),
    ]);
    const keptParked = (await stack.api('GET', `/v1/executions/${keptWaiting}`, undefined, as(kept.key))).body;
    const approved = await request(String(keptParked.waiting_payload.approve_url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status).toBe(202);
    await until('the kept run to end', async () => (await statusOf(kept.key, keptWaiting)) === 'succeeded');

    // Deleting again answers the same tombstone; the service is up.
    const again = await stack.api('DELETE', `/v1/workspaces/${doomed.id}`);
    expect([again.status, again.body.status]).toEqual([202, 'deleted']);
    expect((await stack.api('GET', '/v1/workspaces')).status).toBe(200);
  });

  it('an ingress SIGKILLed mid-deletion leaves the rest to the next one: every document goes, the tombstone comes', async () => {
    const big = await stack.newWorkspace('big');
    const flow = await deployIn(big.key, { name: 'noop', steps: [{ id: 't', type: 'transform', expression: '1' }] });
    // Many finished executions, written as the group commit writes them (batched inserts).
    const db = await stack.db();
    const now = new Date();
    const docs = Array.from({ length: 3_000 }, (_, i) => ({
      _id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      workspace_id: big.id,
      workflow_id: flow.id,
      workflow_version: 1,
      status: 'succeeded',
      created_at: now,
      updated_at: now,
    }));
    for (let i = 0; i < docs.length; i += 500) await db.collection<{ _id: string }>('executions').insertMany(docs.slice(i, i + 500));

    expect((await stack.api('DELETE', `/v1/workspaces/${big.id}`)).status).toBe(202);
    await until('the first batch', async () => {
      const removed = (await stack.api('GET', `/v1/workspaces/${big.id}`)).body.deletion?.removed ?? {};
      return Object.keys(removed).length > 0;
    });
    await stack.stopService('ingress', 'SIGKILL');
    const left = await db.collection('executions').countDocuments({ workspace_id: big.id });
    await stack.startService('ingress');
    await until(
      'the deletion to finish after the restart',
      async () => (await stack.api('GET', `/v1/workspaces/${big.id}`)).body.status === 'deleted',
      90_000,
    );
    expect(await db.collection('executions').countDocuments({ workspace_id: big.id })).toBe(0);
    expect(await db.collection('workflows').countDocuments({ workspace_id: big.id })).toBe(0);
    // Killed mid-way for real: some executions were still there when it died.
    expect(left).toBeGreaterThan(0);
  });
});

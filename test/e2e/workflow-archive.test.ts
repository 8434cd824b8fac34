import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Archiving a workflow (DELETE /v1/workflows/{id}) across the real services: another ingress
 * replica answers its webhook 410 within 1 s (config events over NATS), an execution already
 * running finishes and stays readable, a replay of it is refused, and its cron schedule stops.
 */
const PROPAGATION_MS = 1_000;

describe('archived workflows', () => {
  let stack: Stack;

  beforeAll(async () => {
    // A max age far beyond the test: only the config event can make replica 2 see the archive in time.
    stack = await Stack.start('workflow-archive', {
      services: ['ingress', 'execution', 'scheduler'],
      env: { ingress: { FLOWGATE_CONFIG_CACHE_MAX_AGE_MS: '600000' } },
    });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (url: string) => request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 1}' });
  const waitUntil = async (check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check()) && Date.now() < deadline) await sleep(100);
    return check();
  };

  it("another replica answers the archived workflow's webhook 410 workflow_archived within 1 s", async () => {
    const wf = await stack.deploy({
      name: 'archived-across',
      max_concurrent_executions: 0,
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const other = wf.async.replace(stack.ingressUrl, stack.ingressReplicaUrl(2));
    expect((await post(other)).status).toBe(202); // replica 2 holds the workflow in memory now

    const since = Date.now();
    expect((await stack.api('DELETE', `/v1/workflows/${wf.id}`)).status).toBe(200);
    let last: ApiResponse | undefined;
    while (Date.now() - since <= PROPAGATION_MS) {
      last = await post(other);
      if (last.status === 410) break;
      await sleep(25);
    }
    expect([last?.status, last?.body.error.code]).toEqual([410, 'workflow_archived']);
    expect((await post(wf.sync)).status).toBe(410);
  });

  it('an execution running when it is archived finishes; its history stays readable; a replay is refused 409', async () => {
    const wf = await stack.deploy({
      name: 'archived-while-running',
      max_concurrent_executions: 0,
      steps: [
        { id: 'wait', type: 'delay', duration_s: 2 },
        { id: 'done', type: 'transform', expression: '"finished"' },
      ],
    });
    const started = await post(wf.async);
    expect(started.status).toBe(202);
    const executionId = String(started.body.execution_id);
    await stack.waitForExecution(executionId, (e) => e.status === 'running' || e.status === 'waiting', 10_000);

    expect((await stack.api('DELETE', `/v1/workflows/${wf.id}`)).status).toBe(200);
    const finished = await stack.waitForExecution(executionId, (e) => e.status === 'succeeded' || e.status === 'failed', 20_000);
    expect([finished.status, finished.final_output]).toEqual(['succeeded', 'finished']);

    const listed = await stack.api('GET', `/v1/executions?workflow_id=${wf.id}`);
    expect((listed.body.data as { id: string }[]).map((e) => e.id)).toEqual([executionId]);
    const replay = await stack.api('POST', `/v1/executions/${executionId}/replay`);
    expect([replay.status, replay.body.error.code, replay.body.error.details.reason]).toEqual([409, 'conflict', 'workflow_archived']);
  });

  it('its cron schedule stops: the schedule is gone and nothing fires after the archive', async () => {
    const wf = await stack.deploy({
      name: 'archived-schedule',
      max_concurrent_executions: 0,
      trigger: { schedule: { cron: '* * * * * *', overlap: 'allow' } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const runs = async () => (await stack.db()).collection('executions').countDocuments({ workflow_id: wf.id });
    expect(await waitUntil(async () => (await runs()) >= 1, 15_000)).toBe(true);

    expect((await stack.api('DELETE', `/v1/workflows/${wf.id}`)).status).toBe(200);
    expect((await stack.api('GET', `/v1/workflows/${wf.id}/schedule`)).status).toBe(404);
    await sleep(1_500); // a fire already in flight may still land
    const atArchive = await runs();
    await sleep(3_000);
    expect(await runs()).toBe(atArchive);
  });

  it('the scheduler itself drops the schedule of an archived workflow at its next fire (the archive reached it some other way)', async () => {
    const wf = await stack.deploy({
      name: 'archived-behind-the-scheduler',
      max_concurrent_executions: 0,
      trigger: { schedule: { cron: '* * * * * *', overlap: 'allow' } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const db = await stack.db();
    expect(await waitUntil(async () => (await db.collection('executions').countDocuments({ workflow_id: wf.id })) >= 1, 15_000)).toBe(true);
    // As if the ingress had archived it while the scheduler was unreachable: the schedule is still there.
    await db.collection('workflows').updateOne({ _id: wf.id as never }, { $set: { archived_at: new Date() } });
    expect(await waitUntil(async () => (await db.collection('schedules').countDocuments({ _id: wf.id as never })) === 0, 5_000)).toBe(true);
  });
});

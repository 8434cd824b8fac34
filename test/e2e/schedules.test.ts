import { loadSchedulerProto, type SchedulerServiceClient, type UpsertScheduleRequest } from '@flowgate/contracts';
import { grpc } from '@flowgate/kit';
import { request, sleep, Stack } from '../support/stack';

/** Cron schedules: fired by the scheduler's leader, paused / resumed through the API, missed-fire policies. */
describe('cron schedules', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('schedules', { services: ['ingress', 'execution', 'scheduler'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const api = (path: string, init: RequestInit = {}) =>
    request(`${stack.ingressUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.apiKey}`, ...(init.headers ?? {}) } });
  const executionsOf = async (workflowId: string) =>
    (await stack.db()).collection('executions').find({ workflow_id: workflowId }).sort({ created_at: 1 }).toArray();
  const waitUntil = async (check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check()) && Date.now() < deadline) await sleep(200);
    return check();
  };

  it('fires on its cron, shows the next fire times, pauses and resumes', async () => {
    const wf = await stack.deploy({
      name: 'every-2s',
      max_concurrent_executions: 0,
      trigger: { schedule: { cron: '*/2 * * * * *', timezone: 'Europe/Berlin', overlap: 'allow' } },
      steps: [{ id: 'stamp', type: 'transform', expression: 'trigger.body.scheduled_at' }],
    });
    const shown = await api(`/v1/workflows/${wf.id}/schedule`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ cron: '*/2 * * * * *', timezone: 'Europe/Berlin', overlap: 'allow', missed: 'skip', paused: false });
    const fires: string[] = shown.body.next_fires;
    expect(fires).toHaveLength(5);
    for (let i = 1; i < fires.length; i++) expect(Date.parse(fires[i] ?? '') - Date.parse(fires[i - 1] ?? '')).toBe(2_000);

    expect(await waitUntil(async () => (await executionsOf(wf.id)).filter((e) => e.status === 'succeeded').length >= 2, 15_000)).toBe(true);
    const runs = (await executionsOf(wf.id)).filter((e) => e.status === 'succeeded');
    for (const run of runs) {
      expect(run.source).toBe('schedule');
      const input = JSON.parse(run.trigger_input_json as string);
      expect(input.method).toBe('SCHEDULE');
      expect(Date.parse(input.body.scheduled_at) % 2_000).toBe(0);
      expect(JSON.parse(run.final_output_json as string)).toBe(input.body.scheduled_at);
    }

    const paused = await api(`/v1/workflows/${wf.id}/schedule/pause`, { method: 'POST' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, next_fires: [], next_fire_at: null });
    await sleep(1_000); // a fire already in flight may still land
    const atPause = (await executionsOf(wf.id)).length;
    await sleep(4_500);
    expect((await executionsOf(wf.id)).length).toBe(atPause);

    const resumed = await api(`/v1/workflows/${wf.id}/schedule/resume`, { method: 'POST' });
    expect(resumed.body.paused).toBe(false);
    expect(Date.parse(resumed.body.next_fire_at)).toBeGreaterThan(Date.now() - 1_000);
    expect(await waitUntil(async () => (await executionsOf(wf.id)).length > atPause, 10_000)).toBe(true);
    await api(`/v1/workflows/${wf.id}/schedule/pause`, { method: 'POST' });
  });

  it('overlap skip: no fire while a run is still going', async () => {
    const wf = await stack.deploy({
      name: 'slow-every-1s',
      max_concurrent_executions: 0,
      trigger: { schedule: { cron: '* * * * * *', overlap: 'skip' } },
      steps: [{ id: 'pause', type: 'delay', duration_s: 3 }],
    });
    await sleep(7_000);
    await api(`/v1/workflows/${wf.id}/schedule/pause`, { method: 'POST' });
    const runs = await executionsOf(wf.id);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(3);
    // Never two active at once: each run was created after the previous one finished.
    for (let i = 1; i < runs.length; i++) {
      const previous = runs[i - 1];
      expect(previous?.finished_at).not.toBeNull();
      expect((runs[i]?.created_at as Date).getTime()).toBeGreaterThanOrEqual((previous?.finished_at as Date).getTime());
    }
  });

  it('missed fires after downtime: run_once starts one run, skip starts none', async () => {
    const once = await stack.deploy({
      name: 'missed-once',
      trigger: { schedule: { cron: '0 * * * *', missed: 'run_once' } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    const skip = await stack.deploy({
      name: 'missed-skip',
      trigger: { schedule: { cron: '0 * * * *', missed: 'skip' } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    await stack.stopService('scheduler');
    // As if the scheduler had been down for three hours.
    const schedules = (await stack.db()).collection('schedules');
    const longAgo = new Date(Date.now() - 3 * 3_600_000);
    await schedules.updateMany({ _id: { $in: [once.id, skip.id] } } as never, { $set: { next_fire_at: longAgo } });
    await stack.startService('scheduler');
    expect(await waitUntil(async () => (await executionsOf(once.id)).some((e) => e.status === 'succeeded'), 20_000)).toBe(true);
    await sleep(1_500);
    expect(await executionsOf(once.id)).toHaveLength(1);
    expect(await executionsOf(skip.id)).toHaveLength(0);
    for (const id of [once.id, skip.id]) {
      const next = Date.parse((await api(`/v1/workflows/${id}/schedule`)).body.next_fire_at);
      expect(next).toBeGreaterThan(Date.now());
      expect(new Date(next).getUTCMinutes()).toBe(0);
    }
  });

  it('a bad cron or time zone is a 422 naming the field; a workflow without a schedule has none', async () => {
    const bad = await api('/v1/workflows', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'bad',
        trigger: { schedule: { cron: '* * *' } },
        steps: [{ id: 'a', type: 'transform', expression: '1' }],
      }),
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.error.details)).toContain('trigger.schedule.cron');
    const plain = await stack.deploy({ name: 'plain', steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    expect((await api(`/v1/workflows/${plain.id}/schedule`)).status).toBe(404);
  });

  it('the scheduler owns schedules: UpsertSchedule / DeleteSchedule over gRPC; republishing without a schedule removes it', async () => {
    const client: SchedulerServiceClient = new (loadSchedulerProto().flowgate.v1.SchedulerService)(
      `127.0.0.1:${stack.ports.schedulerGrpc}`,
      grpc.credentials.createInsecure(),
    );
    const call = <T>(method: 'UpsertSchedule' | 'DeleteSchedule', req: object) =>
      new Promise<T>((resolve, reject) =>
        (client[method] as (r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: T) => void) => void)(
          req,
          { deadline: new Date(Date.now() + 5_000) },
          (err, res) => (err ? reject(err) : res === undefined ? reject(new Error('empty answer')) : resolve(res)),
        ),
      );
    try {
      const wf = await stack.deploy({
        name: 'hourly',
        trigger: { schedule: { cron: '0 * * * *', timezone: 'America/New_York' } },
        steps: [{ id: 'a', type: 'transform', expression: '1' }],
      });
      const workspaceId = (await (await stack.db()).collection<{ _id: string; workspace_id: string }>('workflows').findOne({ _id: wf.id }))
        ?.workspace_id as string;
      const bad: UpsertScheduleRequest = { workspaceId, workflowId: wf.id, cron: '61 * * * *', timezone: 'UTC' };
      await expect(call('UpsertSchedule', bad)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      await expect(
        call('UpsertSchedule', { workspaceId, workflowId: wf.id, cron: '* * * * *', timezone: 'Mars/Base' }),
      ).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
      // Another workspace cannot touch it.
      await expect(call('UpsertSchedule', { workspaceId: 'ws_other', workflowId: wf.id, cron: '* * * * *' })).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
      const paused = await call<{ paused: boolean; nextFireAt: string; cron: string }>('UpsertSchedule', {
        workspaceId,
        workflowId: wf.id,
        pause: 'PAUSE_CHANGE_PAUSE',
      });
      expect(paused).toMatchObject({ paused: true, nextFireAt: '', cron: '0 * * * *' });
      expect((await api(`/v1/workflows/${wf.id}/schedule`)).body.paused).toBe(true);
      // A changed pattern keeps the pause.
      const changed = await call<{ paused: boolean; cron: string; timezone: string }>('UpsertSchedule', {
        workspaceId,
        workflowId: wf.id,
        cron: '30 9 * * 1',
        timezone: 'Europe/Paris',
      });
      expect(changed).toMatchObject({ paused: true, cron: '30 9 * * 1', timezone: 'Europe/Paris' });

      // Publishing a version without a schedule deletes it (through DeleteSchedule).
      const put = await api(`/v1/workflows/${wf.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'hourly', steps: [{ id: 'a', type: 'transform', expression: '1' }] }),
      });
      expect(put.status).toBe(200);
      expect((await api(`/v1/workflows/${wf.id}/publish`, { method: 'POST' })).status).toBe(201);
      expect((await api(`/v1/workflows/${wf.id}/schedule`)).status).toBe(404);
      expect(await call<{ deleted: boolean }>('DeleteSchedule', { workspaceId, workflowId: wf.id })).toEqual({ deleted: false });
      expect(await (await stack.db()).collection<{ _id: string }>('schedules').countDocuments({ _id: wf.id })).toBe(0);
    } finally {
      client.close();
    }
  });
});

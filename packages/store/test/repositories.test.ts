import type { DeliveryDoc, ScheduleDoc } from '../src/documents';
import {
  createDelivery,
  findOwnedDelivery,
  markAttemptStarted,
  recordDeliveryAttempt,
  startDeliveryCycle,
  findDelivery,
} from '../src/deliveries';
import { findOwned } from '../src/owned';
import { advanceSchedule, deleteOwnedSchedule, dueSchedules, findSchedule, putSchedule } from '../src/schedules';
import type { Collections } from '../src/store';
import { deleteFiredTimers, dueTimers, storedTimersOf } from '../src/timers';
import { createWaitToken, deleteWaitTokensOf } from '../src/wait-tokens';
import { ensureWorkspace, workspaceEgressEntries, workspaceQuotas } from '../src/workspaces';
import { testDatabase } from './test-db';

/** Repositories against the run's real MongoDB-wire server (FerretDB by default). */
describe('store repositories', () => {
  const database = testDatabase('store_repos');
  let store: Collections;

  beforeAll(async () => {
    await database.open();
    store = database.store;
  });

  afterAll(() => database.close());

  const delivery = (id: string, workspaceId = 'ws1'): DeliveryDoc => ({
    _id: id,
    workspace_id: workspaceId,
    execution_id: 'ex1',
    event: 'execution.succeeded',
    url: 'https://receiver.example/cb',
    status: 'failed',
    attempts: [],
    cycle: 1,
    created_at: new Date(0),
    updated_at: new Date(0),
  });

  describe('findOwned', () => {
    it("finds a workspace's document and not another workspace's, by _id", async () => {
      await createDelivery(store.deliveries, delivery('d-owned'));
      await expect(findOwned(store.deliveries, 'ws1', 'd-owned')).resolves.toMatchObject({ _id: 'd-owned' });
      await expect(findOwned(store.deliveries, 'ws2', 'd-owned')).resolves.toBeNull();
      await expect(findOwned(store.deliveries, 'ws1', 'd-missing')).resolves.toBeNull();
    });

    it('keeps the owner check under a projection that leaves workspace_id out', async () => {
      const found = await findOwned(store.deliveries, 'ws1', 'd-owned', { projection: { url: 1 } });
      expect(found).toMatchObject({ _id: 'd-owned', url: 'https://receiver.example/cb' });
      await expect(findOwned(store.deliveries, 'ws2', 'd-owned', { projection: { url: 1 } })).resolves.toBeNull();
    });
  });

  describe('deliveries', () => {
    it('creates a delivery once', async () => {
      await expect(createDelivery(store.deliveries, delivery('d-once'))).resolves.toBe(true);
      await expect(createDelivery(store.deliveries, delivery('d-once'))).resolves.toBe(false);
    });

    it('starts the next cycle only from the cycle and status it was read at', async () => {
      await createDelivery(store.deliveries, delivery('d-cycle'));
      const doc = await findOwnedDelivery(store.deliveries, 'ws1', 'd-cycle');
      if (!doc) throw new Error('not created');
      const now = new Date(1_000);
      await startDeliveryCycle(store.deliveries, doc, 7, now);
      await startDeliveryCycle(store.deliveries, doc, 8, now); // stale: the delivery moved on
      await expect(findDelivery(store.deliveries, 'd-cycle')).resolves.toMatchObject({ status: 'pending', cycle: 2, driver_seq: 7 });
    });

    it('records attempts of the current cycle only (a document without a cycle is in its first)', async () => {
      const { cycle: _cycle, ...legacy } = delivery('d-legacy');
      await createDelivery(store.deliveries, legacy);
      await markAttemptStarted(store.deliveries, 'd-legacy', 1, new Date(2_000));
      const attempt = { at: new Date(2_000), status_code: 500, latency_ms: 3, error: 'boom', response_body: null, cycle: 1, attempt: 1 };
      await recordDeliveryAttempt(store.deliveries, 'd-legacy', 1, attempt, { attempt_started_at: null });
      await recordDeliveryAttempt(store.deliveries, 'd-legacy', 2, attempt, { status: 'succeeded' }); // not its cycle
      const doc = await findDelivery(store.deliveries, 'd-legacy');
      expect(doc?.attempts).toHaveLength(1);
      expect(doc).toMatchObject({ status: 'failed', attempt_started_at: null });
    });
  });

  describe('schedules', () => {
    const schedule = (id: string, workspaceId: string, next: Date | null): ScheduleDoc => ({
      _id: id,
      workspace_id: workspaceId,
      cron: '* * * * *',
      timezone: 'UTC',
      overlap: 'skip',
      missed: 'skip',
      paused: false,
      next_fire_at: next,
      last_fire_at: null,
      updated_at: new Date(0),
    });

    it("deletes a workspace's schedule and never another workspace's", async () => {
      await putSchedule(store.schedules, schedule('wf-del', 'ws1', null));
      await expect(deleteOwnedSchedule(store.schedules, 'ws2', 'wf-del')).resolves.toBe(false);
      await expect(findSchedule(store.schedules, 'wf-del')).resolves.toMatchObject({ workspace_id: 'ws1' });
      await expect(deleteOwnedSchedule(store.schedules, 'ws1', 'wf-del')).resolves.toBe(true);
      await expect(findSchedule(store.schedules, 'wf-del')).resolves.toBeNull();
    });

    it('serves due schedules and moves one on only from the fire it was due for', async () => {
      const due = new Date(10_000);
      await putSchedule(store.schedules, schedule('wf-due', 'ws1', due));
      await expect(dueSchedules(store.schedules, new Date(10_000), 10)).resolves.toEqual([expect.objectContaining({ _id: 'wf-due' })]);
      await advanceSchedule(store.schedules, { _id: 'wf-due', next_fire_at: new Date(5_000) }, { next_fire_at: new Date(99_000) });
      await expect(findSchedule(store.schedules, 'wf-due')).resolves.toMatchObject({ next_fire_at: due });
      await advanceSchedule(store.schedules, { _id: 'wf-due', next_fire_at: due }, { next_fire_at: new Date(70_000) });
      await expect(dueSchedules(store.schedules, new Date(10_000), 10)).resolves.toEqual([]);
    });
  });

  describe('timers, wait tokens, workspaces', () => {
    it('serves due pending timers earliest first and deletes the fired ones', async () => {
      const timer = (id: string, dueMs: number) => ({
        _id: id,
        workspace_id: 'ws1',
        execution_id: 'ex-t',
        kind: 'delay' as const,
        due_at: new Date(dueMs),
        status: 'pending' as const,
        created_at: new Date(0),
      });
      await store.timers.insertMany([timer('t-late', 3_000), timer('t-early', 1_000), timer('t-future', 9_000)]);
      const due = await dueTimers(store.timers, new Date(5_000), 10);
      expect(due.map((t) => t._id)).toEqual(['t-early', 't-late']);
      await deleteFiredTimers(
        store.timers,
        due.map((t) => t._id),
      );
      await deleteFiredTimers(store.timers, []);
      await expect(storedTimersOf(store.timers, 'ws1', 'ex-t', 10)).resolves.toEqual([expect.objectContaining({ _id: 't-future' })]);
      await expect(storedTimersOf(store.timers, 'ws2', undefined, 10)).resolves.toEqual([]);
    });

    it("deletes every wait token of an execution and no other's", async () => {
      const token = (id: string, executionId: string) => ({
        _id: id,
        workspace_id: 'ws1',
        execution_id: executionId,
        kind: 'webhook' as const,
        step_id: 's',
        expires_at: new Date(0),
        created_at: new Date(0),
      });
      await createWaitToken(store.waitTokens, token('wt-1', 'ex-w'));
      await createWaitToken(store.waitTokens, token('wt-2', 'ex-w'));
      await createWaitToken(store.waitTokens, token('wt-3', 'ex-other'));
      await deleteWaitTokensOf(store.waitTokens, 'ex-w');
      expect((await store.waitTokens.find({}).toArray()).map((t) => t._id)).toEqual(['wt-3']);
    });

    it("reads a workspace's egress entries and quota overrides (none when absent)", async () => {
      await ensureWorkspace(store.workspaces, {
        _id: 'ws-e',
        name: 'e',
        created_at: new Date(0),
        egress_allow_cidrs: ['10.0.0.0/8'],
        quotas: { executions_per_day: 5 },
      });
      await ensureWorkspace(store.workspaces, { _id: 'ws-e', name: 'again', created_at: new Date(0) });
      await expect(workspaceEgressEntries(store.workspaces, 'ws-e')).resolves.toEqual(['10.0.0.0/8']);
      await expect(workspaceQuotas(store.workspaces, 'ws-e')).resolves.toEqual({ executions_per_day: 5 });
      await expect(workspaceEgressEntries(store.workspaces, 'ws-none')).resolves.toBeUndefined();
      await expect(workspaceQuotas(store.workspaces, 'ws-none')).resolves.toBeUndefined();
    });
  });
});

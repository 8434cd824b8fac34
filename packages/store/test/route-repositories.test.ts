import { findOwnedApiKey, hasActiveAdminKey, insertApiKey, listApiKeys, revokeApiKey, undoApiKeyRevocation } from '../src/api-keys';
import { createDelivery, listDeliveries } from '../src/deliveries';
import type { ApiKeyDoc, DeliveryDoc, SourceDoc, TriggerDoc, WorkflowDoc } from '../src/documents';
import { createTrigger, findOwnedTrigger, setTriggersEnabled } from '../src/environment-triggers';
import { countExecutionsSince, findTriggerInputRef, recordExecution, type NewExecution } from '../src/executions';
import { findOwnedParameterCapture, openParameterCapture } from '../src/parameter-captures';
import { findOwnedSchedule, putSchedule } from '../src/schedules';
import { createSource, deleteSource, findOwnedSource, findSourceByToken, listSources, updateSource } from '../src/sources';
import type { Collections } from '../src/store';
import { createWaitToken, findWaitToken } from '../src/wait-tokens';
import {
  createWorkflow,
  createWorkflowVersion,
  findOwnedWorkflow,
  listWorkflows,
  markWorkflowPublished,
  subscribedWorkflowIds,
  updateWorkflow,
} from '../src/workflows';
import {
  deleteOwnedBatch,
  finishWorkspaceDeletion,
  insertWorkspace,
  listWorkspaces,
  markWorkspaceDeleting,
  recordDeletionProgress,
  setWorkspaceEgress,
  setWorkspaceQuotas,
  setWorkspaceSuspended,
  updateWorkspace,
  workspaceEgressEntries,
  workspaceQuotas,
  workspacesBeingDeleted,
} from '../src/workspaces';
import { testDatabase } from './test-db';

/** The repositories of the management API's routes, against the run's real MongoDB-wire server (FerretDB by default). */
describe('route repositories', () => {
  const database = testDatabase('store_routes');
  let store: Collections;

  beforeAll(async () => {
    await database.open();
    store = database.store;
  });

  afterAll(() => database.close());

  const at = (ms: number) => new Date(ms);

  describe('API keys', () => {
    const key = (id: string, over: Partial<ApiKeyDoc> = {}): ApiKeyDoc => ({
      _id: id,
      workspace_id: 'ws1',
      name: id,
      key_hash: `hash-${id}`,
      key_prefix: 'fgk_',
      scopes: ['admin'],
      created_at: at(1_000),
      revoked_at: null,
      ...over,
    });

    it("finds a workspace's key by _id and not another workspace's", async () => {
      await insertApiKey(store.apiKeys, key('k-own'));
      await expect(findOwnedApiKey(store.apiKeys, 'ws1', 'k-own')).resolves.toMatchObject({ _id: 'k-own', key_hash: 'hash-k-own' });
      await expect(findOwnedApiKey(store.apiKeys, 'ws2', 'k-own')).resolves.toBeNull();
      await expect(insertApiKey(store.apiKeys, key('k-own'))).rejects.toThrow();
    });

    it("lists a workspace's keys newest first, without their hashes", async () => {
      await insertApiKey(store.apiKeys, key('k-list-old', { workspace_id: 'ws-list', created_at: at(1) }));
      await insertApiKey(store.apiKeys, key('k-list-new', { workspace_id: 'ws-list', created_at: at(2) }));
      const listed = await listApiKeys(store.apiKeys, 'ws-list', 10);
      expect(listed.map((k) => k._id)).toEqual(['k-list-new', 'k-list-old']);
      expect(listed.every((k) => !('key_hash' in k))).toBe(true);
      await expect(listApiKeys(store.apiKeys, 'ws-list', 1)).resolves.toHaveLength(1);
    });

    it('revokes an active key once and undoes only that revocation', async () => {
      const doc = key('k-rev', { workspace_id: 'ws-rev' });
      await insertApiKey(store.apiKeys, doc);
      await expect(hasActiveAdminKey(store.apiKeys, 'ws-rev')).resolves.toBe(true);
      const revoked = await revokeApiKey(store.apiKeys, doc, at(5_000));
      expect(revoked).toMatchObject({ _id: 'k-rev', revoked_at: at(5_000) });
      await expect(revokeApiKey(store.apiKeys, doc, at(6_000))).resolves.toBeNull();
      await expect(hasActiveAdminKey(store.apiKeys, 'ws-rev')).resolves.toBe(false);
      await undoApiKeyRevocation(store.apiKeys, 'k-rev', at(6_000)); // not the revocation that happened
      await expect(findOwnedApiKey(store.apiKeys, 'ws-rev', 'k-rev')).resolves.toMatchObject({ revoked_at: at(5_000) });
      await undoApiKeyRevocation(store.apiKeys, 'k-rev', at(5_000));
      await expect(findOwnedApiKey(store.apiKeys, 'ws-rev', 'k-rev')).resolves.toMatchObject({ revoked_at: null });
    });

    it('counts keys made before scopes as admin, and other scopes not', async () => {
      const { scopes: _scopes, ...legacy } = key('k-legacy', { workspace_id: 'ws-legacy' });
      await insertApiKey(store.apiKeys, legacy);
      await expect(hasActiveAdminKey(store.apiKeys, 'ws-legacy')).resolves.toBe(true);
      await insertApiKey(store.apiKeys, key('k-reader', { workspace_id: 'ws-reader', scopes: ['executions:read'] }));
      await expect(hasActiveAdminKey(store.apiKeys, 'ws-reader')).resolves.toBe(false);
    });
  });

  describe('deliveries', () => {
    const delivery = (id: string, createdMs: number, over: Partial<DeliveryDoc> = {}): DeliveryDoc => ({
      _id: id,
      workspace_id: 'ws-d',
      execution_id: 'ex1',
      workflow_id: 'wf1',
      event: 'execution.succeeded',
      url: 'https://receiver.example/cb',
      status: 'succeeded',
      attempts: [],
      payload_json: '{"secret":"body"}',
      cycle: 1,
      created_at: at(createdMs),
      updated_at: at(createdMs),
      ...over,
    });

    beforeAll(async () => {
      await createDelivery(store.deliveries, delivery('d-1', 1_000));
      await createDelivery(store.deliveries, delivery('d-2', 2_000, { status: 'failed', execution_id: 'ex2' }));
      await createDelivery(store.deliveries, delivery('d-3a', 3_000, { event: 'execution.failed', workflow_id: 'wf2' }));
      await createDelivery(store.deliveries, delivery('d-3b', 3_000));
      await createDelivery(store.deliveries, delivery('d-foreign', 4_000, { workspace_id: 'ws-other' }));
    });

    const ids = (docs: { _id: string }[]) => docs.map((d) => d._id);

    it("lists a workspace's deliveries newest first (ties by id), without their payloads", async () => {
      const docs = await listDeliveries(store.deliveries, { workspaceId: 'ws-d' }, 10);
      expect(ids(docs)).toEqual(['d-3b', 'd-3a', 'd-2', 'd-1']);
      expect(docs.every((d) => !('payload_json' in d))).toBe(true);
    });

    it('filters by execution, workflow, status and event', async () => {
      const page = (q: Parameters<typeof listDeliveries>[1]) => listDeliveries(store.deliveries, q, 10).then(ids);
      await expect(page({ workspaceId: 'ws-d', executionId: 'ex2' })).resolves.toEqual(['d-2']);
      await expect(page({ workspaceId: 'ws-d', workflowId: 'wf2' })).resolves.toEqual(['d-3a']);
      await expect(page({ workspaceId: 'ws-d', statuses: ['failed'] })).resolves.toEqual(['d-2']);
      await expect(page({ workspaceId: 'ws-d', events: ['execution.failed'] })).resolves.toEqual(['d-3a']);
      await expect(page({ workspaceId: 'ws-other' })).resolves.toEqual(['d-foreign']);
    });

    it('pages on from a cursor (the last delivery of the previous page)', async () => {
      const first = await listDeliveries(store.deliveries, { workspaceId: 'ws-d' }, 1);
      expect(ids(first)).toEqual(['d-3b']);
      const next = await listDeliveries(store.deliveries, { workspaceId: 'ws-d', before: { at: at(3_000), id: 'd-3b' } }, 2);
      expect(ids(next)).toEqual(['d-3a', 'd-2']);
    });
  });

  describe('executions', () => {
    const execution = (id: string, createdMs: number, over: Partial<NewExecution> = {}): NewExecution => ({
      _id: id,
      workspace_id: 'ws-x',
      workflow_id: 'wf1',
      workflow_version: 1,
      trigger_input_json: '{}',
      on_success_url: null,
      on_failure_url: null,
      replay_of: null,
      created_at: at(createdMs),
      ...over,
    });

    it("reads where a workspace's execution keeps its offloaded input, and nothing of another workspace's", async () => {
      await recordExecution(store.executions, execution('ex-ref', 1_000, { trigger_input_ref: 'payload-1' }));
      await recordExecution(store.executions, execution('ex-inline', 1_000));
      await expect(findTriggerInputRef(store.executions, 'ws-x', 'ex-ref')).resolves.toBe('payload-1');
      await expect(findTriggerInputRef(store.executions, 'ws-x', 'ex-inline')).resolves.toBeNull();
      await expect(findTriggerInputRef(store.executions, 'ws-other', 'ex-ref')).resolves.toBeNull();
    });

    it("counts a workspace's executions started since a time", async () => {
      await recordExecution(store.executions, execution('ex-c1', 10_000, { workspace_id: 'ws-count' }));
      await recordExecution(store.executions, execution('ex-c2', 20_000, { workspace_id: 'ws-count' }));
      await expect(countExecutionsSince(store.executions, 'ws-count', at(10_000))).resolves.toBe(2);
      await expect(countExecutionsSince(store.executions, 'ws-count', at(10_001))).resolves.toBe(1);
      await expect(countExecutionsSince(store.executions, 'ws-none', at(0))).resolves.toBe(0);
    });
  });

  describe('schedules, parameter captures, wait tokens', () => {
    it("finds a workspace's schedule and capture of a workflow, never another workspace's", async () => {
      await putSchedule(store.schedules, {
        _id: 'wf-s',
        workspace_id: 'ws1',
        cron: '0 * * * *',
        timezone: 'UTC',
        overlap: 'skip',
        missed: 'skip',
        paused: false,
        next_fire_at: null,
        last_fire_at: null,
        updated_at: at(0),
      });
      await expect(findOwnedSchedule(store.schedules, 'ws1', 'wf-s')).resolves.toMatchObject({ cron: '0 * * * *' });
      await expect(findOwnedSchedule(store.schedules, 'ws2', 'wf-s')).resolves.toBeNull();

      const window = { _id: 'wf-s', workspace_id: 'ws1', started_at: at(0), expires_at: at(60_000), captured_at: null, request_json: null };
      await openParameterCapture(store.parameterCaptures, window);
      await expect(findOwnedParameterCapture(store.parameterCaptures, 'ws1', 'wf-s')).resolves.toEqual(window);
      await expect(findOwnedParameterCapture(store.parameterCaptures, 'ws2', 'wf-s')).resolves.toBeNull();
    });

    it('finds a wait token by its hash', async () => {
      const token = {
        _id: 'hash-w',
        workspace_id: 'ws1',
        execution_id: 'ex-w',
        kind: 'approval' as const,
        step_id: 'review',
        expires_at: at(9_000),
        created_at: at(0),
      };
      await createWaitToken(store.waitTokens, token);
      await expect(findWaitToken(store.waitTokens, 'hash-w')).resolves.toEqual(token);
      await expect(findWaitToken(store.waitTokens, 'hash-unknown')).resolves.toBeNull();
    });
  });

  describe('sources', () => {
    const source = (id: string, over: Partial<SourceDoc> = {}): SourceDoc => ({
      _id: id,
      workspace_id: 'ws-src',
      name: id,
      token_hash: `token-${id}`,
      token_sealed: 'sealed',
      created_at: at(1_000),
      updated_at: at(1_000),
      ...over,
    });

    it('creates, finds (by owner), lists newest first, renames and deletes a source', async () => {
      await createSource(store.sources, source('src-old', { created_at: at(1) }));
      await createSource(store.sources, source('src-new', { created_at: at(2) }));
      await expect(createSource(store.sources, source('src-old'))).rejects.toThrow();
      await expect(findOwnedSource(store.sources, 'ws-src', 'src-old')).resolves.toMatchObject({ name: 'src-old' });
      await expect(findOwnedSource(store.sources, 'ws-other', 'src-old')).resolves.toBeNull();
      await expect(listSources(store.sources, 'ws-src', 10).then((l) => l.map((s) => s._id))).resolves.toEqual(['src-new', 'src-old']);
      await expect(listSources(store.sources, 'ws-other', 10)).resolves.toEqual([]);

      await expect(updateSource(store.sources, source('src-old'), { name: 'orders' }, at(5_000))).resolves.toMatchObject({
        name: 'orders',
        updated_at: at(5_000),
      });
      await expect(updateSource(store.sources, source('src-old'), { auth: { type: 'bearer' } }, at(5_500))).resolves.toMatchObject({
        name: 'orders',
        auth: { type: 'bearer' },
      });
      await expect(
        updateSource(store.sources, source('src-old', { workspace_id: 'ws-other' }), { name: 'x' }, at(6_000)),
      ).resolves.toBeNull();
      await expect(updateSource(store.sources, source('src-gone'), { name: 'x' }, at(6_000))).resolves.toBeNull();

      await deleteSource(store.sources, source('src-old', { workspace_id: 'ws-other' })); // not its owner: kept
      await expect(findSourceByToken(store.sources, 'token-src-old')).resolves.toMatchObject({ _id: 'src-old' });
      await deleteSource(store.sources, source('src-old'));
      await expect(findSourceByToken(store.sources, 'token-src-old')).resolves.toBeNull();
    });
  });

  describe('workflows and triggers', () => {
    const workflow = (id: string, over: Partial<WorkflowDoc> = {}): WorkflowDoc => ({
      _id: id,
      workspace_id: 'ws-wf',
      name: id,
      draft_json: '{}',
      published_version: null,
      created_at: at(1_000),
      updated_at: at(1_000),
      ...over,
    });
    const trigger = (id: string, workflowId: string, over: Partial<TriggerDoc> = {}): TriggerDoc => ({
      _id: id,
      workspace_id: 'ws-wf',
      workflow_id: workflowId,
      token_sealed: 'sealed',
      enabled: true,
      created_at: at(0),
      ...over,
    });

    it("creates a workflow once and lists a workspace's newest first", async () => {
      await createWorkflow(store.workflows, workflow('wf-old', { created_at: at(1) }));
      await createWorkflow(store.workflows, workflow('wf-new', { created_at: at(2) }));
      await expect(createWorkflow(store.workflows, workflow('wf-old'))).rejects.toThrow();
      await expect(listWorkflows(store.workflows, 'ws-wf', 10).then((l) => l.map((w) => w._id))).resolves.toEqual(['wf-new', 'wf-old']);
      await expect(listWorkflows(store.workflows, 'ws-wf', 1)).resolves.toHaveLength(1);
      await expect(listWorkflows(store.workflows, 'ws-other', 10)).resolves.toEqual([]);
    });

    it("changes a workspace's workflow and stamps it, never another workspace's", async () => {
      await createWorkflow(store.workflows, workflow('wf-upd'));
      await expect(
        updateWorkflow(store.workflows, workflow('wf-upd'), { name: 'renamed', staging_version: 2 }, at(7_000)),
      ).resolves.toMatchObject({ name: 'renamed', staging_version: 2, updated_at: at(7_000), draft_json: '{}' });
      await expect(
        updateWorkflow(store.workflows, workflow('wf-upd', { workspace_id: 'ws-other' }), { name: 'x' }, at(8_000)),
      ).resolves.toBeNull();
      await expect(findOwnedWorkflow(store.workflows, 'ws-wf', 'wf-upd')).resolves.toMatchObject({ name: 'renamed' });
      await expect(findOwnedWorkflow(store.workflows, 'ws-other', 'wf-upd')).resolves.toBeNull();
    });

    it('publishes a version once, and only from the version the workflow was read at', async () => {
      const doc = workflow('wf-pub');
      await createWorkflow(store.workflows, doc);
      const version = {
        _id: 'wf-pub:1',
        workspace_id: 'ws-wf',
        workflow_id: 'wf-pub',
        version: 1,
        definition_json: '{}',
        published_at: at(9_000),
      };
      await expect(createWorkflowVersion(store.workflowVersions, version)).resolves.toBe(true);
      await expect(createWorkflowVersion(store.workflowVersions, version)).resolves.toBe(false);
      const published = await markWorkflowPublished(store.workflows, doc, { version: 1, sourceId: 'src-1', at: at(9_000) });
      expect(published).toMatchObject({ published_version: 1, source_id: 'src-1', updated_at: at(9_000) });
      await expect(markWorkflowPublished(store.workflows, doc, { version: 1, sourceId: null, at: at(9_500) })).resolves.toBeNull(); // stale
      await expect(subscribedWorkflowIds(store.workflows, 'ws-wf', 'src-1', 10)).resolves.toEqual(['wf-pub']);
      await expect(subscribedWorkflowIds(store.workflows, 'ws-other', 'src-1', 10)).resolves.toEqual([]);
    });

    it("finds a workspace's trigger by _id and switches one or all of a workflow's triggers", async () => {
      await createTrigger(store.triggers, trigger('t-a1', 'wf-t', { environment: 'production' }));
      await createTrigger(store.triggers, trigger('t-a2', 'wf-t', { environment: 'staging' }));
      await createTrigger(store.triggers, trigger('t-b', 'wf-u'));
      await expect(findOwnedTrigger(store.triggers, 'ws-wf', 't-a1')).resolves.toMatchObject({ workflow_id: 'wf-t' });
      await expect(findOwnedTrigger(store.triggers, 'ws-other', 't-a1')).resolves.toBeNull();

      const enabled = async () => Object.fromEntries((await store.triggers.find({}).toArray()).map((t) => [t._id, t.enabled]));
      await setTriggersEnabled(store.triggers, workflow('wf-t'), false, 't-a2');
      await expect(enabled()).resolves.toMatchObject({ 't-a1': true, 't-a2': false, 't-b': true });
      await setTriggersEnabled(store.triggers, workflow('wf-t'), false);
      await expect(enabled()).resolves.toMatchObject({ 't-a1': false, 't-a2': false, 't-b': true });
      await setTriggersEnabled(store.triggers, workflow('wf-t', { workspace_id: 'ws-other' }), true); // not its owner: unchanged
      await expect(enabled()).resolves.toMatchObject({ 't-a1': false, 't-a2': false });
    });
  });

  describe('workspaces', () => {
    it('replaces egress entries and quota overrides, creating the workspace once', async () => {
      await setWorkspaceEgress(store.workspaces, 'ws-set', ['10.0.0.0/8'], at(1_000));
      await setWorkspaceQuotas(
        store.workspaces,
        'ws-set',
        { executions_per_day: 5, executions_per_month: null, parallel_executions: null },
        at(2_000),
      );
      await expect(workspaceEgressEntries(store.workspaces, 'ws-set')).resolves.toEqual(['10.0.0.0/8']);
      await expect(workspaceQuotas(store.workspaces, 'ws-set')).resolves.toEqual({
        executions_per_day: 5,
        executions_per_month: null,
        parallel_executions: null,
      });
      await setWorkspaceEgress(store.workspaces, 'ws-set', ['192.168.0.0/16'], at(3_000));
      await expect(workspaceEgressEntries(store.workspaces, 'ws-set')).resolves.toEqual(['192.168.0.0/16']);
      await expect(store.workspaces.findOne({ _id: 'ws-set' })).resolves.toMatchObject({
        name: 'ws-set',
        created_at: at(1_000),
        egress_updated_at: at(3_000),
      });
    });

    it('lists newest first after a cursor and by status (no status = active), and changes only what is not being deleted', async () => {
      for (const [id, ms] of [
        ['wsl-1', 10_000],
        ['wsl-2', 20_000],
        ['wsl-3', 30_000],
      ] as const)
        await insertWorkspace(store.workspaces, { _id: id, name: id, created_at: at(ms), ...(id === 'wsl-1' ? {} : { status: 'active' }) });
      const ids = (docs: { _id: string }[]) => docs.map((d) => d._id).filter((id) => id.startsWith('wsl-'));
      expect(ids(await listWorkspaces(store.workspaces, { limit: 100 }))).toEqual(['wsl-3', 'wsl-2', 'wsl-1']);
      expect(ids(await listWorkspaces(store.workspaces, { limit: 100, after: { at: at(30_000), id: 'wsl-3' } }))).toEqual([
        'wsl-2',
        'wsl-1',
      ]);

      await expect(setWorkspaceSuspended(store.workspaces, 'wsl-2', true, at(40_000))).resolves.toMatchObject({ status: 'suspended' });
      expect(ids(await listWorkspaces(store.workspaces, { limit: 100, statuses: ['active'] }))).toEqual(['wsl-3', 'wsl-1']);
      expect(ids(await listWorkspaces(store.workspaces, { limit: 100, statuses: ['suspended'] }))).toEqual(['wsl-2']);

      const marked = await markWorkspaceDeleting(store.workspaces, 'wsl-3', at(50_000));
      expect(marked).toMatchObject({ status: 'deleting', deletion: { requested_at: at(50_000), removed: {}, cancelled: 0 } });
      // Marking again keeps the first request; a workspace being deleted takes no change.
      await expect(markWorkspaceDeleting(store.workspaces, 'wsl-3', at(60_000))).resolves.toMatchObject({
        deletion: { requested_at: at(50_000) },
      });
      await expect(updateWorkspace(store.workspaces, 'wsl-3', { name: 'back' }, at(60_000))).resolves.toBeNull();
      await expect(setWorkspaceSuspended(store.workspaces, 'wsl-3', false, at(60_000))).resolves.toBeNull();
      expect(ids(await workspacesBeingDeleted(store.workspaces))).toEqual(['wsl-3']);

      await recordDeletionProgress(store.workspaces, 'wsl-3', { collection: 'workflows', removed: 2 });
      await recordDeletionProgress(store.workspaces, 'wsl-3', { collection: 'workflows', removed: 3, cancelled: 1 });
      await finishWorkspaceDeletion(store.workspaces, 'wsl-3', at(70_000));
      await expect(store.workspaces.findOne({ _id: 'wsl-3' })).resolves.toMatchObject({
        status: 'deleted',
        deletion: { finished_at: at(70_000), removed: { workflows: 5 }, cancelled: 1 },
      });
      expect(ids(await workspacesBeingDeleted(store.workspaces))).toEqual([]);
    });

    it("deletes a workspace's documents in batches and nobody else's", async () => {
      for (let i = 0; i < 5; i++)
        await createSource(store.sources, {
          _id: `src-del-${i}`,
          workspace_id: i < 4 ? 'ws-del' : 'ws-keep',
          name: `s${i}`,
          token_hash: `hash-del-${i}`,
          token_sealed: 'sealed',
          created_at: at(i),
          updated_at: at(i),
        });
      await expect(deleteOwnedBatch(store, 'sources', 'ws-del', 3)).resolves.toBe(3);
      await expect(deleteOwnedBatch(store, 'sources', 'ws-del', 3)).resolves.toBe(1);
      await expect(deleteOwnedBatch(store, 'sources', 'ws-del', 3)).resolves.toBe(0);
      await expect(findOwnedSource(store.sources, 'ws-keep', 'src-del-4')).resolves.not.toBeNull();
    });
  });
});

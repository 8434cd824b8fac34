import { anyApiKey, createApiKey, findActiveApiKey, replaceApiKeyIfChanged } from '../src/api-keys';
import type { ApiKeyDoc, ShareDoc, TriggerDoc, WorkflowDoc } from '../src/documents';
import {
  clearCapture,
  createTrigger,
  deleteShareTrigger,
  disabledProductionWorkflows,
  environmentsWithTriggers,
  findProductionTrigger,
  markCapture,
  triggersOfWorkflow,
} from '../src/environment-triggers';
import { claimParameterCapture, openParameterCapture } from '../src/parameter-captures';
import { createShare, findOwnedShare, findShare, revokeShare, sharesOfWorkflow, sharesReceived } from '../src/shares';
import { contextKeyOf } from '../src/workflow-context';
import type { Collections } from '../src/store';
import { findOwnedWorkflowVersion, saveWorkflowDraft } from '../src/workflows';
import { testDatabase } from './test-db';

/** The repositories the ingress reads its configuration through, against the run's real MongoDB-wire server. */
describe('configuration repositories', () => {
  const database = testDatabase('store_config');
  let store: Collections;

  beforeAll(async () => {
    await database.open();
    store = database.store;
  });

  afterAll(() => database.close());

  const workflow = (id: string, over: Partial<WorkflowDoc> = {}): WorkflowDoc => ({
    _id: id,
    workspace_id: 'ws1',
    name: id,
    draft_json: '{}',
    published_version: 1,
    created_at: new Date(0),
    updated_at: new Date(0),
    ...over,
  });
  const trigger = (id: string, workflowId: string, over: Partial<TriggerDoc> = {}): TriggerDoc => ({
    _id: id,
    workspace_id: 'ws1',
    workflow_id: workflowId,
    token_sealed: 'sealed',
    enabled: true,
    created_at: new Date(0),
    ...over,
  });

  describe('triggers', () => {
    it("finds a workflow's production trigger by its id, or by filter for a workflow made before environments", async () => {
      await createTrigger(store.triggers, trigger('t-prod', 'wf-a', { environment: 'production' }));
      await createTrigger(store.triggers, trigger('t-dev', 'wf-a', { environment: 'development' }));
      await createTrigger(store.triggers, trigger('t-legacy', 'wf-b'));
      await expect(findProductionTrigger(store.triggers, workflow('wf-a', { production_trigger_id: 't-prod' }))).resolves.toMatchObject({
        _id: 't-prod',
      });
      await expect(findProductionTrigger(store.triggers, workflow('wf-a'))).resolves.toMatchObject({ _id: 't-prod' });
      await expect(findProductionTrigger(store.triggers, workflow('wf-b'))).resolves.toMatchObject({ _id: 't-legacy' });
      await expect(findProductionTrigger(store.triggers, workflow('wf-b', { workspace_id: 'ws2' }))).resolves.toBeNull();
    });

    it('creates a trigger once and tells which environments have one', async () => {
      await expect(createTrigger(store.triggers, trigger('t-stg', 'wf-c', { environment: 'staging' }))).resolves.toBe(true);
      await expect(createTrigger(store.triggers, trigger('t-stg', 'wf-c', { environment: 'staging' }))).resolves.toBe(false);
      await expect(environmentsWithTriggers(store.triggers, workflow('wf-c'), ['development', 'staging'])).resolves.toEqual(
        new Set(['staging']),
      );
      await expect(triggersOfWorkflow(store.triggers, workflow('wf-c', { workspace_id: 'ws2' }))).resolves.toEqual([]);
    });

    it('names the workflows whose production webhook is switched off, in that workspace only', async () => {
      await createTrigger(store.triggers, trigger('t-off', 'wf-off', { environment: 'production', enabled: false }));
      await createTrigger(store.triggers, trigger('t-off-legacy', 'wf-off-legacy', { enabled: false }));
      await createTrigger(store.triggers, trigger('t-off-dev', 'wf-on', { environment: 'development', enabled: false }));
      const ids = ['wf-off', 'wf-off-legacy', 'wf-on'];
      await expect(disabledProductionWorkflows(store.triggers, 'ws1', ids)).resolves.toEqual(new Set(['wf-off', 'wf-off-legacy']));
      await expect(disabledProductionWorkflows(store.triggers, 'ws2', ids)).resolves.toEqual(new Set());
    });
  });

  describe('parameter captures', () => {
    it('lets exactly one request claim an open window, then clears the marks of that window', async () => {
      const wf = workflow('wf-cap');
      await createTrigger(store.triggers, trigger('t-cap', 'wf-cap'));
      const now = new Date(1_000_000);
      const expires = new Date(now.getTime() + 60_000);
      await openParameterCapture(store.parameterCaptures, {
        _id: wf._id,
        workspace_id: wf.workspace_id,
        started_at: now,
        expires_at: expires,
        captured_at: null,
        request_json: null,
      });
      await markCapture(store.triggers, wf, expires);
      const of = { workflow_id: wf._id, workspace_id: wf.workspace_id };
      // Concurrent claims of one window, three windows in a row (each reopened): one winner each time.
      for (let round = 0; round < 3; round++) {
        const startedAt = new Date(now.getTime() + round);
        if (round > 0)
          await openParameterCapture(store.parameterCaptures, {
            _id: wf._id,
            workspace_id: wf.workspace_id,
            started_at: startedAt,
            expires_at: expires,
            captured_at: null,
            request_json: null,
          });
        const claims = await Promise.all(
          [1, 2, 3, 4].map((n) => claimParameterCapture(store.parameterCaptures, of, `{"a":${n}}`, startedAt)),
        );
        const won = claims.filter((c) => c !== null);
        expect(won).toHaveLength(1);
        await expect(store.parameterCaptures.findOne({ _id: wf._id })).resolves.toMatchObject({ request_json: won[0]?.request_json });
        await expect(claimParameterCapture(store.parameterCaptures, of, '{"late":1}', startedAt)).resolves.toBeNull();
      }
      await expect(claimParameterCapture(store.parameterCaptures, { ...of, workspace_id: 'ws2' }, '{}', now)).resolves.toBeNull();
      await clearCapture(store.triggers, of, new Date(0)); // another window: leaves the mark
      await expect(store.triggers.findOne({ _id: 't-cap' })).resolves.toMatchObject({ capture_until: expires });
      await clearCapture(store.triggers, of, expires);
      await expect(store.triggers.findOne({ _id: 't-cap' })).resolves.toMatchObject({ capture_until: null });
    });
  });

  describe('API keys', () => {
    const key = (hash: string): ApiKeyDoc => ({
      _id: 'key-1',
      workspace_id: 'ws1',
      name: 'k',
      key_hash: hash,
      key_prefix: 'fgk_',
      created_at: new Date(0),
      revoked_at: null,
    });

    it('finds an active key by hash; a changed bootstrap value replaces it, the same value does not undo a revocation', async () => {
      await expect(anyApiKey(store.apiKeys)).resolves.toBe(false);
      await expect(createApiKey(store.apiKeys, key('h1'))).resolves.toBe(true);
      await expect(anyApiKey(store.apiKeys)).resolves.toBe(true);
      await expect(findActiveApiKey(store.apiKeys, 'h1')).resolves.toMatchObject({ _id: 'key-1' });
      await store.apiKeys.updateOne({ _id: 'key-1' }, { $set: { revoked_at: new Date(1) } });
      await expect(findActiveApiKey(store.apiKeys, 'h1')).resolves.toBeNull();
      const again = { key_hash: 'h1', key_prefix: 'fgk_', revoked_at: null, scopes: ['admin'], created_at: new Date(2) };
      await replaceApiKeyIfChanged(store.apiKeys, 'key-1', again);
      await expect(findActiveApiKey(store.apiKeys, 'h1')).resolves.toBeNull();
      await replaceApiKeyIfChanged(store.apiKeys, 'key-1', { ...again, key_hash: 'h2' });
      await expect(findActiveApiKey(store.apiKeys, 'h2')).resolves.toMatchObject({ _id: 'key-1', scopes: ['admin'] });
    });
  });

  describe('workflow versions', () => {
    it("reads a workspace's version or draft snapshot by _id and not another workspace's", async () => {
      const draft = {
        _id: 'wf-v:draft:abc',
        workspace_id: 'ws1',
        workflow_id: 'wf-v',
        version: 0,
        definition_json: '{}',
        published_at: new Date(0),
      };
      await saveWorkflowDraft(store.workflowDrafts, draft);
      await saveWorkflowDraft(store.workflowDrafts, { ...draft, definition_json: '{"changed":true}' }); // content-addressed: kept as first stored
      await expect(findOwnedWorkflowVersion(store.workflowDrafts, 'ws1', draft._id)).resolves.toMatchObject({ definition_json: '{}' });
      await expect(findOwnedWorkflowVersion(store.workflowDrafts, 'ws2', draft._id)).resolves.toBeNull();
    });
  });

  describe('shares', () => {
    const share = (id: string, over: Partial<ShareDoc> = {}): ShareDoc => ({
      _id: id,
      workspace_id: 'owner',
      workflow_id: 'wf-s',
      receiver_workspace_id: 'receiver',
      trigger_id: `t-${id}`,
      created_at: new Date(Number(id.slice(-1)) * 1000),
      revoked_at: null,
      ...over,
    });

    it("reads a share by _id, the owner's by _id then owner, and revokes once", async () => {
      await createShare(store.shares, share('shr_1'));
      await createShare(store.shares, share('shr_2', { receiver_workspace_id: 'other' }));
      await createShare(store.shares, share('shr_3', { workflow_id: 'wf-other' }));
      await expect(findShare(store.shares, 'shr_1')).resolves.toMatchObject({ receiver_workspace_id: 'receiver' });
      await expect(findOwnedShare(store.shares, 'owner', 'shr_1')).resolves.toMatchObject({ _id: 'shr_1' });
      await expect(findOwnedShare(store.shares, 'receiver', 'shr_1')).resolves.toBeNull();
      expect((await sharesOfWorkflow(store.shares, 'owner', 'wf-s')).map((s) => s._id)).toEqual(['shr_2', 'shr_1']);
      expect((await sharesReceived(store.shares, 'receiver', 10)).map((s) => s._id)).toEqual(['shr_3', 'shr_1']);

      const revoked = await revokeShare(store.shares, share('shr_1'), new Date(5));
      expect(revoked?.revoked_at).toEqual(new Date(5));
      await expect(revokeShare(store.shares, share('shr_1'), new Date(6))).resolves.toBeNull();
      expect((await findShare(store.shares, 'shr_1'))?.revoked_at).toEqual(new Date(5));
      expect((await sharesReceived(store.shares, 'receiver', 10)).map((s) => s._id)).toEqual(['shr_3']);
    });

    it("deletes the receiver's trigger of a share in the receiver's workspace only", async () => {
      await createTrigger(store.triggers, trigger('t-share', 'wf-s', { workspace_id: 'receiver', share_id: 'shr_9' }));
      await deleteShareTrigger(store.triggers, 'owner', 't-share');
      await expect(store.triggers.countDocuments({ _id: 't-share' })).resolves.toBe(1);
      await deleteShareTrigger(store.triggers, 'receiver', 't-share');
      await expect(store.triggers.countDocuments({ _id: 't-share' })).resolves.toBe(0);
    });

    it("keys a shared run's persisted context by the receiver", () => {
      expect(contextKeyOf({ workflow_id: 'wf', workspace_id: 'owner' })).toBe('wf');
      expect(contextKeyOf({ workflow_id: 'wf', workspace_id: 'receiver', share_id: null })).toBe('wf');
      expect(contextKeyOf({ workflow_id: 'wf', workspace_id: 'receiver', share_id: 'shr_1' })).toBe('wf@receiver');
    });
  });
});

import type { ShareDoc, TriggerDoc, WorkflowDoc, WorkspaceDoc } from '@flowgate/store';
import { sha256Hex } from '@flowgate/kit';
import {
  masksRefusals,
  resolveHook,
  resolveTarget,
  resolveToken,
  resolveVersionTarget,
  runWorkspaceOf,
  versionOf,
  type HookConfig,
} from '../../src/webhook/resolve';
import { definitionWith, hook, trigger, workflow } from './fixtures';

const TOKEN = 'wh_abcdefghijklmnopqrstuvwx';

function config(
  triggers: TriggerDoc[],
  workflows: WorkflowDoc[],
  workspaces: WorkspaceDoc[] = [],
  shares: ShareDoc[] = [],
): HookConfig & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    trigger: (hash) => {
      reads.push(`trigger:${hash}`);
      return Promise.resolve(triggers.find((t) => t._id === hash) ?? null);
    },
    workflow: (id) => {
      reads.push(`workflow:${id}`);
      return Promise.resolve(workflows.find((w) => w._id === id) ?? null);
    },
    productionTrigger: () => Promise.resolve(null),
    workspace: (id) => {
      reads.push(`workspace:${id}`);
      return Promise.resolve(workspaces.find((w) => w._id === id) ?? null);
    },
    share: (id) => {
      reads.push(`share:${id}`);
      return Promise.resolve(shares.find((s) => s._id === id) ?? null);
    },
  };
}

/** Both halves of the stage, as hooks.ts runs them. */
const resolve = async (c: HookConfig, token: string) => resolveHook(c, await resolveToken(c, token));
const space = (fields: Partial<WorkspaceDoc>): WorkspaceDoc => ({ _id: 'ws1', name: 'A', created_at: new Date(0), ...fields });

describe('stage "resolve"', () => {
  it("finds the token's trigger by its hash, then its workflow, and the environment it runs in", async () => {
    const t = trigger({ _id: sha256Hex(TOKEN), environment: 'staging' });
    const c = config([t], [workflow()]);
    await expect(resolve(c, TOKEN)).resolves.toEqual({ trigger: t, workspace: null, workflow: workflow(), environment: 'staging' });
    expect(c.reads).toEqual([`trigger:${sha256Hex(TOKEN)}`, `workspace:${t.workspace_id}`, 'workflow:wf1']);
  });

  it('takes a trigger without an environment for production', async () => {
    const t = trigger({ _id: sha256Hex(TOKEN), environment: undefined });
    await expect(resolve(config([t], [workflow()]), TOKEN)).resolves.toMatchObject({ environment: 'production' });
  });

  it('refuses a malformed token without a lookup, and an unknown one', async () => {
    const c = config([], []);
    await expect(resolve(c, 'not-a-token')).rejects.toMatchObject({ reason: 'unknown_token', status: 404 });
    expect(c.reads).toEqual([]);
    await expect(resolve(c, TOKEN)).rejects.toMatchObject({ reason: 'unknown_token', code: 'webhook_not_found' });
  });

  it('refuses a disabled trigger once its workflow (from memory) is known', async () => {
    const c = config([trigger({ _id: sha256Hex(TOKEN), enabled: false })], [workflow()]);
    await expect(resolve(c, TOKEN)).rejects.toMatchObject({ reason: 'disabled', code: 'trigger_disabled', status: 403 });
    expect(c.reads).toHaveLength(3);
  });

  it("answers an archived workflow's webhooks 410 workflow_archived, enabled or not", async () => {
    const archived = workflow({ archived_at: new Date(5) });
    for (const enabled of [true, false])
      await expect(resolve(config([trigger({ _id: sha256Hex(TOKEN), enabled })], [archived]), TOKEN)).rejects.toMatchObject({
        reason: 'archived',
        code: 'workflow_archived',
        status: 410,
      });
    await expect(resolve(config([trigger({ _id: sha256Hex(TOKEN) })], [workflow({ archived_at: null })]), TOKEN)).resolves.toMatchObject({
      workflow: { _id: 'wf1' },
    });
  });

  it('refuses a trigger whose workflow is gone or belongs to another workspace (read by _id, owner checked here)', async () => {
    const t = trigger({ _id: sha256Hex(TOKEN) });
    await expect(resolve(config([t], []), TOKEN)).rejects.toMatchObject({ reason: 'unknown_workflow' });
    await expect(resolve(config([t], [workflow({ workspace_id: 'other' })]), TOKEN)).rejects.toMatchObject({
      reason: 'unknown_workflow',
      code: 'webhook_not_found',
    });
  });

  it("refuses a suspended workspace's webhooks (403) and treats a deleted one's as unknown tokens", async () => {
    const t = trigger({ _id: sha256Hex(TOKEN) });
    const ws = t.workspace_id;
    await expect(resolve(config([t], [workflow()], [space({ _id: ws, status: 'suspended' })]), TOKEN)).rejects.toMatchObject({
      reason: 'suspended',
      code: 'workspace_suspended',
      status: 403,
    });
    for (const status of ['deleting', 'deleted'] as const)
      await expect(resolve(config([t], [workflow()], [space({ _id: ws, status })]), TOKEN)).rejects.toMatchObject({
        reason: 'unknown_token',
        code: 'webhook_not_found',
      });
    await expect(resolve(config([t], [workflow()], [space({ _id: ws, status: 'active' })]), TOKEN)).resolves.toMatchObject({
      workspace: { status: 'active' },
    });
  });

  it("masks refusals by the workspace's own anti-enumeration only (the deployment switch is for unknown tokens)", () => {
    expect(masksRefusals(null)).toBe(false);
    expect(masksRefusals(space({ anti_enumeration: true }))).toBe(true);
    expect(masksRefusals(space({ anti_enumeration: false }))).toBe(false);
    expect(masksRefusals(space({ anti_enumeration: null }))).toBe(false);
  });

  describe('a shared workflow (ADR 0017)', () => {
    // The owner ws1 shares wf1 with ws2: ws2's own trigger names the share.
    const shared = trigger({ _id: sha256Hex(TOKEN), workspace_id: 'ws2', share_id: 'shr_1' });
    const share = (over: Partial<ShareDoc> = {}): ShareDoc => ({
      _id: 'shr_1',
      workspace_id: 'ws1',
      workflow_id: 'wf1',
      receiver_workspace_id: 'ws2',
      trigger_id: shared._id,
      created_at: new Date(0),
      revoked_at: null,
      ...over,
    });

    it("resolves the receiver's trigger to the owner's workflow through its share, all by _id", async () => {
      const c = config([shared], [workflow()], [], [share()]);
      const hook = await resolve(c, TOKEN);
      expect(hook).toEqual({ trigger: shared, workspace: null, workflow: workflow(), environment: 'production', share: share() });
      expect(runWorkspaceOf(hook)).toBe('ws2');
      expect(c.reads).toEqual([`trigger:${shared._id}`, 'workspace:ws2', 'share:shr_1', 'workspace:ws1', 'workflow:wf1']);
    });

    it('answers a revoked, missing or mismatched share like an unknown webhook', async () => {
      const refused = [
        config([shared], [workflow()], [], []),
        config([shared], [workflow()], [], [share({ revoked_at: new Date(1) })]),
        config([shared], [workflow()], [], [share({ receiver_workspace_id: 'ws3' })]),
        config([shared], [workflow()], [], [share({ trigger_id: 'another' })]),
        config([shared], [workflow()], [], [share({ workflow_id: 'wf2' })]),
        config([shared], [workflow({ workspace_id: 'ws3' })], [], [share()]),
        config([shared], [], [], [share()]),
        config([shared], [workflow()], [space({ _id: 'ws1', status: 'deleting' })], [share()]),
      ];
      for (const c of refused)
        await expect(resolve(c, TOKEN)).rejects.toMatchObject({ reason: 'unknown_workflow', code: 'webhook_not_found', status: 404 });
    });

    it("is refused by the receiver's own state (suspended, disabled), not the owner's suspension", async () => {
      await expect(
        resolve(config([shared], [workflow()], [space({ _id: 'ws2', status: 'suspended' })], [share()]), TOKEN),
      ).rejects.toMatchObject({ reason: 'suspended' });
      await expect(resolve(config([{ ...shared, enabled: false }], [workflow()], [], [share()]), TOKEN)).rejects.toMatchObject({
        reason: 'disabled',
      });
      await expect(
        resolve(config([shared], [workflow()], [space({ _id: 'ws1', status: 'suspended' })], [share()]), TOKEN),
      ).resolves.toMatchObject({ share: { _id: 'shr_1' } });
    });

    it('answers 410 workflow_archived once the owner archived the workflow', async () => {
      await expect(resolve(config([shared], [workflow({ archived_at: new Date(5) })], [], [share()]), TOKEN)).rejects.toMatchObject({
        reason: 'archived',
        status: 410,
      });
    });

    it('runs the latest published version in production, as an execution of the receiver', async () => {
      const hook = await resolve(config([shared], [workflow({ staging_version: 1 })], [], [share()]), TOKEN);
      const runTargets = {
        resolve: jest.fn(() =>
          Promise.resolve({ environment: 'production' as const, version: 3, definition: definitionWith({}), draftId: null }),
        ),
      };
      await expect(resolveTarget(runTargets, hook)).resolves.toMatchObject({ version: 3, share: { id: 'shr_1', workspaceId: 'ws2' } });
      expect(runTargets.resolve).toHaveBeenCalledWith(hook.workflow, 'production');
      const own = await resolve(config([trigger({ _id: sha256Hex(TOKEN) })], [workflow()]), TOKEN);
      expect(await resolveTarget(runTargets, own)).not.toHaveProperty('share');
    });
  });
});

describe('stage "resolve" of a version URL', () => {
  const at = new Date(5);
  const published = (over: Partial<WorkflowDoc> = {}) =>
    hook({ workflow: workflow({ published_version: 3, staging_version: 2, ...over }) });

  it('names a published version, from the workflow in memory, whatever production and staging run', () => {
    expect(versionOf(published(), '1')).toBe(1);
    expect(versionOf(published(), '2')).toBe(2);
    expect(versionOf(published(), '3')).toBe(3);
  });

  it('answers 404 version_not_found for a version never published, v0, or no number', () => {
    for (const segment of ['4', '0', '01', 'x', '']) {
      expect(() => versionOf(published(), segment)).toThrow(
        expect.objectContaining({ reason: 'unknown_version', code: 'version_not_found', status: 404 }),
      );
    }
    expect(() => versionOf(hook({ workflow: workflow({ published_version: null }) }), '1')).toThrow(
      expect.objectContaining({ code: 'version_not_found' }),
    );
  });

  it('answers 410 version_retired for a retired version; another version runs', () => {
    const retired = published({ retired_versions: { v1: at } });
    expect(() => versionOf(retired, '1')).toThrow(expect.objectContaining({ reason: 'retired', code: 'version_retired', status: 410 }));
    expect(versionOf(retired, '2')).toBe(2);
  });

  it("has no version URLs under another environment's token or a share's", () => {
    expect(() => versionOf({ ...published(), environment: 'staging' }, '1')).toThrow(
      expect.objectContaining({ code: 'version_not_found' }),
    );
    expect(() => versionOf({ ...published(), environment: 'development' }, '1')).toThrow(
      expect.objectContaining({ code: 'version_not_found' }),
    );
    const shared = { ...published(), share: { _id: 'shr_1' } as ShareDoc };
    expect(() => versionOf(shared, '1')).toThrow(expect.objectContaining({ code: 'version_not_found' }));
  });

  it('runs exactly that version as the production webhook', async () => {
    const runTargets = {
      pinned: jest.fn(() =>
        Promise.resolve({ environment: 'production' as const, version: 1, definition: definitionWith({}), draftId: null }),
      ),
    };
    const h = published();
    await expect(resolveVersionTarget(runTargets, h, 1)).resolves.toMatchObject({ environment: 'production', version: 1 });
    expect(runTargets.pinned).toHaveBeenCalledWith(h.workflow, 'production', 1, null);
  });
});

import type { TriggerDoc, WorkflowDoc, WorkspaceDoc } from '@flowgate/store';
import { sha256Hex } from '@flowgate/kit';
import { masksRefusals, resolveHook, resolveToken, type HookConfig } from '../../src/webhook/resolve';
import { trigger, workflow } from './fixtures';

const TOKEN = 'wh_abcdefghijklmnopqrstuvwx';

function config(triggers: TriggerDoc[], workflows: WorkflowDoc[], workspaces: WorkspaceDoc[] = []): HookConfig & { reads: string[] } {
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

  it('refuses a disabled trigger before reading its workflow', async () => {
    const c = config([trigger({ _id: sha256Hex(TOKEN), enabled: false })], [workflow()]);
    await expect(resolve(c, TOKEN)).rejects.toMatchObject({ reason: 'disabled', code: 'trigger_disabled', status: 403 });
    expect(c.reads).toHaveLength(2);
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

  it("masks refusals by the workspace's own anti-enumeration, else the deployment's", () => {
    expect(masksRefusals(null, true)).toBe(true);
    expect(masksRefusals(null, false)).toBe(false);
    expect(masksRefusals(space({ anti_enumeration: true }), false)).toBe(true);
    expect(masksRefusals(space({ anti_enumeration: false }), true)).toBe(false);
    expect(masksRefusals(space({ anti_enumeration: null }), true)).toBe(true);
  });
});

import type { TriggerDoc, WorkflowDoc } from '@flowgate/store';
import { sha256Hex } from '@flowgate/kit';
import { resolveHook, type HookConfig } from '../../src/webhook/resolve';
import { trigger, workflow } from './fixtures';

const TOKEN = 'wh_abcdefghijklmnopqrstuvwx';

function config(triggers: TriggerDoc[], workflows: WorkflowDoc[]): HookConfig & { reads: string[] } {
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
  };
}

describe('stage "resolve"', () => {
  it("finds the token's trigger by its hash, then its workflow, and the environment it runs in", async () => {
    const t = trigger({ _id: sha256Hex(TOKEN), environment: 'staging' });
    const c = config([t], [workflow()]);
    await expect(resolveHook(c, TOKEN)).resolves.toEqual({ trigger: t, workflow: workflow(), environment: 'staging' });
    expect(c.reads).toEqual([`trigger:${sha256Hex(TOKEN)}`, 'workflow:wf1']);
  });

  it('takes a trigger without an environment for production', async () => {
    const t = trigger({ _id: sha256Hex(TOKEN), environment: undefined });
    await expect(resolveHook(config([t], [workflow()]), TOKEN)).resolves.toMatchObject({ environment: 'production' });
  });

  it('refuses a malformed token without a lookup, and an unknown one', async () => {
    const c = config([], []);
    await expect(resolveHook(c, 'not-a-token')).rejects.toMatchObject({ reason: 'unknown_token', status: 404 });
    expect(c.reads).toEqual([]);
    await expect(resolveHook(c, TOKEN)).rejects.toMatchObject({ reason: 'unknown_token', code: 'webhook_not_found' });
  });

  it('refuses a disabled trigger before reading its workflow', async () => {
    const c = config([trigger({ _id: sha256Hex(TOKEN), enabled: false })], [workflow()]);
    await expect(resolveHook(c, TOKEN)).rejects.toMatchObject({ reason: 'disabled', code: 'trigger_disabled', status: 403 });
    expect(c.reads).toHaveLength(1);
  });

  it('refuses a trigger whose workflow is gone or belongs to another workspace (read by _id, owner checked here)', async () => {
    const t = trigger({ _id: sha256Hex(TOKEN) });
    await expect(resolveHook(config([t], []), TOKEN)).rejects.toMatchObject({ reason: 'unknown_workflow' });
    await expect(resolveHook(config([t], [workflow({ workspace_id: 'other' })]), TOKEN)).rejects.toMatchObject({
      reason: 'unknown_workflow',
      code: 'webhook_not_found',
    });
  });
});

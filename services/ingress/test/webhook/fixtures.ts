import { validateDefinition, type WorkflowDefinition } from '@flowgate/core';
import type { TriggerDoc, WorkflowDoc } from '@flowgate/store';
import type { ResolvedHook } from '../../src/webhook/resolve';

/** A valid definition whose webhook has `webhook`'s settings (and the schema's defaults). */
export function definitionWith(webhook: Record<string, unknown>): WorkflowDefinition {
  const result = validateDefinition({ name: 'wf', trigger: { webhook }, steps: [{ id: 'done', type: 'respond', status: 200 }] });
  if (!result.ok) throw new Error(`invalid test definition: ${JSON.stringify(result)}`);
  return result.definition;
}

export const webhookWith = (webhook: Record<string, unknown>): WorkflowDefinition['trigger']['webhook'] =>
  definitionWith(webhook).trigger.webhook;

export const trigger = (over: Partial<TriggerDoc> = {}): TriggerDoc => ({
  _id: 'th1',
  workspace_id: 'ws1',
  workflow_id: 'wf1',
  token_sealed: 'sealed',
  enabled: true,
  environment: 'production',
  created_at: new Date(0),
  ...over,
});

export const workflow = (over: Partial<WorkflowDoc> = {}): WorkflowDoc => ({
  _id: 'wf1',
  workspace_id: 'ws1',
  name: 'wf',
  draft_json: '{}',
  published_version: 1,
  created_at: new Date(0),
  updated_at: new Date(0),
  ...over,
});

export const hook = (over: Partial<ResolvedHook> = {}): ResolvedHook => ({
  trigger: trigger(),
  workspace: null,
  workflow: workflow(),
  environment: 'production',
  ...over,
});

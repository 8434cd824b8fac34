import type { Environment } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import type { TriggerDoc, WorkflowDoc } from '@flowgate/store';
import { environmentOf } from '../environment-triggers';
import type { RunTarget } from '../run-targets';
import { rejection } from './rejections';

/** Where the stages read triggers and workflows: memory kept current through NATS (ConfigCache). */
export interface HookConfig {
  trigger(tokenHash: string): Promise<TriggerDoc | null>;
  workflow(id: string): Promise<WorkflowDoc | null>;
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null>;
}

/** What the webhook URL names: its trigger, the trigger's workflow and the environment it runs in. */
export interface ResolvedHook {
  trigger: TriggerDoc;
  workflow: WorkflowDoc;
  environment: Environment;
}

const TOKEN = /^wh_[A-Za-z0-9_-]{16,128}$/;

/** Stage "resolve": the token's trigger (enabled) and its workflow, both from memory. */
export async function resolveHook(config: HookConfig, token: string): Promise<ResolvedHook> {
  const trigger = TOKEN.test(token) ? await config.trigger(sha256Hex(token)) : null;
  if (!trigger) throw rejection('unknown_token');
  if (!trigger.enabled) throw rejection('disabled', { workspaceId: trigger.workspace_id });
  // Read by _id alone (on a miss), then the workspace checked here.
  const found = await config.workflow(trigger.workflow_id);
  const workflow = found?.workspace_id === trigger.workspace_id ? found : null;
  if (!workflow) throw rejection('unknown_workflow', { workspaceId: trigger.workspace_id });
  return { trigger, workflow, environment: environmentOf(trigger) };
}

/** Resolves what an environment runs (production: the latest published version; staging: the pinned one; development: the draft). */
export interface RunTargetResolver {
  resolve(workflow: WorkflowDoc, environment: Environment): Promise<RunTarget>;
}

/** Stage "resolve", second half: the definition the webhook runs; 404 workflow_not_published if there is none. */
export function resolveTarget(runTargets: RunTargetResolver, hook: ResolvedHook): Promise<RunTarget> {
  return runTargets.resolve(hook.workflow, hook.environment);
}

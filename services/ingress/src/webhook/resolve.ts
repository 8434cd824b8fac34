import type { Environment } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import { isDeletedWorkspace, type TriggerDoc, type WorkflowDoc, type WorkspaceDoc } from '@flowgate/store';
import { environmentOf } from '../environment-triggers';
import type { RunTarget } from '../run-targets';
import { rejection } from './rejections';

/** Where the stages read triggers and workflows: memory kept current through NATS (ConfigCache). */
export interface HookConfig {
  trigger(tokenHash: string): Promise<TriggerDoc | null>;
  workflow(id: string): Promise<WorkflowDoc | null>;
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null>;
  workspace(id: string): Promise<WorkspaceDoc | null>;
}

/** A token's trigger and the workspace it belongs to (null: a workspace with no document, made before workspaces had one: active). */
export interface ResolvedToken {
  trigger: TriggerDoc;
  workspace: WorkspaceDoc | null;
}

/** What the webhook URL names: its trigger, the trigger's workflow and the environment it runs in. */
export interface ResolvedHook extends ResolvedToken {
  workflow: WorkflowDoc;
  environment: Environment;
}

const TOKEN = /^wh_[A-Za-z0-9_-]{16,128}$/;

/** Stage "resolve", first half: the token's trigger and its workspace (a workspace being deleted has no webhooks). */
export async function resolveToken(config: HookConfig, token: string): Promise<ResolvedToken> {
  const trigger = TOKEN.test(token) ? await config.trigger(sha256Hex(token)) : null;
  if (!trigger) throw rejection('unknown_token');
  const workspace = await config.workspace(trigger.workspace_id);
  const status = workspace?.status ?? 'active';
  if (isDeletedWorkspace(status)) throw rejection('unknown_token', { workspaceId: trigger.workspace_id });
  return { trigger, workspace };
}

/**
 * Whether the refusals of this workspace's webhooks answer like an unknown token (its
 * `anti_enumeration`, else the deployment's FLOWGATE_WEBHOOK_ANTI_ENUMERATION).
 */
export function masksRefusals(workspace: WorkspaceDoc | null, deploymentDefault: boolean): boolean {
  return workspace?.anti_enumeration ?? deploymentDefault;
}

/** Stage "resolve", second half: the workspace not suspended, the trigger enabled, its workflow, from memory. */
export async function resolveHook(config: HookConfig, token: ResolvedToken): Promise<ResolvedHook> {
  const { trigger, workspace } = token;
  if (workspace?.status === 'suspended') throw rejection('suspended', { workspaceId: trigger.workspace_id });
  if (!trigger.enabled) throw rejection('disabled', { workspaceId: trigger.workspace_id });
  // Read by _id alone (on a miss), then the workspace checked here.
  const found = await config.workflow(trigger.workflow_id);
  const workflow = found?.workspace_id === trigger.workspace_id ? found : null;
  if (!workflow) throw rejection('unknown_workflow', { workspaceId: trigger.workspace_id });
  return { trigger, workspace, workflow, environment: environmentOf(trigger) };
}

/** Resolves what an environment runs (production: the latest published version; staging: the pinned one; development: the draft). */
export interface RunTargetResolver {
  resolve(workflow: WorkflowDoc, environment: Environment): Promise<RunTarget>;
}

/** Stage "resolve", second half: the definition the webhook runs; 404 workflow_not_published if there is none. */
export function resolveTarget(runTargets: RunTargetResolver, hook: ResolvedHook): Promise<RunTarget> {
  return runTargets.resolve(hook.workflow, hook.environment);
}

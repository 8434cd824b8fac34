import { parseVersionSegment, versionTargetFor, type Environment } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import {
  isDeletedWorkspace,
  retiredVersionsOf,
  type ShareDoc,
  type TriggerDoc,
  type WorkflowDoc,
  type WorkspaceDoc,
} from '@flowgate/store';
import { environmentOf } from '../environment-triggers';
import type { RunTarget } from '../run-targets';
import { rejection } from './rejections';

/** Where the stages read triggers and workflows: memory kept current through NATS (ConfigCache). */
export interface HookConfig {
  trigger(tokenHash: string): Promise<TriggerDoc | null>;
  workflow(id: string): Promise<WorkflowDoc | null>;
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null>;
  workspace(id: string): Promise<WorkspaceDoc | null>;
  share(id: string): Promise<ShareDoc | null>;
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
  /**
   * Set for a receiver's webhook of a shared workflow (ADR 0017): `workflow` is the owner's, the
   * run belongs to the trigger's workspace (the receiver's).
   */
  share?: ShareDoc;
}

/** The workspace a webhook's execution belongs to: the trigger's (for a shared workflow the receiver's, not the owner's). */
export function runWorkspaceOf(hook: ResolvedHook): string {
  return hook.trigger.workspace_id;
}

const TOKEN = /^wh_[A-Za-z0-9_-]{16,128}$/;

/** Stage "resolve", first half: the token's trigger and its workspace (a workspace being deleted has no webhooks). */
export async function resolveToken(config: HookConfig, token: string): Promise<ResolvedToken> {
  const trigger = TOKEN.test(token) ? await config.trigger(sha256Hex(token)) : null;
  if (!trigger) throw rejection('unknown_token');
  const workspace = await config.workspace(trigger.workspace_id);
  if (isDeletedWorkspace(workspace)) throw rejection('unknown_token', { workspaceId: trigger.workspace_id });
  return { trigger, workspace };
}

/**
 * Whether the refusals of this workspace's webhooks answer like an unknown token: its own
 * `anti_enumeration` (FLOWGATE_WEBHOOK_ANTI_ENUMERATION decides only what unknown tokens answer).
 */
export function masksRefusals(workspace: WorkspaceDoc | null): boolean {
  return workspace?.anti_enumeration === true;
}

/**
 * Stage "resolve", second half: the workspace not suspended, its workflow (from memory) not
 * archived, the trigger enabled. An archived workflow's webhooks answer 410 whatever their switch
 * (archiving is final: a disabled webhook of it says so too).
 */
export async function resolveHook(config: HookConfig, token: ResolvedToken): Promise<ResolvedHook> {
  const { trigger, workspace } = token;
  if (workspace?.status === 'suspended') throw rejection('suspended', { workspaceId: trigger.workspace_id });
  const hook = trigger.share_id ? await resolveShared(config, token, trigger.share_id) : await resolveOwn(config, token);
  if (hook.workflow.archived_at) throw rejection('archived', { workspaceId: trigger.workspace_id });
  if (!trigger.enabled) throw rejection('disabled', { workspaceId: trigger.workspace_id });
  return hook;
}

/** The trigger's own workflow: read by _id alone (on a miss), then the workspace checked here. */
async function resolveOwn(config: HookConfig, token: ResolvedToken): Promise<ResolvedHook> {
  const { trigger, workspace } = token;
  const found = await config.workflow(trigger.workflow_id);
  const workflow = found?.workspace_id === trigger.workspace_id ? found : null;
  if (!workflow) throw rejection('unknown_workflow', { workspaceId: trigger.workspace_id });
  return { trigger, workspace, workflow, environment: environmentOf(trigger) };
}

/**
 * A receiver's webhook of a shared workflow: its share (by `_id`, from memory) still active and
 * naming this very trigger, the owner's workspace not being deleted, and the owner's workflow. A
 * revoked share answers like an unknown webhook (404 webhook_not_found). It runs the latest
 * published version (production), whatever the owner pins elsewhere.
 */
async function resolveShared(config: HookConfig, token: ResolvedToken, shareId: string): Promise<ResolvedHook> {
  const { trigger, workspace } = token;
  const share = await config.share(shareId);
  const current =
    share &&
    share.revoked_at === null &&
    share.receiver_workspace_id === trigger.workspace_id &&
    share.trigger_id === trigger._id &&
    share.workflow_id === trigger.workflow_id;
  if (!share || !current) throw rejection('unknown_workflow', { workspaceId: trigger.workspace_id });
  if (isDeletedWorkspace(await config.workspace(share.workspace_id)))
    throw rejection('unknown_workflow', { workspaceId: trigger.workspace_id });
  const found = await config.workflow(share.workflow_id);
  const workflow = found?.workspace_id === share.workspace_id ? found : null;
  if (!workflow) throw rejection('unknown_workflow', { workspaceId: trigger.workspace_id });
  return { trigger, workspace, workflow, environment: 'production', share };
}

/** Resolves what an environment runs (production: the latest published version; staging: the pinned one; development: the draft). */
export interface RunTargetResolver {
  resolve(workflow: WorkflowDoc, environment: Environment): Promise<RunTarget>;
}

/** Stage "resolve", second half: the definition the webhook runs; 404 workflow_not_published if there is none. */
export async function resolveTarget(runTargets: RunTargetResolver, hook: ResolvedHook): Promise<RunTarget> {
  const target = await runTargets.resolve(hook.workflow, hook.environment);
  return hook.share ? { ...target, share: { id: hook.share._id, workspaceId: hook.trigger.workspace_id } } : target;
}

/** Resolves exactly one published version: what a version URL runs (run-targets.ts `pinned`, cached for good). */
export interface VersionTargetResolver {
  pinned(workflow: WorkflowDoc, environment: Environment, version: number, draftId: string | null): Promise<RunTarget>;
}

/**
 * Stage "resolve" of a version URL (`/hooks/{token}/v{n}`, ADR 0021), after resolveHook (so the
 * workspace, archive and the production webhook's switch decide first): the version it names, from
 * the workflow in memory (no read). Only the production webhook's own token has version URLs (a
 * staging, development or share token's `/v{n}` names nothing); 404 version_not_found for a version
 * never published (or `v0`, the draft), 410 version_retired for a retired one.
 */
export function versionOf(hook: ResolvedHook, segment: string): number {
  const workspaceId = hook.trigger.workspace_id;
  const version = parseVersionSegment(segment);
  if (version === null || hook.share || hook.environment !== 'production') throw rejection('unknown_version', { workspaceId });
  const target = versionTargetFor(
    {
      publishedVersion: hook.workflow.published_version,
      stagingVersion: hook.workflow.staging_version ?? null,
      retiredVersions: [...retiredVersionsOf(hook.workflow).keys()],
    },
    version,
  );
  if (!target.ok) throw rejection(target.reason === 'retired' ? 'retired' : 'unknown_version', { message: target.message, workspaceId });
  return target.version;
}

/** Stage "resolve" of a version URL, its second half: exactly that version, run as the production webhook (its executions say `production`). */
export function resolveVersionTarget(runTargets: VersionTargetResolver, hook: ResolvedHook, version: number): Promise<RunTarget> {
  return runTargets.pinned(hook.workflow, 'production', version, null);
}

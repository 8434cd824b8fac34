import { ApiError } from '@flowgate/contracts';
import { evaluateCondition, type TriggerInput, type WorkflowDefinition } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import { isDeletedWorkspace, type SourceDoc, type WorkflowDoc, type WorkspaceDoc } from '@flowgate/store';
import type { Subscribers } from '../config-cache';
import type { Started } from '../starter';
import { rejection } from './rejections';

/**
 * The stages of the fan-out URL (`/sources/{token}`) that differ from a webhook's: "resolve" finds
 * the source (no trigger, no environment), "start" starts every subscriber whose filter holds. The
 * other stages are the webhook's own (admit: the workspace's bucket; read input: `trigger.*`).
 */

/** Where the fan-out reads sources and their subscribers: memory kept current through NATS (ConfigCache). */
export interface SourceConfig {
  source(tokenHash: string): Promise<SourceDoc | null>;
  subscribers(workspaceId: string, sourceId: string): Promise<Subscribers>;
  workspace(id: string): Promise<WorkspaceDoc | null>;
}

const TOKEN = /^so_[A-Za-z0-9_-]{16,128}$/;

/** Stage "resolve" of a fan-out: the token's source; 404 source_not_found (reason `unknown_source`), a malformed token without a look-up. */
export async function resolveSource(config: Pick<SourceConfig, 'source'>, token: string): Promise<SourceDoc> {
  const source = TOKEN.test(token) ? await config.source(sha256Hex(token)) : null;
  if (!source) throw rejection('unknown_source');
  return source;
}

/**
 * Stage "resolve", second half: the source's workspace (from memory). A workspace being deleted has
 * no sources (404 like an unknown one); a suspended one's answer 403 workspace_suspended.
 */
export async function sourceWorkspace(config: Pick<SourceConfig, 'workspace'>, source: SourceDoc): Promise<WorkspaceDoc | null> {
  const workspace = await config.workspace(source.workspace_id);
  if (isDeletedWorkspace(workspace)) throw rejection('unknown_source', { workspaceId: source.workspace_id });
  if (workspace?.status === 'suspended') throw rejection('suspended', { workspaceId: source.workspace_id });
  return workspace;
}

/** Starts a subscriber on its latest published version (ExecutionStarter: 429 quota_exceeded, 503 dependency_unavailable). */
export interface SubscriberStarter {
  published(workflow: WorkflowDoc): Promise<{ definition: WorkflowDefinition }>;
  start(workflow: WorkflowDoc, input: TriggerInput): Promise<Pick<Started, 'executionId' | 'statusUrl'>>;
}

export interface FanOutDeps {
  starter: SubscriberStarter;
  /** Where a filter that fails to evaluate is reported (the service's logger). */
  logger: { warn(fields: Record<string, unknown>, message: string): void };
}

/**
 * The source's candidates that run for this event: production webhook enabled, latest published
 * version subscribed to the source, and its JSONata `filter` (if any) true for `{trigger}`. A filter
 * that fails to evaluate counts as not matching (and is logged).
 */
export async function matchingSubscribers(
  deps: FanOutDeps,
  source: Pick<SourceDoc, '_id'>,
  subscribers: Subscribers,
  input: TriggerInput,
): Promise<WorkflowDoc[]> {
  const matching: WorkflowDoc[] = [];
  for (const workflow of subscribers.workflows) {
    if (subscribers.disabled.has(workflow._id)) continue;
    const { definition } = await deps.starter.published(workflow);
    const subscription = definition.trigger.source;
    if (subscription?.source_id !== source._id) continue;
    if (await passes(deps, workflow, subscription.filter, input)) matching.push(workflow);
  }
  return matching;
}

async function passes(deps: FanOutDeps, workflow: WorkflowDoc, filter: string | undefined, input: TriggerInput): Promise<boolean> {
  if (!filter) return true;
  try {
    return await evaluateCondition(filter, { trigger: input });
  } catch (err) {
    deps.logger.warn(
      { workflow_id: workflow._id, workspace_id: workflow.workspace_id, err: (err as Error).message },
      'source filter failed; workflow not started',
    );
    return false;
  }
}

export interface FanOutStarts {
  executions: { workflow_id: string; execution_id: string; status_url: string }[];
  /** Subscribers that could not be started while others were. */
  errors: { workflow_id: string; code: string; message: string }[];
}

/**
 * Stage "start" of a fan-out: every matching subscriber, each acknowledged by JetStream before this
 * returns. A start that fails is reported beside the accepted ones (those run; answering an error
 * would invite a duplicate retry); when none was accepted, the first failure is the refusal.
 */
export async function startSubscribers(
  deps: Pick<FanOutDeps, 'starter'>,
  workflows: WorkflowDoc[],
  input: TriggerInput,
): Promise<FanOutStarts> {
  const results = await Promise.allSettled(workflows.map((w) => deps.starter.start(w, input)));
  const starts: FanOutStarts = { executions: [], errors: [] };
  let firstError: unknown;
  results.forEach((result, i) => {
    const workflowId = workflows[i]?._id ?? '';
    if (result.status === 'fulfilled')
      starts.executions.push({ workflow_id: workflowId, execution_id: result.value.executionId, status_url: result.value.statusUrl });
    else {
      firstError ??= result.reason;
      const e = result.reason instanceof ApiError ? result.reason : new ApiError('internal', 'Internal error');
      starts.errors.push({ workflow_id: workflowId, code: e.code, message: e.message });
    }
  });
  if (starts.executions.length === 0 && firstError !== undefined) throw firstError;
  return starts;
}

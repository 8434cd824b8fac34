import type { WorkflowDefinition, TriggerInput } from '@flowgate/core';
import type { WorkflowDoc } from '@flowgate/store';
import { DEDUP_SAFE_MS, type Claim } from '../idempotency';
import type { RunTarget } from '../run-targets';
import type { ExecutionStarter, Started } from '../starter';

/** Publishes a start command and waits for its ack (ExecutionStarter: 429 quota_exceeded, 503 dependency_unavailable). */
export type WebhookStarter = Pick<ExecutionStarter, 'start' | 'statusUrl'>;

/** Whether an execution is live (NATS KV, else MongoDB): an unmarked claim's execution may exist. */
export interface LiveLookup {
  get(workspaceId: string, executionId: string): Promise<unknown>;
}

/** Marks a claim's start as acknowledged (never throws: a failure only costs a de-duplicated publish later). */
export interface ClaimMarks {
  accepted(claim: Claim): Promise<void>;
}

export interface StartDeps {
  starter: WebhookStarter;
  live: LiveLookup;
  idempotency: ClaimMarks;
}

/**
 * A replayed key whose start was acknowledged starts nothing. One whose first publish failed (or
 * is still in flight) publishes again under the same id: de-duplicated by JetStream within its
 * window; past it, only if no execution was recorded.
 */
export async function knownStart(
  deps: StartDeps,
  workflow: WorkflowDoc,
  claim: Claim | null,
  definition: WorkflowDefinition,
  /** The workspace the execution belongs to (a shared workflow's: the receiver's). */
  workspaceId: string = workflow.workspace_id,
): Promise<Started | null> {
  if (!claim?.replayed) return null;
  const known = (): Started => ({ executionId: claim.executionId, statusUrl: deps.starter.statusUrl(claim.executionId), definition });
  if (claim.accepted) return known();
  if (Date.now() - claim.claimedAt.getTime() < DEDUP_SAFE_MS) return null;
  const recorded = await deps.live.get(workspaceId, claim.executionId);
  return recorded ? known() : null;
}

/**
 * Stage "start": the claim's known execution, or a new start (under the claim's execution id, so a
 * retry is de-duplicated); acknowledged by JetStream before it returns. A repeat whose claim was not
 * marked yet marks it accepted once its start is known. 429 quota_exceeded (reason
 * `quota`) and 503 dependency_unavailable (reason `publish_failed`) accept nothing.
 */
export async function startExecution(
  deps: StartDeps,
  workflow: WorkflowDoc,
  input: TriggerInput,
  claim: Claim | null,
  target: RunTarget,
): Promise<Started> {
  const started =
    (await knownStart(deps, workflow, claim, target.definition, target.share?.workspaceId)) ??
    (await deps.starter.start(workflow, input, null, claim?.executionId, target));
  // A first claim is not marked: a repeat is rare, and it finds the start by itself (de-duplicated
  // publish within the window, the execution's record past it); the repeat marks it, so later ones
  // answer at once. One NATS round trip less per webhook with a key (ADR 0012, amendment).
  if (claim?.replayed && !claim.accepted) await deps.idempotency.accepted(claim);
  return started;
}

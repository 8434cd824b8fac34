import type { Environment } from '@flowgate/core';
import type { Collection, Filter } from 'mongodb';
import type { TriggerDoc, WorkflowDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';

/** Webhook triggers (`_id` = SHA-256 of the token): one per environment and workflow. */

/**
 * A workflow's production trigger: the one with `environment: production`, or without the field
 * (triggers made before environments). It also holds the webhook auth secrets of all environments.
 */
export function productionTriggerFilter(workflowId: string, workspaceId: string): Filter<TriggerDoc> {
  return { workflow_id: workflowId, workspace_id: workspaceId, environment: { $nin: ['development', 'staging'] } };
}

export function findTrigger(triggers: Collection<TriggerDoc>, id: string): Promise<TriggerDoc | null> {
  return triggers.findOne({ _id: id });
}

/** A workspace's trigger (read by `_id`, the owner checked in code). */
export function findOwnedTrigger(triggers: Collection<TriggerDoc>, workspaceId: string, id: string): Promise<TriggerDoc | null> {
  return findOwned(triggers, workspaceId, id);
}

/**
 * The workflow's production trigger: by `_id` (`production_trigger_id`); a workflow made before
 * ADR 0012 has none and is looked up by filter (a scan on FerretDB).
 */
export function findProductionTrigger(triggers: Collection<TriggerDoc>, workflow: WorkflowDoc): Promise<TriggerDoc | null> {
  return workflow.production_trigger_id
    ? triggers.findOne({ _id: workflow.production_trigger_id })
    : triggers.findOne(productionTriggerFilter(workflow._id, workflow.workspace_id));
}

/** Every trigger of a workflow (one per environment). */
export function triggersOfWorkflow(triggers: Collection<TriggerDoc>, workflow: WorkflowDoc): Promise<TriggerDoc[]> {
  return triggers.find({ workflow_id: workflow._id, workspace_id: workflow.workspace_id }).toArray();
}

/** Which of `environments` the workflow has a trigger for. */
export async function environmentsWithTriggers(
  triggers: Collection<TriggerDoc>,
  workflow: WorkflowDoc,
  environments: Environment[],
): Promise<Set<Environment | undefined>> {
  const docs = await triggers
    .find(
      { workflow_id: workflow._id, workspace_id: workflow.workspace_id, environment: { $in: environments } },
      { projection: { environment: 1 } },
    )
    .toArray();
  return new Set(docs.map((t) => t.environment));
}

/** Inserts a trigger unless one with its `_id` exists; true if it inserted. */
export function createTrigger(triggers: Collection<TriggerDoc>, doc: TriggerDoc): Promise<boolean> {
  return insertIfAbsent(triggers, doc);
}

/** Switches one trigger of a workflow (`triggerId`, one of its own) or, without one, all of them on or off. */
export async function setTriggersEnabled(
  triggers: Collection<TriggerDoc>,
  workflow: Pick<WorkflowDoc, '_id' | 'workspace_id'>,
  enabled: boolean,
  triggerId?: string,
): Promise<void> {
  const filter: Filter<TriggerDoc> = triggerId ? { _id: triggerId } : { workflow_id: workflow._id, workspace_id: workflow.workspace_id };
  await triggers.updateMany(filter, { $set: { enabled } });
}

/** Of a workspace's `workflowIds`, those whose production webhook is disabled (fan-out follows that switch). */
export async function disabledProductionWorkflows(
  triggers: Collection<TriggerDoc>,
  workspaceId: string,
  workflowIds: string[],
): Promise<Set<string>> {
  const docs = await triggers
    .find({
      workspace_id: workspaceId,
      workflow_id: { $in: workflowIds },
      enabled: false,
      $or: [{ environment: 'production' }, { environment: { $exists: false } }],
    })
    .project<{ workflow_id: string }>({ workflow_id: 1 })
    .toArray();
  return new Set(docs.map((t) => t.workflow_id));
}

/** Marks every trigger of a workflow as listened on by a parameter capture until `until`. */
export async function markCapture(
  triggers: Collection<TriggerDoc>,
  workflow: Pick<WorkflowDoc, '_id' | 'workspace_id'>,
  until: Date,
): Promise<void> {
  await triggers.updateMany({ workflow_id: workflow._id, workspace_id: workflow.workspace_id }, { $set: { capture_until: until } });
}

/** Clears the capture mark of a workflow's triggers (those still marked with the window `until`). */
export async function clearCapture(
  triggers: Collection<TriggerDoc>,
  of: Pick<TriggerDoc, 'workflow_id' | 'workspace_id'>,
  until: Date,
): Promise<void> {
  await triggers.updateMany(
    { workflow_id: of.workflow_id, workspace_id: of.workspace_id, capture_until: until },
    { $set: { capture_until: null } },
  );
}

/** Deletes a receiver's trigger of a share (by `_id`, its own workspace checked). */
export async function deleteShareTrigger(triggers: Collection<TriggerDoc>, workspaceId: string, id: string): Promise<void> {
  await triggers.deleteOne({ _id: id, workspace_id: workspaceId });
}

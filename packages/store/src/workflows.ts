import type { Collection } from 'mongodb';
import type { WorkflowDoc, WorkflowDraftDoc, WorkflowVersionDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';

/** Workflows, their immutable published versions (`<workflow id>:<version>`) and draft snapshots (content-addressed). */

export function findWorkflow(workflows: Collection<WorkflowDoc>, id: string): Promise<WorkflowDoc | null> {
  return workflows.findOne({ _id: id });
}

/** A workspace's workflow (read by `_id`, the owner checked in code). */
export function findOwnedWorkflow(workflows: Collection<WorkflowDoc>, workspaceId: string, id: string): Promise<WorkflowDoc | null> {
  return findOwned(workflows, workspaceId, id);
}

/** A published version by its id (`<workflow id>:<version>`), or a draft snapshot by its id. */
export function findWorkflowVersion(versions: Collection<WorkflowVersionDoc>, id: string): Promise<WorkflowVersionDoc | null> {
  return versions.findOne({ _id: id });
}

/** A workspace's published version or draft snapshot (read by `_id`, the owner checked in code). */
export function findOwnedWorkflowVersion(
  versions: Collection<WorkflowVersionDoc>,
  workspaceId: string,
  id: string,
): Promise<WorkflowVersionDoc | null> {
  return findOwned(versions, workspaceId, id);
}

/** Stores a draft snapshot once (its id is derived from its content). */
export async function saveWorkflowDraft(drafts: Collection<WorkflowDraftDoc>, doc: WorkflowDraftDoc): Promise<void> {
  await insertIfAbsent(drafts, doc);
}

/** A workspace's published workflows subscribed to a source, oldest first. */
export function sourceSubscribers(
  workflows: Collection<WorkflowDoc>,
  workspaceId: string,
  sourceId: string,
  limit: number,
): Promise<WorkflowDoc[]> {
  return workflows
    .find({ workspace_id: workspaceId, source_id: sourceId, published_version: { $ne: null } })
    .sort({ created_at: 1 })
    .limit(limit)
    .toArray();
}

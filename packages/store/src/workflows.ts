import type { Collection, Filter, UpdateFilter } from 'mongodb';
import type { WorkflowDoc, WorkflowDraftDoc, WorkflowVersionDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';
import { olderThan, type PageBefore } from './page';

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
    .find({ workspace_id: workspaceId, source_id: sourceId, published_version: { $ne: null }, archived_at: null })
    .sort({ created_at: 1 })
    .limit(limit)
    .toArray();
}

/** Stores a new workflow (a duplicate id is an error). */
export async function createWorkflow(workflows: Collection<WorkflowDoc>, doc: WorkflowDoc): Promise<void> {
  await workflows.insertOne(doc);
}

/** What a listing of workflows shows: the archived ones or the others (the default), from `before` on. */
export interface WorkflowListQuery {
  archived?: boolean;
  before?: PageBefore;
}

/** A workspace's workflows, newest first: those not archived, or (`archived`) the archived ones. */
export function listWorkflows(
  workflows: Collection<WorkflowDoc>,
  workspaceId: string,
  limit: number,
  q: WorkflowListQuery = {},
): Promise<WorkflowDoc[]> {
  const and: Filter<WorkflowDoc>[] = [{ workspace_id: workspaceId }, q.archived ? { archived_at: { $ne: null } } : { archived_at: null }];
  and.push(...olderThan<WorkflowDoc>(q.before));
  return workflows.find({ $and: and }).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
}

/**
 * Archives a workflow at `at` unless it is archived already; the archived workflow (the one stored
 * first when it was archived before: an archive is never moved).
 */
export async function archiveWorkflow(
  workflows: Collection<WorkflowDoc>,
  workflow: Pick<WorkflowDoc, '_id' | 'workspace_id'>,
  at: Date,
): Promise<WorkflowDoc | null> {
  const archived = await workflows.findOneAndUpdate(
    { _id: workflow._id, workspace_id: workflow.workspace_id, archived_at: null },
    { $set: { archived_at: at, updated_at: at } },
    { returnDocument: 'after' },
  );
  return archived ?? findOwned(workflows, workflow.workspace_id, workflow._id);
}

/** What a draft change, a staging pin or a settings change (retention) sets on a workflow. */
export type WorkflowChanges = Partial<Pick<WorkflowDoc, 'name' | 'draft_json' | 'staging_version' | 'retention_days'>>;

/** Changes a workflow (one found through findOwnedWorkflow) and stamps `updated_at`; the changed workflow, or null if it is gone. */
export function updateWorkflow(
  workflows: Collection<WorkflowDoc>,
  workflow: Pick<WorkflowDoc, '_id' | 'workspace_id'>,
  changes: WorkflowChanges,
  now: Date,
): Promise<WorkflowDoc | null> {
  return workflows.findOneAndUpdate(
    { _id: workflow._id, workspace_id: workflow.workspace_id },
    { $set: { ...changes, updated_at: now } },
    { returnDocument: 'after' },
  );
}

/** Stores a published version once; false if that version number exists already (a concurrent publish). */
export function createWorkflowVersion(versions: Collection<WorkflowVersionDoc>, doc: WorkflowVersionDoc): Promise<boolean> {
  return insertIfAbsent(versions, doc);
}

/**
 * Makes `version` the workflow's latest published one, if it still is at the version it was read
 * at (`workflow.published_version`); the published workflow, or null when another publish won.
 */
export function markWorkflowPublished(
  workflows: Collection<WorkflowDoc>,
  workflow: Pick<WorkflowDoc, '_id' | 'published_version'>,
  published: { version: number; sourceId: string | null; at: Date },
): Promise<WorkflowDoc | null> {
  return workflows.findOneAndUpdate(
    { _id: workflow._id, published_version: workflow.published_version },
    { $set: { published_version: published.version, updated_at: published.at, source_id: published.sourceId } },
    { returnDocument: 'after' },
  );
}

/**
 * A page of a workspace's workflows subscribed to a source (through their latest published
 * version), newest first; `before`: the cursor, the last one of the previous page.
 */
export function listSourceSubscriptions(
  workflows: Collection<WorkflowDoc>,
  q: { workspaceId: string; sourceId: string; before?: { at: Date; id: string } },
  limit: number,
): Promise<WorkflowDoc[]> {
  const and: Filter<WorkflowDoc>[] = [{ workspace_id: q.workspaceId }, { source_id: q.sourceId }, { archived_at: null }];
  and.push(...olderThan<WorkflowDoc>(q.before));
  return workflows.find({ $and: and }).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
}

/** Ids of a workspace's workflows subscribed to a source (through their latest published version). */
export async function subscribedWorkflowIds(
  workflows: Collection<WorkflowDoc>,
  workspaceId: string,
  sourceId: string,
  limit: number,
): Promise<string[]> {
  const docs = await workflows
    .find({ workspace_id: workspaceId, source_id: sourceId, archived_at: null }, { projection: { _id: 1 } })
    .limit(limit)
    .toArray();
  return docs.map((w) => w._id);
}

/** The key of a version in `retired_versions`. */
const retiredKey = (version: number) => `v${version}`;

/** A workflow's retired versions (ADR 0021): version number → when it was retired. */
export function retiredVersionsOf(workflow: Pick<WorkflowDoc, 'retired_versions'>): Map<number, Date> {
  const retired = new Map<number, Date>();
  for (const [key, at] of Object.entries(workflow.retired_versions ?? {})) {
    const version = Number(key.slice(1));
    if (key.startsWith('v') && Number.isInteger(version)) retired.set(version, at);
  }
  return retired;
}

/**
 * Retires (`at`) or restores (null) one published version of a workflow (one found through
 * findOwnedWorkflow): one field of the workflow, `retired_versions.v<n>`, set or removed by `_id`,
 * and `updated_at` stamped. The changed workflow, or null if it is gone.
 */
export function setWorkflowVersionRetired(
  workflows: Collection<WorkflowDoc>,
  workflow: Pick<WorkflowDoc, '_id'>,
  version: number,
  at: Date | null,
  now: Date,
): Promise<WorkflowDoc | null> {
  const field = `retired_versions.${retiredKey(version)}`;
  const update: UpdateFilter<WorkflowDoc> =
    at === null ? { $unset: { [field]: '' as const }, $set: { updated_at: now } } : { $set: { [field]: at, updated_at: now } };
  return workflows.findOneAndUpdate({ _id: workflow._id }, update, { returnDocument: 'after' });
}

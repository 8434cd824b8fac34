import type { Collection, Filter } from 'mongodb';
import type { WorkspaceDoc, WorkspaceStatus } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import type { Collections } from './store';

/** Workspaces (`_id` = the workspace id). */

/** Whether a workspace (or its status; none: a document from before workspaces had one, active) is being deleted or deleted: it has nothing any more. */
export function isDeletedWorkspace(workspace: Pick<WorkspaceDoc, 'status'> | WorkspaceStatus | null | undefined): boolean {
  const status = typeof workspace === 'string' ? workspace : workspace?.status;
  return status === 'deleting' || status === 'deleted';
}

/** Creates the workspace unless it exists. */
export async function ensureWorkspace(workspaces: Collection<WorkspaceDoc>, doc: WorkspaceDoc): Promise<void> {
  await insertIfAbsent(workspaces, doc);
}

/** The workspace's own egress allow-list entries (unchecked: whatever is stored), if any. */
export async function workspaceEgressEntries(workspaces: Collection<WorkspaceDoc>, workspaceId: string): Promise<unknown> {
  const doc = await workspaces.findOne({ _id: workspaceId }, { projection: { egress_allow_cidrs: 1 } });
  return doc?.egress_allow_cidrs;
}

/** What an executor needs of a workspace: its own egress allow-list entries (unchecked) and its status. */
export async function workspaceRunSettings(
  workspaces: Collection<WorkspaceDoc>,
  workspaceId: string,
): Promise<{ egress: unknown; status: WorkspaceStatus }> {
  const doc = await workspaces.findOne({ _id: workspaceId }, { projection: { egress_allow_cidrs: 1, status: 1 } });
  return { egress: doc?.egress_allow_cidrs, status: doc?.status ?? 'active' };
}

/** The workspace's quota overrides, if any. */
export async function workspaceQuotas(workspaces: Collection<WorkspaceDoc>, workspaceId: string): Promise<WorkspaceDoc['quotas']> {
  const doc = await workspaces.findOne({ _id: workspaceId }, { projection: { quotas: 1 } });
  return doc?.quotas;
}

/** Replaces the workspace's egress allow-list (creating the workspace if needed). */
export async function setWorkspaceEgress(
  workspaces: Collection<WorkspaceDoc>,
  workspaceId: string,
  cidrs: string[],
  now: Date,
): Promise<void> {
  await workspaces.updateOne(
    { _id: workspaceId },
    { $set: { egress_allow_cidrs: cidrs, egress_updated_at: now }, $setOnInsert: { name: workspaceId, created_at: now } },
    { upsert: true },
  );
}

/** Replaces the workspace's quota overrides (creating the workspace if needed). */
export async function setWorkspaceQuotas(
  workspaces: Collection<WorkspaceDoc>,
  workspaceId: string,
  quotas: NonNullable<WorkspaceDoc['quotas']>,
  now: Date,
): Promise<void> {
  await workspaces.updateOne(
    { _id: workspaceId },
    { $set: { quotas }, $setOnInsert: { name: workspaceId, created_at: now } },
    { upsert: true },
  );
}

/** A workspace by id (any status), or null. */
export function findWorkspace(workspaces: Collection<WorkspaceDoc>, id: string): Promise<WorkspaceDoc | null> {
  return workspaces.findOne({ _id: id });
}

/** Stores a new workspace (a duplicate id is an error). */
export async function insertWorkspace(workspaces: Collection<WorkspaceDoc>, doc: WorkspaceDoc): Promise<void> {
  await workspaces.insertOne(doc);
}

/**
 * Workspaces, newest first, after the cursor's (time, id), optionally of some statuses. The
 * collection holds one small document per workspace: a sorted read of it is cheap on any server.
 */
export function listWorkspaces(
  workspaces: Collection<WorkspaceDoc>,
  opts: { limit: number; after?: { at: Date; id: string }; statuses?: readonly WorkspaceStatus[] },
): Promise<WorkspaceDoc[]> {
  const conditions: Filter<WorkspaceDoc>[] = [];
  if (opts.after)
    conditions.push({ $or: [{ created_at: { $lt: opts.after.at } }, { created_at: opts.after.at, _id: { $lt: opts.after.id } }] });
  if (opts.statuses) {
    const withStatus: Filter<WorkspaceDoc> = { status: { $in: [...opts.statuses] } };
    // Older documents have no status: they are active.
    conditions.push(opts.statuses.includes('active') ? { $or: [withStatus, { status: { $exists: false } }] } : withStatus);
  }
  const filter: Filter<WorkspaceDoc> = conditions.length > 0 ? { $and: conditions } : {};
  return workspaces.find(filter).sort({ created_at: -1, _id: -1 }).limit(opts.limit).toArray();
}

/** Workspaces whose deletion has not finished (a handful at most). */
export function workspacesBeingDeleted(workspaces: Collection<WorkspaceDoc>): Promise<WorkspaceDoc[]> {
  return workspaces.find({ status: 'deleting' }).limit(100).toArray();
}

type WorkspaceChange = Partial<
  Pick<WorkspaceDoc, 'name' | 'anti_enumeration' | 'quotas' | 'egress_allow_cidrs' | 'rate_limit' | 'retention_days'>
>;

/** Changes a workspace that is not being deleted; the document after, or null (unknown or deleted). */
export function updateWorkspace(
  workspaces: Collection<WorkspaceDoc>,
  id: string,
  change: WorkspaceChange,
  now: Date,
): Promise<WorkspaceDoc | null> {
  const set: Partial<WorkspaceDoc> = { ...change, updated_at: now };
  if (change.egress_allow_cidrs) set.egress_updated_at = now;
  return workspaces.findOneAndUpdate({ _id: id, status: { $nin: ['deleting', 'deleted'] } }, { $set: set }, { returnDocument: 'after' });
}

/** Suspends (true) or reactivates (false) a workspace that is not being deleted; the document after, or null. */
export function setWorkspaceSuspended(
  workspaces: Collection<WorkspaceDoc>,
  id: string,
  suspended: boolean,
  now: Date,
): Promise<WorkspaceDoc | null> {
  return workspaces.findOneAndUpdate(
    { _id: id, status: { $nin: ['deleting', 'deleted'] } },
    { $set: { status: suspended ? 'suspended' : 'active', suspended_at: suspended ? now : null, updated_at: now } },
    { returnDocument: 'after' },
  );
}

/** Marks a workspace for deletion (once: a second call leaves the first request's time); the document after, or null. */
export async function markWorkspaceDeleting(workspaces: Collection<WorkspaceDoc>, id: string, now: Date): Promise<WorkspaceDoc | null> {
  await workspaces.updateOne(
    { _id: id, status: { $nin: ['deleting', 'deleted'] } },
    {
      $set: {
        status: 'deleting',
        updated_at: now,
        deletion: { requested_at: now, finished_at: null, removed: {}, cancelled: 0 },
      },
    },
  );
  return findWorkspace(workspaces, id);
}

/** Adds to a deletion's progress: documents removed from one collection, executions cancelled. */
export async function recordDeletionProgress(
  workspaces: Collection<WorkspaceDoc>,
  id: string,
  progress: { collection?: string; removed?: number; cancelled?: number },
): Promise<void> {
  const inc: Record<string, number> = {};
  if (progress.collection && progress.removed) inc[`deletion.removed.${progress.collection}`] = progress.removed;
  if (progress.cancelled) inc['deletion.cancelled'] = progress.cancelled;
  if (Object.keys(inc).length > 0) await workspaces.updateOne({ _id: id }, { $inc: inc });
}

/** Ends a deletion: the document stays as a tombstone with status deleted. */
export async function finishWorkspaceDeletion(workspaces: Collection<WorkspaceDoc>, id: string, now: Date): Promise<void> {
  await workspaces.updateOne(
    { _id: id, status: 'deleting' },
    {
      $set: { status: 'deleted', updated_at: now, 'deletion.finished_at': now },
      $unset: { quotas: '', egress_allow_cidrs: '' },
    },
  );
}

/** The collections whose documents a workspace owns (every one but `workspaces`), in the order a deletion empties them. */
export const OWNED_COLLECTIONS = [
  'apiKeys',
  'schedules',
  'sources',
  'triggers',
  'parameterCaptures',
  'waitTokens',
  'timers',
  'deliveries',
  'deadLetters',
  'stepExecutions',
  'payloads',
  'executions',
  'workflowContext',
  'workflowDrafts',
  'workflowVersions',
  'workflows',
  'callbackSecrets',
  'shares',
  'bulkJobs',
] as const satisfies readonly Exclude<keyof Collections, 'workspaces'>[];
export type OwnedCollection = (typeof OWNED_COLLECTIONS)[number];
/** A collection added to Collections and not to OWNED_COLLECTIONS fails to compile here: a deletion would leave its documents. */
const EVERY_COLLECTION_OWNED: [Exclude<keyof Collections, 'workspaces' | OwnedCollection>] extends [never] ? true : never = true;
void EVERY_COLLECTION_OWNED;

/**
 * Deletes up to `batch` documents of the workspace from one collection; how many it deleted. Ids
 * are read first so each command stays short on a large collection (FerretDB scans for the
 * `workspace_id` filter; MongoDB uses the collection's workspace index where it has one).
 */
export async function deleteOwnedBatch(c: Collections, name: OwnedCollection, workspaceId: string, batch: number): Promise<number> {
  const collection = c[name] as unknown as Collection<{ _id: string; workspace_id: string }>;
  const docs = await collection
    .find({ workspace_id: workspaceId }, { projection: { _id: 1 } })
    .limit(batch)
    .toArray();
  if (docs.length === 0) return 0;
  const result = await collection.deleteMany({ _id: { $in: docs.map((d) => d._id) }, workspace_id: workspaceId });
  return result.deletedCount;
}

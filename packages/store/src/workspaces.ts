import type { Collection } from 'mongodb';
import type { WorkspaceDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';

/** Workspaces (`_id` = the workspace id). */

/** Creates the workspace unless it exists. */
export async function ensureWorkspace(workspaces: Collection<WorkspaceDoc>, doc: WorkspaceDoc): Promise<void> {
  await insertIfAbsent(workspaces, doc);
}

/** The workspace's own egress allow-list entries (unchecked: whatever is stored), if any. */
export async function workspaceEgressEntries(workspaces: Collection<WorkspaceDoc>, workspaceId: string): Promise<unknown> {
  const doc = await workspaces.findOne({ _id: workspaceId }, { projection: { egress_allow_cidrs: 1 } });
  return doc?.egress_allow_cidrs;
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

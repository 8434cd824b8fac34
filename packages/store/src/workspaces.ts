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

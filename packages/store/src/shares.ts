import type { Collection } from 'mongodb';
import type { ShareDoc } from './documents';
import { findOwned } from './owned';
import { olderThan, type PageBefore } from './page';

/**
 * Shares of published workflows with other workspaces (ADR 0017). A share belongs to the owner
 * (`workspace_id`); the receiver reaches it through its own trigger, whose `share_id` names it. The
 * webhook path reads a share by `_id` alone; the listings below are management reads.
 */

export async function createShare(shares: Collection<ShareDoc>, doc: ShareDoc): Promise<void> {
  await shares.insertOne(doc);
}

/** A share by `_id` (the webhook path: no owner check here, the caller compares workspaces). */
export function findShare(shares: Collection<ShareDoc>, id: string): Promise<ShareDoc | null> {
  return shares.findOne({ _id: id });
}

/** An owner's share (read by `_id`, the owner checked in code). */
export function findOwnedShare(shares: Collection<ShareDoc>, ownerWorkspaceId: string, id: string): Promise<ShareDoc | null> {
  return findOwned(shares, ownerWorkspaceId, id);
}

/** The shares of one of the owner's workflows (active and revoked), newest first (at most `limit`, from `before` on). */
export function sharesOfWorkflow(
  shares: Collection<ShareDoc>,
  ownerWorkspaceId: string,
  workflowId: string,
  limit = 1_000,
  before?: PageBefore,
): Promise<ShareDoc[]> {
  return shares
    .find({ $and: [{ workflow_id: workflowId, workspace_id: ownerWorkspaceId }, ...olderThan<ShareDoc>(before)] })
    .sort({ created_at: -1, _id: -1 })
    .limit(limit)
    .toArray();
}

/** The active shares a workspace received, newest first (at most `limit`, from `before` on). */
export function sharesReceived(
  shares: Collection<ShareDoc>,
  receiverWorkspaceId: string,
  limit: number,
  before?: PageBefore,
): Promise<ShareDoc[]> {
  return shares
    .find({ $and: [{ receiver_workspace_id: receiverWorkspaceId, revoked_at: null }, ...olderThan<ShareDoc>(before)] })
    .sort({ created_at: -1, _id: -1 })
    .limit(limit)
    .toArray();
}

/** Marks an active share revoked; the revoked share, or null if it was revoked already (or is gone). */
export function revokeShare(
  shares: Collection<ShareDoc>,
  share: Pick<ShareDoc, '_id' | 'workspace_id'>,
  now: Date,
): Promise<ShareDoc | null> {
  return shares.findOneAndUpdate(
    { _id: share._id, workspace_id: share.workspace_id, revoked_at: null },
    { $set: { revoked_at: now } },
    { returnDocument: 'after' },
  );
}

/** Revokes every active share a workspace received (it is being deleted); how many. */
export async function revokeSharesReceived(shares: Collection<ShareDoc>, receiverWorkspaceId: string, now: Date): Promise<number> {
  const result = await shares.updateMany({ receiver_workspace_id: receiverWorkspaceId, revoked_at: null }, { $set: { revoked_at: now } });
  return result.modifiedCount;
}

import type { Collection } from 'mongodb';
import type { ParameterCaptureDoc } from './documents';
import { findOwned } from './owned';

/** Parameter capture windows (`_id` = the workflow id), shared by every ingress replica. */

/** Opens (or reopens) a workflow's capture window. */
export async function openParameterCapture(captures: Collection<ParameterCaptureDoc>, doc: ParameterCaptureDoc): Promise<void> {
  await captures.replaceOne({ _id: doc._id, workspace_id: doc.workspace_id }, doc, { upsert: true });
}

/**
 * Claims a workflow's open window for one request: atomic on `captured_at: null`, so exactly one
 * request is captured across replicas. The claimed window, or null (closed, expired or taken).
 */
export function claimParameterCapture(
  captures: Collection<ParameterCaptureDoc>,
  of: { workflow_id: string; workspace_id: string },
  requestJson: string,
  now: Date,
): Promise<ParameterCaptureDoc | null> {
  return captures.findOneAndUpdate(
    { _id: of.workflow_id, workspace_id: of.workspace_id, captured_at: null, expires_at: { $gt: now } },
    { $set: { captured_at: now, request_json: requestJson } },
    { returnDocument: 'after' },
  );
}

/** A workspace's capture window of a workflow (read by `_id`, the owner checked in code). */
export function findOwnedParameterCapture(
  captures: Collection<ParameterCaptureDoc>,
  workspaceId: string,
  workflowId: string,
): Promise<ParameterCaptureDoc | null> {
  return findOwned(captures, workspaceId, workflowId);
}

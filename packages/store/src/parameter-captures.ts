import type { Collection } from 'mongodb';
import type { ParameterCaptureDoc } from './documents';
import { insertIfAbsent } from './insert-if-absent';
import { findOwned } from './owned';

/** Parameter capture windows (`_id` = the workflow id), shared by every ingress replica. */

/** Opens (or reopens) a workflow's capture window. */
export async function openParameterCapture(captures: Collection<ParameterCaptureDoc>, doc: ParameterCaptureDoc): Promise<void> {
  await captures.replaceOne({ _id: doc._id, workspace_id: doc.workspace_id }, doc, { upsert: true });
}

/**
 * Claims a workflow's open window for one request, so exactly one request is captured across
 * replicas. The claim is an insert of the captured request under `<workflow>@<window start>`: an
 * `_id` is unique on every server, whereas a conditional update (`captured_at: null`) is not
 * atomic on FerretDB, which applies it as read, change, replace (two concurrent claims both won).
 * The winner then marks the window captured. The claimed window, or null (closed, expired, taken).
 */
export async function claimParameterCapture(
  captures: Collection<ParameterCaptureDoc>,
  of: { workflow_id: string; workspace_id: string },
  requestJson: string,
  now: Date,
): Promise<ParameterCaptureDoc | null> {
  const window = await findOwned(captures, of.workspace_id, of.workflow_id);
  if (!window || window.captured_at !== null || window.expires_at.getTime() <= now.getTime()) return null;
  const claim: ParameterCaptureDoc = {
    ...window,
    _id: `${window._id}@${window.started_at.getTime()}`,
    captured_at: now,
    request_json: requestJson,
  };
  if (!(await insertIfAbsent(captures, claim))) return null;
  await captures.updateOne({ _id: window._id, started_at: window.started_at }, { $set: { captured_at: now, request_json: requestJson } });
  return { ...window, captured_at: now, request_json: requestJson };
}

/** A workspace's capture window of a workflow (read by `_id`, the owner checked in code). */
export function findOwnedParameterCapture(
  captures: Collection<ParameterCaptureDoc>,
  workspaceId: string,
  workflowId: string,
): Promise<ParameterCaptureDoc | null> {
  return findOwned(captures, workspaceId, workflowId);
}

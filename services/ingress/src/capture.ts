import { authMethodsOf, capturedRequestOf, parseStoredDefinition, type TriggerInput, type WorkflowDefinition } from '@flowgate/core';
import {
  claimParameterCapture,
  clearCapture,
  markCapture,
  openParameterCapture,
  toJsonText,
  type Collections,
  type ParameterCaptureDoc,
  type TriggerDoc,
  type WorkflowDoc,
} from '@flowgate/store';
import type { ConfigChanges } from './config-cache';

/**
 * Parameter capture windows, kept in MongoDB so that every ingress replica sees them: starting one
 * marks the workflow's triggers with `capture_until` (read with the trigger on every webhook, so an
 * idle workflow costs nothing extra; both changes of the mark are config changes, so every replica's
 * cached trigger follows); the first webhook inside the window claims it atomically
 * (`findOneAndUpdate` on `captured_at: null`), so exactly one request is captured across replicas.
 */
export async function startCapture(
  store: Collections,
  changes: ConfigChanges,
  workflow: WorkflowDoc,
  windowS: number,
  now: Date,
): Promise<ParameterCaptureDoc> {
  const doc: ParameterCaptureDoc = {
    _id: workflow._id,
    workspace_id: workflow.workspace_id,
    started_at: now,
    expires_at: new Date(now.getTime() + windowS * 1000),
    captured_at: null,
    request_json: null,
  };
  await openParameterCapture(store.parameterCaptures, doc);
  await markCapture(store.triggers, workflow, doc.expires_at);
  await changes.changed(workflow);
  return doc;
}

/** Header names of the trigger's auth methods (hmac, header secrets): never kept in a capture. */
function credentialHeaders(definition: WorkflowDefinition | null): string[] {
  if (!definition) return [];
  return authMethodsOf(definition.trigger.webhook.auth).flatMap((m) => ('header' in m && typeof m.header === 'string' ? [m.header] : []));
}

/** The draft's definition, for a workflow without a published version (null if it does not validate). */
export function draftDefinitionOf(workflow: WorkflowDoc): WorkflowDefinition | null {
  try {
    const parsed = parseStoredDefinition(JSON.parse(workflow.draft_json));
    return parsed.ok ? parsed.definition : null;
  } catch {
    return null;
  }
}

/** Whether a capture window may be open for this trigger (no database round trip). */
export function mayCapture(trigger: TriggerDoc, now: Date): boolean {
  return trigger.capture_until instanceof Date && trigger.capture_until.getTime() > now.getTime();
}

/** Captures this request if the workflow's window is open and nobody was first; true if it was captured. */
export async function offerToCapture(
  store: Collections,
  changes: ConfigChanges,
  trigger: TriggerDoc,
  input: TriggerInput,
  definition: WorkflowDefinition | null,
  now: Date,
): Promise<boolean> {
  if (!mayCapture(trigger, now)) return false;
  const request = capturedRequestOf(input, credentialHeaders(definition));
  const claimed = await claimParameterCapture(store.parameterCaptures, trigger, toJsonText(request), now);
  if (!claimed) return false;
  await clearCapture(store.triggers, trigger, claimed.expires_at);
  await changes.changed({ _id: trigger.workflow_id, workspace_id: trigger.workspace_id });
  return true;
}

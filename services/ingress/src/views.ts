import type { Execution__Output } from '@flowgate/contracts';
import type { ExecutionOutcomeView, ExecutionStatus } from '@flowgate/core';
import type { WorkflowDoc } from '@flowgate/store';

/** JSON views of stored and gRPC data for API responses. */

const parseOr = (text: string, fallback: unknown = null): unknown => (text ? (JSON.parse(text) as unknown) : fallback);
const orNull = (s: string) => (s === '' ? null : s);

export interface WebhookUrls {
  async: string;
  sync: string;
}

export function webhookUrls(publicUrl: string, token: string): WebhookUrls {
  return { async: `${publicUrl}/hooks/${token}`, sync: `${publicUrl}/hooks/${token}/sync` };
}

export function workflowView(doc: WorkflowDoc, trigger: { urls: WebhookUrls; enabled: boolean } | null) {
  return {
    id: doc._id,
    name: doc.name,
    published_version: doc.published_version,
    definition: JSON.parse(doc.draft_json) as unknown,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    triggers: trigger
      ? {
          production: {
            ...trigger.urls,
            enabled: trigger.enabled,
            curl: `curl -X POST '${trigger.urls.async}' -H 'Content-Type: application/json' -d '{"hello":"world"}'`,
          },
        }
      : {},
  };
}

/** The API's snake_case error object (gRPC carries it camelCase; an empty step id means none). */
function errorView(error: { code: string; message: string; stepId: string } | null) {
  if (!error) return null;
  return { code: error.code, message: error.message, ...(error.stepId ? { step_id: error.stepId } : {}) };
}

export function executionView(e: Execution__Output, statusUrl: string) {
  return {
    id: e.id,
    workflow_id: e.workflowId,
    workflow_version: e.workflowVersion,
    status: e.status,
    status_url: statusUrl,
    trigger_input: parseOr(e.triggerInputJson),
    step_executions: e.stepExecutions.map((s) => ({
      step_id: s.stepId,
      type: s.type,
      attempt: s.attempt,
      status: s.status,
      input: parseOr(s.inputJson),
      output: parseOr(s.outputJson),
      error: errorView(s.error),
      started_at: orNull(s.startedAt),
      finished_at: orNull(s.finishedAt),
    })),
    final_output: parseOr(e.finalOutputJson),
    error: errorView(e.error),
    replay_of: orNull(e.replayOf),
    waiting_reason: orNull(e.waitingReason),
    waiting_payload: parseOr(e.waitingPayloadJson),
    waiting_expires_at: orNull(e.waitingExpiresAt),
    created_at: orNull(e.createdAt),
    started_at: orNull(e.startedAt),
    finished_at: orNull(e.finishedAt),
  };
}

export function outcomeViewOf(e: Execution__Output, statusUrl: string): ExecutionOutcomeView {
  return {
    executionId: e.id,
    status: e.status as ExecutionStatus,
    statusUrl,
    outputs: parseOr(e.outputsJson, {}) as Record<string, unknown>,
    order: e.stepOrder,
    response: parseOr(e.responseJson) as ExecutionOutcomeView['response'],
    finalOutput: parseOr(e.finalOutputJson),
    error: errorView(e.error),
  };
}

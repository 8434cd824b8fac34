import type { Execution__Output } from '@flowgate/contracts';
import {
  authPlaceholderHeaders,
  curlLine,
  ENVIRONMENTS,
  type Environment,
  type ExecutionOutcomeView,
  environmentsRunning,
  publishedVersionsPage,
  type ExecutionStatus,
} from '@flowgate/core';
import { retiredVersionsOf, type WorkflowDoc } from '@flowgate/store';

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

/** A version URL (ADR 0021): `…/hooks/{production token}/v{n}`, and its sync twin. */
export function versionUrls(production: WebhookUrls, version: number): WebhookUrls {
  return { async: `${production.async}/v${version}`, sync: `${production.async}/v${version}/sync` };
}

/** How many published versions a single-workflow answer lists (newest first); GET /v1/workflows/{id}/versions pages through all. */
export const VERSIONS_IN_WORKFLOW_VIEW = 10;

/** Published versions of a workflow with their own webhook URLs, whether retired, and the environments running each. */
export function versionViews(doc: WorkflowDoc, production: WebhookUrls, versions: readonly number[]) {
  const retired = retiredVersionsOf(doc);
  const state = { publishedVersion: doc.published_version, stagingVersion: doc.staging_version ?? null };
  return versions.map((version) => {
    const urls = versionUrls(production, version);
    const at = retired.get(version);
    return {
      version,
      url: urls.async,
      sync_url: urls.sync,
      retired_at: at ? at.toISOString() : null,
      environments: environmentsRunning(state, version),
    };
  });
}

/** One environment's webhook in a workflow view. */
export interface EnvironmentTriggerView {
  urls: WebhookUrls;
  enabled: boolean;
  /** The published version it runs, `"draft"`, or null when it runs nothing yet (404 workflow_not_published). */
  version: number | 'draft' | null;
}

/**
 * A workflow with its webhook URLs per environment, each with a ready `curl` line: the first allowed
 * method and a placeholder header per auth method of the draft's `trigger.webhook.auth` (never a secret).
 */
export function workflowView(
  doc: WorkflowDoc,
  triggers: Partial<Record<Environment, EnvironmentTriggerView>>,
  /** A single-workflow answer: with its newest published versions (list pages leave them out, to stay small). */
  opts: { versions?: boolean } = {},
) {
  const definition = JSON.parse(doc.draft_json) as unknown;
  const webhook = (definition as { trigger?: { webhook?: { methods?: string[]; auth?: unknown } } }).trigger?.webhook;
  const method = webhook?.methods?.[0] ?? 'POST';
  const auth = authPlaceholderHeaders(webhook?.auth);
  const views: Partial<Record<Environment, unknown>> = {};
  for (const env of ENVIRONMENTS) {
    const t = triggers[env];
    if (t) views[env] = { ...t.urls, enabled: t.enabled, version: t.version, curl: curlLine(t.urls.async, method, auth) };
  }
  return {
    id: doc._id,
    name: doc.name,
    published_version: doc.published_version,
    staging_version: doc.staging_version ?? null,
    definition,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    archived_at: doc.archived_at ? doc.archived_at.toISOString() : null,
    retention_days: doc.retention_days ?? null,
    triggers: views,
    ...(opts.versions && triggers.production
      ? {
          versions: versionViews(
            doc,
            triggers.production.urls,
            publishedVersionsPage({ publishedVersion: doc.published_version, stagingVersion: null }, VERSIONS_IN_WORKFLOW_VIEW),
          ),
        }
      : {}),
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
    // An input too large to travel inline is stored out of line: trigger_input is then its stub
    // (body null); the ref says so and the URL serves the body as received.
    trigger_input_ref: e.triggerInputRef || null,
    trigger_input_url: `${statusUrl}/input`,
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
    replay_from_step: orNull(e.replayFromStep),
    concurrency_keys: e.concurrencyKeys,
    environment: e.environment || 'production',
    test_run: e.testRun,
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

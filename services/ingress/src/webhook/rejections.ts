import { ApiError, type ErrorCode } from '@flowgate/contracts';
import type { WorkspaceLabels } from '@flowgate/kit';

/**
 * The webhook path's stages, in order (routes/hooks.ts runs them, routes/source-hooks.ts those that
 * apply to a fan-out; each lives in a file of this folder) and every way a stage refuses a request:
 * the error code(s) it answers with, their HTTP status, and the `reason` label of
 * `flowgate_webhooks_rejected_total` it counts under (null: answered, not counted as a refused
 * webhook — a malformed request). The one table of webhook rejections.
 */
export const WEBHOOK_STAGES = ['resolve', 'cors', 'authenticate', 'admit', 'read_input', 'claim', 'start', 'answer'] as const;
export type WebhookStage = (typeof WEBHOOK_STAGES)[number];

interface Rejection {
  stage: WebhookStage;
  /** The first is what the stage itself answers with unless it says otherwise. */
  codes: readonly [ErrorCode, ...ErrorCode[]];
  status: number;
  metric: string | null;
  /** The message when the stage itself refuses (codes raised by a dependency keep the dependency's message). */
  message?: string;
  /** Under the workspace's anti-enumeration, answered exactly like an unknown token (a caller cannot tell a real token from a made-up one). */
  masked?: true;
}

export const WEBHOOK_REJECTIONS = {
  unknown_token: { stage: 'resolve', codes: ['webhook_not_found'], status: 404, metric: 'unknown_token', message: 'Webhook not found' },
  disabled: {
    stage: 'resolve',
    codes: ['trigger_disabled'],
    status: 403,
    metric: 'disabled',
    message: 'This webhook is disabled',
    masked: true,
  },
  /** The workspace is suspended by the operator: nothing is queued (running executions finish). */
  suspended: {
    stage: 'resolve',
    codes: ['workspace_suspended'],
    status: 403,
    metric: 'workspace_suspended',
    message: "This webhook's workspace is suspended",
    masked: true,
  },
  unknown_workflow: {
    stage: 'resolve',
    codes: ['webhook_not_found'],
    status: 404,
    metric: 'unknown_workflow',
    message: 'Webhook not found',
    masked: true,
  },
  not_published: { stage: 'resolve', codes: ['workflow_not_published'], status: 404, metric: 'not_published', masked: true },
  /** The workflow was archived (DELETE /v1/workflows/{id}): every webhook of it, shares' included, answers 410; nothing queued. */
  archived: {
    stage: 'resolve',
    codes: ['workflow_archived'],
    status: 410,
    metric: 'archived',
    message: "This webhook's workflow is archived",
    masked: true,
  },
  /** A version URL (`/hooks/{token}/v{n}`, ADR 0021) naming a version never published, or under a token that is not production's own. */
  unknown_version: {
    stage: 'resolve',
    codes: ['version_not_found'],
    status: 404,
    metric: 'unknown_version',
    message: 'Version not found',
    masked: true,
  },
  /** A retired version's URL (POST /v1/workflows/{id}/versions/{version}/retire): 410, nothing queued. */
  retired: { stage: 'resolve', codes: ['version_retired'], status: 410, metric: 'version_retired', masked: true },
  /** The fan-out URL (`/sources/{token}`, webhook/fan-out.ts): counted like an unknown webhook token, never answered 200 under anti-enumeration. */
  unknown_source: {
    stage: 'resolve',
    codes: ['source_not_found'],
    status: 404,
    metric: 'unknown_token',
    message: 'Source not found',
  },
  auth: { stage: 'authenticate', codes: ['unauthorized', 'invalid_signature'], status: 401, metric: 'auth', masked: true },
  method: { stage: 'admit', codes: ['method_not_allowed'], status: 405, metric: 'method' },
  rate_limited: { stage: 'admit', codes: ['rate_limited'], status: 429, metric: 'rate_limited' },
  invalid_body: { stage: 'read_input', codes: ['invalid_json', 'invalid_request'], status: 400, metric: null },
  parameters: { stage: 'read_input', codes: ['missing_parameters', 'invalid_parameters'], status: 400, metric: 'parameters' },
  idempotency_key: { stage: 'claim', codes: ['invalid_request'], status: 400, metric: null },
  quota: { stage: 'start', codes: ['quota_exceeded'], status: 429, metric: 'quota' },
  publish_failed: { stage: 'start', codes: ['dependency_unavailable'], status: 503, metric: 'publish_failed' },
} as const satisfies Record<string, Rejection>;

export type RejectionReason = keyof typeof WEBHOOK_REJECTIONS;

const REASONS = Object.keys(WEBHOOK_REJECTIONS) as RejectionReason[];

/** A refusal raised by a stage itself: an ApiError (the one error shape) that knows its reason. */
export class WebhookRejection extends ApiError {
  constructor(
    readonly reason: RejectionReason,
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    headers?: Record<string, string>,
    /** The workspace refused, when the stage knew it before the route did (a disabled trigger's); never in the answer. */
    readonly workspaceId?: string,
  ) {
    super(code, message, details, headers);
  }
}

export function rejection(
  reason: RejectionReason,
  how: {
    code?: ErrorCode;
    message?: string;
    details?: Record<string, unknown>;
    headers?: Record<string, string>;
    workspaceId?: string;
  } = {},
): WebhookRejection {
  const row: Rejection = WEBHOOK_REJECTIONS[reason];
  return new WebhookRejection(
    reason,
    how.code ?? row.codes[0],
    how.message ?? row.message ?? reason,
    how.details,
    how.headers,
    how.workspaceId,
  );
}

/**
 * Why `stage` refused the request `err` ended: the stage's own rejection, or the row of that stage
 * whose code a dependency raised (the rate limiter's 429, the starter's 503 …); null for anything else.
 */
export function rejectionReasonOf(stage: WebhookStage, err: unknown): RejectionReason | null {
  if (err instanceof WebhookRejection) return err.reason;
  if (!(err instanceof ApiError)) return null;
  for (const reason of REASONS) {
    const row: Rejection = WEBHOOK_REJECTIONS[reason];
    if (row.stage === stage && row.codes.includes(err.code)) return reason;
  }
  return null;
}

/** The metric label a refused request counts under, if it counts. */
export function rejectionMetricOf(reason: RejectionReason): string | null {
  return WEBHOOK_REJECTIONS[reason].metric;
}

/** Whether a refusal is answered like an unknown token when the workspace masks refusals (anti-enumeration). */
export function isMaskable(reason: RejectionReason): boolean {
  const row: Rejection = WEBHOOK_REJECTIONS[reason];
  return row.masked === true;
}

/** Where refused requests are counted (`flowgate_webhooks_rejected_total`). */
export interface RejectionCounter {
  inc(labels: { reason: string; workspace_id: string }): void;
}

/**
 * The workspace a refused request counts under: the one the route had resolved (null before the
 * trigger / source resolved), else the one the refusing stage named; labelled `_none` when neither.
 */
export function refusedWorkspaceOf(err: unknown, resolved: string | null): string | null {
  return resolved ?? (err instanceof WebhookRejection ? (err.workspaceId ?? null) : null);
}

/**
 * Counts the request `err` ended in `stage` under its metric label and the bounded label of its
 * workspace (`workspaceId`: what the route resolved, null before), if it is a refusal that counts;
 * returns its reason.
 */
export function countRejection(
  counter: RejectionCounter,
  workspaces: WorkspaceLabels,
  stage: WebhookStage,
  err: unknown,
  workspaceId: string | null,
): RejectionReason | null {
  const reason = rejectionReasonOf(stage, err);
  const metric = reason && rejectionMetricOf(reason);
  if (metric) counter.inc({ reason: metric, workspace_id: workspaces.of(refusedWorkspaceOf(err, workspaceId)) });
  return reason;
}

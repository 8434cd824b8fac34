import type { WorkflowDefinition } from '@flowgate/core';
import type { TriggerDoc } from '@flowgate/store';
import { workspaceLimit, type Admission, type LimitCheck, type WorkspaceLimits, type WorkspaceRateLimit } from '../rate-limiter';
import { rejection } from './rejections';

type Webhook = WorkflowDefinition['trigger']['webhook'];

/** Takes a token from every bucket or refuses with 429 rate_limited (RateLimiter, shared by the ingress replicas). */
export interface Admitter {
  admit(checks: LimitCheck[]): Promise<Admission>;
}

/** Stage "admit", first check: the webhook accepts this method, or 405 with `Allow` (reason `method`). */
export function allowMethod(webhook: Webhook, method: string): void {
  if (!webhook.methods.includes(method as (typeof webhook.methods)[number])) {
    const allow = webhook.methods.join(', ');
    throw rejection('method', { message: `This webhook accepts ${allow}`, headers: { Allow: allow } });
  }
}

/** The workspace's bucket (its own, else from config) and the trigger's own (from its definition), if any. */
export function limitsFor(
  limits: WorkspaceLimits,
  trigger: TriggerDoc,
  webhook: Webhook,
  own?: WorkspaceRateLimit,
  /** A version URL's (ADR 0021): its own trigger bucket, under its version's `rate_limit`. */
  version: number | null = null,
): LimitCheck[] {
  const workspace = workspaceLimit(limits, trigger.workspace_id, own);
  const checks: LimitCheck[] = workspace ? [workspace] : [];
  if (webhook.rate_limit) {
    const policy = {
      perSecond: webhook.rate_limit.per_second,
      burst: webhook.rate_limit.burst ?? Math.max(1, Math.ceil(webhook.rate_limit.per_second)),
    };
    checks.push({ name: 'trigger', key: version === null ? `trigger.${trigger._id}` : `trigger.${trigger._id}.v${version}`, policy });
  }
  return checks;
}

/**
 * Stage "admit", rate limits: its RateLimit headers go on the answer; 429 rate_limited (reason
 * `rate_limited`) otherwise. Workspace quotas are checked (and counted) by the start itself.
 */
export function admit(
  limiter: Admitter,
  limits: WorkspaceLimits,
  trigger: TriggerDoc,
  webhook: Webhook,
  own?: WorkspaceRateLimit,
  version: number | null = null,
): Promise<Admission> {
  return limiter.admit(limitsFor(limits, trigger, webhook, own, version));
}

/**
 * Stage "admit" of a fan-out (`/sources/{token}`): the workspace's bucket only (a source has no
 * trigger, so no trigger limit and no method list); null when the workspace is not limited.
 */
export function admitWorkspace(
  limiter: Admitter,
  limits: WorkspaceLimits,
  workspaceId: string,
  own?: WorkspaceRateLimit,
): Promise<Admission> | null {
  const workspace = workspaceLimit(limits, workspaceId, own);
  return workspace ? limiter.admit([workspace]) : null;
}

import { flowKeyOf, flowKeyToken, listOf, type TriggerInput, type WebhookRateLimit, type WorkflowDefinition } from '@flowgate/core';
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

/** A webhook rate limit as a token-bucket policy (burst: one second's worth unless set). */
const policyOf = (limit: WebhookRateLimit) => ({
  perSecond: limit.per_second,
  burst: limit.burst ?? Math.max(1, Math.ceil(limit.per_second)),
});

/** Whether a bucket of the webhook depends on the request (a `key`): admission then waits for the input. */
export function hasKeyedLimits(webhook: Webhook): boolean {
  return listOf(webhook.rate_limit).some((limit) => limit.key !== undefined);
}

/** What a trigger bucket depends on besides the trigger: the input (keyed buckets) and a version URL's version. */
export interface LimitScope {
  input?: TriggerInput;
  /** A version URL's (ADR 0021): its own trigger buckets, under its version's `rate_limit`. */
  version?: number | null;
}

/**
 * The workspace's bucket (its own, else from config) and the trigger's own (from its definition),
 * if any. A keyed bucket is one per key value of `scope.input` (flow-keys.ts):
 * `<trigger bucket>.<i>.<token>`; the first unkeyed one is the trigger bucket itself
 * (`trigger.<id>`, or `trigger.<id>.v<n>` for a version URL). Names (RateLimit-Policy): `trigger`,
 * and `trigger_key` for a keyed one, with `_<i>` when the webhook stacks several.
 */
export async function limitsFor(
  limits: WorkspaceLimits,
  trigger: TriggerDoc,
  webhook: Webhook,
  own?: WorkspaceRateLimit,
  scope: LimitScope = {},
): Promise<LimitCheck[]> {
  const workspace = workspaceLimit(limits, trigger.workspace_id, own);
  const checks: LimitCheck[] = workspace ? [workspace] : [];
  const base = scope.version == null ? `trigger.${trigger._id}` : `trigger.${trigger._id}.v${scope.version}`;
  const list = listOf(webhook.rate_limit);
  for (const [i, limit] of list.entries()) {
    const suffix = list.length > 1 ? `_${i}` : '';
    if (limit.key === undefined) {
      checks.push({ name: `trigger${suffix}`, key: i === 0 ? base : `${base}.${i}`, policy: policyOf(limit) });
    } else {
      const value = scope.input ? (await flowKeyOf(limit.key, scope.input)).value : '';
      checks.push({ name: `trigger_key${suffix}`, key: `${base}.${i}.${flowKeyToken(value)}`, policy: policyOf(limit) });
    }
  }
  return checks;
}

/**
 * Stage "admit", rate limits: its RateLimit headers go on the answer; 429 rate_limited (reason
 * `rate_limited`) otherwise. Workspace quotas are checked (and counted) by the start itself. A
 * webhook with a keyed bucket is admitted once its input is read (`input`), every bucket at once.
 */
export async function admit(
  limiter: Admitter,
  limits: WorkspaceLimits,
  trigger: TriggerDoc,
  webhook: Webhook,
  own?: WorkspaceRateLimit,
  scope: LimitScope = {},
): Promise<Admission> {
  return limiter.admit(await limitsFor(limits, trigger, webhook, own, scope));
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

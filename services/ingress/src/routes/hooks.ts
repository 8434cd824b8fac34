import { ApiError } from '@flowgate/contracts';
import {
  acceptedResponse,
  authMethodsOf,
  corsResponseHeaders,
  DomainError,
  encodeSyncResponse,
  idempotencyKeyOf,
  isPreflight,
  preflightHeaders,
  resolveParameters,
  shapeSyncResponse,
  type SyncResponse,
  type TriggerInput,
  type WorkflowDefinition,
} from '@flowgate/core';
import { sha256Hex, type Logger, type SecretBox } from '@flowgate/kit';
import type { Collections, LiveExecutions, TriggerDoc, WorkflowDoc } from '@flowgate/store';
import type { Request, Response } from 'express';
import type { RouteTable } from '../http/route';
import { hookSpecs } from './hook-specs';
import type { ExecutionClient } from '../execution-client';
import type { IngressMetrics } from '../metrics';
import type { ExecutionStarter, Started } from '../starter';
import { outcomeViewOf } from '../views';
import type { ConfigCache, ConfigChanges } from '../config-cache';
import { DEDUP_SAFE_MS, type Claim, type IdempotencyKeys } from '../idempotency';
import { workspaceLimit, type LimitCheck, type RateLimiter, type WorkspaceLimits } from '../rate-limiter';
import { triggerInputOf } from '../webhook-input';
import { environmentOf } from '../environment-triggers';
import type { RunTargets } from '../run-targets';
import { draftDefinitionOf, mayCapture, offerToCapture } from '../capture';
import { dropCredentialHeaders, webhookAuthFailure } from '../webhook-auth';

/** The workspace's bucket (from config) and the trigger's own (from its definition), if any. */
function limitsFor(limits: HookDeps['limits'], trigger: TriggerDoc, webhook: WorkflowDefinition['trigger']['webhook']): LimitCheck[] {
  const workspace = workspaceLimit(limits, trigger.workspace_id);
  const checks: LimitCheck[] = workspace ? [workspace] : [];
  if (webhook.rate_limit) {
    const policy = {
      perSecond: webhook.rate_limit.per_second,
      burst: webhook.rate_limit.burst ?? Math.max(1, Math.ceil(webhook.rate_limit.per_second)),
    };
    checks.push({ name: 'trigger', key: `trigger.${trigger._id}`, policy });
  }
  return checks;
}

/** The webhook's idempotency key; a malformed one is a 400. */
function idempotencyKey(input: TriggerInput, bodyPath: string | undefined, signedWebhookId: boolean): string | null {
  try {
    return idempotencyKeyOf(input, bodyPath, signedWebhookId);
  } catch (err) {
    if (err instanceof DomainError) throw new ApiError('invalid_request', err.message);
    throw err;
  }
}

/**
 * Webhook URLs. `/hooks/{token}` answers 202 only once JetStream has acknowledged the start command
 * (an accepted webhook is never lost); `/hooks/{token}/sync` then follows the execution for up to
 * the trigger's sync timeout and answers with the shaped result.
 */
export interface HookDeps {
  store: Collections;
  /** Live executions (NATS KV, else MongoDB): whether an unmarked idempotency claim's execution exists. */
  live: LiveExecutions;
  limiter: RateLimiter;
  limits: WorkspaceLimits;
  starter: ExecutionStarter;
  executions: ExecutionClient;
  metrics: IngressMetrics;
  logger: Logger;
  box: SecretBox;
  runTargets: RunTargets;
  /** Triggers and workflows served from memory, kept current through NATS (config-cache.ts). */
  configCache: ConfigCache;
  configChanges: ConfigChanges;
  /** Idempotency keys claimed in NATS KV (idempotency.ts). */
  idempotency: IdempotencyKeys;
  /** Unknown webhook tokens answer `200 {"received": true}` instead of 404 (FLOWGATE_WEBHOOK_ANTI_ENUMERATION). */
  antiEnumeration?: boolean;
}

const TOKEN = /^wh_[A-Za-z0-9_-]{16,128}$/;

export function hookRoutes(table: RouteTable, deps: HookDeps): void {
  const reject = (reason: string, error: ApiError): never => {
    deps.metrics.rejected.inc({ reason });
    throw error;
  };

  /** JSON by default; text types (text/plain, text/csv, text/html, text/xml) send a string body as is. */
  const send = (res: Response, r: SyncResponse) => {
    const wire = encodeSyncResponse(r);
    res.status(wire.status).set(wire.headers).send(wire.text);
  };

  /**
   * A replayed key whose start was acknowledged starts nothing. One whose first publish failed (or
   * is still in flight) publishes again under the same id: de-duplicated by JetStream within its
   * window; past it, only if no execution was recorded.
   */
  const knownStart = async (workflow: WorkflowDoc, claim: Claim | null, definition: WorkflowDefinition): Promise<Started | null> => {
    if (!claim?.replayed) return null;
    const known = (): Started => ({ executionId: claim.executionId, statusUrl: deps.starter.statusUrl(claim.executionId), definition });
    if (claim.accepted) return known();
    if (Date.now() - claim.claimedAt.getTime() < DEDUP_SAFE_MS) return null;
    const recorded = await deps.live.get(workflow.workspace_id, claim.executionId);
    return recorded ? known() : null;
  };

  const accept = (syncUrl: boolean) => async (req: Request, res: Response) => {
    const token = String(req.params.token);
    const trigger = TOKEN.test(token) ? await deps.configCache.trigger(sha256Hex(token)) : null;
    if (!trigger) {
      if (!deps.antiEnumeration) return reject('unknown_token', new ApiError('webhook_not_found', 'Webhook not found'));
      deps.metrics.rejected.inc({ reason: 'unknown_token' });
      return res.status(200).json({ received: true });
    }
    if (!trigger.enabled) return reject('disabled', new ApiError('trigger_disabled', 'This webhook is disabled'));
    // From memory (read by _id alone on a miss), then the workspace checked here.
    const found = await deps.configCache.workflow(trigger.workflow_id);
    const workflow = found?.workspace_id === trigger.workspace_id ? found : null;
    if (!workflow) return reject('unknown_workflow', new ApiError('webhook_not_found', 'Webhook not found'));
    // Production: the latest published version; staging: the pinned one; development: the draft.
    const environment = environmentOf(trigger);
    // A parameter capture on a webhook with no published version to run keeps the request and runs nothing.
    if (environment !== 'development' && workflow.published_version === null && mayCapture(trigger, new Date())) {
      const captured = await offerToCapture(
        deps.store,
        deps.configChanges,
        trigger,
        await triggerInputOf(req),
        draftDefinitionOf(workflow),
        new Date(),
      );
      if (captured) return res.status(200).json({ captured: true });
    }
    const target = await deps.runTargets.resolve(workflow, environment).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'workflow_not_published') deps.metrics.rejected.inc({ reason: 'not_published' });
      throw err;
    });
    const current = target.definition;
    const webhook = current.trigger.webhook;
    // Browsers: a preflight is answered here (it carries no credentials); real answers, errors too, readable by allowed origins.
    if (webhook.cors) {
      if (isPreflight(req.method, req.get('access-control-request-method'))) {
        const request = {
          origin: req.get('origin'),
          method: req.get('access-control-request-method'),
          headers: req.get('access-control-request-headers'),
        };
        return res
          .status(204)
          .set(preflightHeaders(webhook.cors, request, webhook.methods))
          .end();
      }
      res.set(corsResponseHeaders(webhook.cors, req.get('origin')));
    }
    // Without a cors config, an allowed OPTIONS runs the workflow and waits for its answer (its respond step).
    const sync = syncUrl || req.method === 'OPTIONS';
    // Every environment's webhook checks the secrets kept on the production trigger.
    const secretsTrigger =
      webhook.auth && environment !== 'production' ? ((await deps.configCache.productionTrigger(workflow)) ?? trigger) : trigger;
    const authFailure = webhookAuthFailure(webhook.auth, req, secretsTrigger, deps.box, new Date());
    if (authFailure) return reject('auth', authFailure);
    if (!webhook.methods.includes(req.method as (typeof webhook.methods)[number])) {
      res.set('Allow', webhook.methods.join(', '));
      return reject('method', new ApiError('method_not_allowed', `This webhook accepts ${webhook.methods.join(', ')}`));
    }
    const admission = await deps.limiter.admit(limitsFor(deps.limits, trigger, webhook)).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'rate_limited') deps.metrics.rejected.inc({ reason: 'rate_limited' });
      throw err;
    });
    res.set(admission.headers);
    const triggerInput = await triggerInputOf(req);
    dropCredentialHeaders(webhook.auth, triggerInput.headers);
    await offerToCapture(deps.store, deps.configChanges, trigger, triggerInput, current, new Date()); // parameter capture, if listening
    if (webhook.parameters || webhook.body_parameter) {
      const resolved = resolveParameters(webhook.parameters, triggerInput, webhook.body_parameter);
      if (!resolved.ok) return reject('parameters', new ApiError(resolved.code, resolved.message, resolved.details));
      triggerInput.params = resolved.params;
    }
    const signedWebhookId = authMethodsOf(webhook.auth).some((m) => m.type === 'standard_webhooks');
    const key = idempotencyKey(triggerInput, current.trigger.webhook.idempotency_key_path, signedWebhookId);
    // Keys are per environment: a development run never answers with a production execution.
    const scopedKey = key === null || environment === 'production' ? key : `${environment}:${key}`;
    const claim = scopedKey === null ? null : await deps.idempotency.claim(workflow, scopedKey);
    if (claim?.replayed) res.set('Idempotent-Replayed', 'true');

    let started: Started;
    try {
      started =
        (await knownStart(workflow, claim, current)) ??
        (await deps.starter.start(workflow, triggerInput, null, claim?.executionId, target));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'dependency_unavailable') deps.metrics.rejected.inc({ reason: 'publish_failed' });
      if (err instanceof ApiError && err.code === 'quota_exceeded') deps.metrics.rejected.inc({ reason: 'quota' });
      throw err;
    }
    if (claim) await deps.idempotency.accepted(claim);
    const { executionId, statusUrl, definition } = started;
    deps.metrics.accepted.inc({ mode: sync ? 'sync' : 'async' });
    deps.logger.info({ execution_id: executionId, workflow_id: workflow._id, environment, sync }, 'webhook accepted');

    if (!sync) return send(res, acceptedResponse(executionId, statusUrl));
    const timeoutMs = definition.trigger.webhook.sync_timeout_s * 1000;
    // Accepted already: if following it fails, the caller still gets the execution id, never an error
    // that would invite a duplicate retry.
    const last = await deps.executions.watchUntil(workflow.workspace_id, executionId, timeoutMs).catch((err: unknown) => {
      deps.logger.warn({ err, execution_id: executionId }, 'could not follow the execution; answering 202');
      return null;
    });
    if (!last) return send(res, acceptedResponse(executionId, statusUrl));
    send(res, shapeSyncResponse(definition, outcomeViewOf(last, statusUrl)));
  };

  table.mount(hookSpecs.asyncPreflight, accept(false));
  table.mount(hookSpecs.async, accept(false));
  table.mount(hookSpecs.syncPreflight, accept(true));
  table.mount(hookSpecs.sync, accept(true));
}

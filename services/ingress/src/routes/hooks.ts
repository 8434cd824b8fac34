import type { Logger, SecretBox } from '@flowgate/kit';
import type { Collections, LiveExecutions } from '@flowgate/store';
import type { Request, Response } from 'express';
import type { ConfigCache, ConfigChanges } from '../config-cache';
import type { ExecutionClient } from '../execution-client';
import type { IdempotencyKeys } from '../idempotency';
import type { IngressMetrics } from '../metrics';
import type { RateLimiter, WorkspaceLimits } from '../rate-limiter';
import type { RunTargets } from '../run-targets';
import type { RouteTable } from '../http/route';
import type { ExecutionStarter } from '../starter';
import { admit, allowMethod, hasKeyedLimits } from '../webhook/admit';
import { answer } from '../webhook/answer';
import { authenticate, needsProductionSecrets } from '../webhook/authenticate';
import { idempotencyKeyFor } from '../webhook/claim';
import { corsAnswer } from '../webhook/cors';
import { debounceWebhook, type DebounceStage } from '../webhook/debounce';
import { captureUnpublished, mayCaptureUnpublished, readInput } from '../webhook/input';
import { countRejection, isMaskable, rejection, type WebhookStage } from '../webhook/rejections';
import {
  masksRefusals,
  resolveHook,
  resolveTarget,
  resolveToken,
  resolveVersionTarget,
  runWorkspaceOf,
  versionOf,
} from '../webhook/resolve';
import { startExecution } from '../webhook/start';
import { hookSpecs } from './hook-specs';

/**
 * Webhook URLs. `/hooks/{token}` answers 202 only once JetStream has acknowledged the start command
 * (an accepted webhook is never lost); `/hooks/{token}/sync` then follows the execution for up to
 * the trigger's sync timeout and answers with the shaped result. `/hooks/{token}/v{n}` (and
 * `…/v{n}/sync`) under the production token run exactly published version n (ADR 0021).
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
  /** Debounce windows in NATS KV and their schedules (trigger.webhook.debounce, webhook/debounce.ts). */
  debounce: DebounceStage;
  /**
   * Unknown webhook tokens answer `200 {"received": true}` instead of 404
   * (FLOWGATE_WEBHOOK_ANTI_ENUMERATION); also the default of a workspace's `anti_enumeration`.
   */
  antiEnumeration?: boolean;
}

/**
 * The webhook path as its named stages (../webhook/*.ts, one file each): resolve → CORS →
 * authenticate → admit → read input → claim idempotency → start → answer. A stage refuses by
 * throwing; what each refusal answers and counts is the one table of ../webhook/rejections.ts.
 */
export function hookRoutes(table: RouteTable, deps: HookDeps): void {
  /** `urls.version`: `/hooks/{token}/v{version}[/sync]`, exactly one published version (the other URLs pay one `false` test). */
  const accept = (urls: { sync: boolean; version: boolean }) => async (req: Request, res: Response) => {
    let stage: WebhookStage = 'resolve';
    /** The workspace's refusals answer like an unknown token (its anti-enumeration). */
    let masked = false;
    let workspaceId: string | null = null;
    try {
      const token = await resolveToken(deps.configCache, String(req.params.token));
      workspaceId = token.trigger.workspace_id;
      res.locals.workspace_id = workspaceId;
      masked = masksRefusals(token.workspace);
      const hook = await resolveHook(deps.configCache, token);
      // A version URL names a published version (from the workflow in memory): 404 / 410 here.
      const version = urls.version ? versionOf(hook, String(req.params.version)) : null;
      // A shared workflow is published (its receiver's trigger is never in a capture window).
      if (version === null && !hook.share && mayCaptureUnpublished(hook) && (await captureUnpublished(deps, req, hook)))
        return res.status(200).json({ captured: true });
      const target =
        version === null ? await resolveTarget(deps.runTargets, hook) : await resolveVersionTarget(deps.runTargets, hook, version);
      const webhook = target.definition.trigger.webhook;

      stage = 'cors';
      if (webhook.cors) {
        const cors = corsAnswer(webhook, {
          method: req.method,
          origin: req.get('origin'),
          requestMethod: req.get('access-control-request-method'),
          requestHeaders: req.get('access-control-request-headers'),
        });
        if (cors?.preflight) return res.status(204).set(cors.headers).end();
        if (cors) res.set(cors.headers);
      }

      stage = 'authenticate';
      const secrets = needsProductionSecrets(hook, webhook)
        ? ((await deps.configCache.productionTrigger(hook.workflow)) ?? hook.trigger)
        : hook.trigger;
      authenticate(webhook, req, secrets, deps.box, new Date());

      stage = 'admit';
      allowMethod(webhook, req.method);
      // A keyed bucket needs the input: such a webhook is admitted (every bucket) once it is read.
      const keyed = hasKeyedLimits(webhook);
      if (!keyed) res.set((await admit(deps.limiter, deps.limits, hook.trigger, webhook, hook.workspace?.rate_limit, { version })).headers);

      stage = 'read_input';
      const input = await readInput(deps, req, hook, target.definition);
      if (keyed) {
        stage = 'admit';
        res.set((await admit(deps.limiter, deps.limits, hook.trigger, webhook, hook.workspace?.rate_limit, { input, version })).headers);
      }

      stage = 'claim';
      const key = idempotencyKeyFor(webhook, hook.environment, input, version);
      const claim = key === null ? null : await deps.idempotency.claim(hook.workflow, key, new Date(), runWorkspaceOf(hook));
      if (claim?.replayed) res.set('Idempotent-Replayed', 'true');

      stage = 'start';
      const started = webhook.debounce
        ? await debounceWebhook(deps, webhook.debounce, hook.workflow, input, claim, target)
        : await startExecution(deps, hook.workflow, input, claim, target);
      // Without a cors config, an allowed OPTIONS runs the workflow and waits for its answer (its respond step).
      const sync = urls.sync || req.method === 'OPTIONS';
      deps.metrics.accepted.inc({ mode: sync ? 'sync' : 'async', workspace_id: deps.metrics.workspaces.of(workspaceId) });
      deps.logger.info(
        {
          execution_id: started.executionId,
          workflow_id: hook.workflow._id,
          workspace_id: workspaceId,
          environment: hook.environment,
          version_url: version ?? undefined, // logged for version URLs only (pino leaves undefined out)
          sync,
        },
        'webhook accepted',
      );

      stage = 'answer';
      await answer(deps, res, runWorkspaceOf(hook), started, sync);
    } catch (err) {
      const reason = countRejection(deps.metrics.rejected, deps.metrics.workspaces, stage, err, workspaceId);
      const unknown = reason === 'unknown_token' || (masked && reason !== null && isMaskable(reason));
      if (!unknown) throw err;
      if (deps.antiEnumeration) return res.status(200).json({ received: true });
      throw reason === 'unknown_token' ? err : rejection('unknown_token');
    }
  };

  const [asyncUrl, syncUrl] = [accept({ sync: false, version: false }), accept({ sync: true, version: false })];
  table.mount(hookSpecs.asyncPreflight, asyncUrl);
  table.mount(hookSpecs.async, asyncUrl);
  table.mount(hookSpecs.syncPreflight, syncUrl);
  table.mount(hookSpecs.sync, syncUrl);
  const [versionAsync, versionSync] = [accept({ sync: false, version: true }), accept({ sync: true, version: true })];
  table.mount(hookSpecs.versionPreflight, versionAsync);
  table.mount(hookSpecs.version, versionAsync);
  table.mount(hookSpecs.versionSyncPreflight, versionSync);
  table.mount(hookSpecs.versionSync, versionSync);
}

import { ApiError } from '@flowgate/contracts';
import { acceptedResponse, shapeSyncResponse, type SyncResponse } from '@flowgate/core';
import { sha256Hex, type Logger } from '@flowgate/kit';
import type { Collections } from '@flowgate/store';
import { Router, type Request, type Response } from 'express';
import type { ExecutionClient } from '../execution-client';
import type { IngressMetrics } from '../metrics';
import type { ExecutionStarter, Started } from '../starter';
import { outcomeViewOf } from '../views';
import { triggerInputOf } from '../webhook-input';

/**
 * Webhook URLs. `/hooks/{token}` answers 202 only once JetStream has acknowledged the start command
 * (an accepted webhook is never lost); `/hooks/{token}/sync` then follows the execution for up to
 * the trigger's sync timeout and answers with the shaped result.
 */
export interface HookDeps {
  store: Collections;
  starter: ExecutionStarter;
  executions: ExecutionClient;
  metrics: IngressMetrics;
  logger: Logger;
}

const TOKEN = /^wh_[A-Za-z0-9_-]{16,128}$/;

export function hookRoutes(deps: HookDeps): Router {
  const router = Router();

  const reject = (reason: string, error: ApiError): never => {
    deps.metrics.rejected.inc({ reason });
    throw error;
  };

  const send = (res: Response, r: SyncResponse) => {
    res.status(r.status).set(r.headers);
    const type = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'application/json';
    if (type.includes('json')) res.send(JSON.stringify(r.body ?? null));
    else res.send(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  };

  const accept = (sync: boolean) => async (req: Request, res: Response) => {
    const token = String(req.params.token);
    const trigger = TOKEN.test(token) ? await deps.store.triggers.findOne({ _id: sha256Hex(token) }) : null;
    if (!trigger) return reject('unknown_token', new ApiError('webhook_not_found', 'Webhook not found'));
    if (!trigger.enabled) return reject('disabled', new ApiError('trigger_disabled', 'This webhook is disabled'));
    const workflow = await deps.store.workflows.findOne({ _id: trigger.workflow_id, workspace_id: trigger.workspace_id });
    if (!workflow) return reject('unknown_workflow', new ApiError('webhook_not_found', 'Webhook not found'));
    if (workflow.published_version === null)
      return reject('not_published', new ApiError('workflow_not_published', 'The workflow has no published version'));
    const triggerInput = triggerInputOf(req);

    let started: Started;
    try {
      started = await deps.starter.start(workflow, triggerInput);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'dependency_unavailable') deps.metrics.rejected.inc({ reason: 'publish_failed' });
      throw err;
    }
    const { executionId, statusUrl, definition } = started;
    deps.metrics.accepted.inc({ mode: sync ? 'sync' : 'async' });
    deps.logger.info({ execution_id: executionId, workflow_id: workflow._id, sync }, 'webhook accepted');

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

  router.all('/hooks/:token', accept(false));
  router.all('/hooks/:token/sync', accept(true));
  return router;
}

import { randomUUID } from 'node:crypto';
import { ApiError, messageIds, type StartCommand, type Subjects } from '@flowgate/contracts';
import { acceptedResponse, shapeSyncResponse, validateDefinition, type SyncResponse, type WorkflowDefinition } from '@flowgate/core';
import { publishJson, sha256Hex, type JetStreamClient, type Logger } from '@flowgate/kit';
import { recordExecution, toJsonText, type Collections } from '@flowgate/store';
import { Router, type Request, type Response } from 'express';
import type { ExecutionClient } from '../execution-client';
import type { IngressMetrics } from '../metrics';
import { outcomeViewOf } from '../views';
import { triggerInputOf } from '../webhook-input';

/**
 * Webhook URLs. `/hooks/{token}` answers 202 only once JetStream has acknowledged the start command
 * (an accepted webhook is never lost); `/hooks/{token}/sync` then follows the execution for up to
 * the trigger's sync timeout and answers with the shaped result.
 */
export interface HookDeps {
  store: Collections;
  js: JetStreamClient;
  subjects: Subjects;
  executions: ExecutionClient;
  publicUrl: string;
  publishTimeoutMs: number;
  metrics: IngressMetrics;
  logger: Logger;
}

const TOKEN = /^wh_[A-Za-z0-9_-]{16,128}$/;

export function hookRoutes(deps: HookDeps): Router {
  const router = Router();
  const versions = new Map<string, WorkflowDefinition>();

  const reject = (reason: string, error: ApiError): never => {
    deps.metrics.rejected.inc({ reason });
    throw error;
  };

  const definitionOf = async (workflowId: string, version: number): Promise<WorkflowDefinition> => {
    const key = `${workflowId}:${version}`;
    const cached = versions.get(key);
    if (cached) return cached;
    const doc = await deps.store.workflowVersions.findOne({ _id: key });
    const parsed = doc ? validateDefinition(JSON.parse(doc.definition_json)) : null;
    if (!parsed?.ok) throw new ApiError('internal', 'Published workflow version unreadable');
    versions.set(key, parsed.definition);
    return parsed.definition;
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
    const definition = await definitionOf(workflow._id, workflow.published_version);
    const triggerInput = triggerInputOf(req);

    const executionId = randomUUID();
    const acceptedAt = new Date();
    const command: StartCommand = {
      type: 'start',
      execution_id: executionId,
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      workflow_version: workflow.published_version,
      trigger_input: triggerInput,
      accepted_at: acceptedAt.toISOString(),
    };
    try {
      await publishJson(
        deps.js,
        deps.subjects.command('start', workflow.workspace_id),
        command,
        messageIds.start(executionId),
        deps.publishTimeoutMs,
      );
    } catch (err) {
      deps.logger.warn({ err, workflow_id: workflow._id }, 'start command not acknowledged');
      return reject(
        'publish_failed',
        new ApiError('dependency_unavailable', 'Could not queue the execution; nothing was accepted, retry later'),
      );
    }
    deps.metrics.accepted.inc({ mode: sync ? 'sync' : 'async' });
    const statusUrl = `${deps.publicUrl}/v1/executions/${executionId}`;
    // Record it as queued right away so its status URL answers at once; the executor also records it.
    await recordExecution(deps.store.executions, {
      _id: executionId,
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      workflow_version: workflow.published_version,
      trigger_input_json: toJsonText(triggerInput),
      on_success_url: definition.on_success_url ?? null,
      on_failure_url: definition.on_failure_url ?? null,
      created_at: acceptedAt,
    }).catch((err: unknown) => deps.logger.warn({ err, execution_id: executionId }, 'could not record accepted execution'));
    deps.logger.info({ execution_id: executionId, workflow_id: workflow._id, sync }, 'webhook accepted');

    if (!sync) return send(res, acceptedResponse(executionId, statusUrl));
    const timeoutMs = definition.trigger.webhook.sync_timeout_s * 1000;
    const last = await deps.executions.watchUntil(workflow.workspace_id, executionId, timeoutMs);
    if (!last) return send(res, acceptedResponse(executionId, statusUrl));
    send(res, shapeSyncResponse(definition, outcomeViewOf(last, statusUrl)));
  };

  router.all('/hooks/:token', accept(false));
  router.all('/hooks/:token/sync', accept(true));
  return router;
}

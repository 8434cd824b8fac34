import { randomUUID } from 'node:crypto';
import { ApiError } from '@flowgate/contracts';
import { acceptedResponse, isTerminal, resolveParameters, type ExecutionStatus, type TriggerInput } from '@flowgate/core';
import type { Logger } from '@flowgate/kit';
import { findOwnedWorkflow, type Collections } from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { writable } from '../workflow-archive';
import { workflowPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure, httpMethod } from '../http/schemas';
import { accepted, execution } from '../schemas/executions';
import type { ExecutionClient } from '../execution-client';
import type { RunTargets } from '../run-targets';
import type { ExecutionStarter } from '../starter';
import { executionView } from '../views';

/**
 * `POST /v1/workflows/{id}/test`: runs the current draft (validated) with test JSON as if it came
 * to the development webhook, without the webhook's auth, rate limits or idempotency, and waits like
 * the sync URL (up to `sync_timeout_s`): 200 with the finished execution, else 202 with its status
 * URL. The execution is marked `test_run: true`, environment `development`, version 0.
 */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

const testRunBody = z
  .object({
    /** What the workflow sees as `trigger.body`. */
    body: z.unknown().optional(),
    query: z.record(z.string().max(256), z.union([z.string().max(8_192), z.array(z.string().max(8_192)).max(100)])).optional(),
    headers: z.record(z.string().regex(HEADER_NAME), z.string().max(8_192)).optional(),
    method: httpMethod.optional(),
  })
  .strict();

export const testRunSpecs = {
  run: route({
    method: 'post',
    path: '/v1/workflows/{id}/test',
    summary: 'Run the draft with test JSON and wait for it (up to the trigger sync timeout); marked test_run, environment development',
    security: { apiKey: 'workflows:write' },
    ...workflowPath,
    body: testRunBody,
    hint: 'Body must be {"body"?: any, "query"?: {name: string}, "headers"?: {name: string}, "method"?: string}',
    responses: {
      '200': { description: 'The finished execution', schema: execution },
      '202': { description: 'Still running', schema: accepted },
      '404': failure('workflow_not_found'),
      '409': failure('conflict: the workflow is archived (details.reason = workflow_archived)'),
      '422': failure('The draft is not a valid definition'),
      '429': failure('A workspace quota is used up (quota_exceeded)'),
    },
  }),
};

export function testRunRoutes(
  table: RouteTable,
  deps: {
    store: Collections;
    starter: ExecutionStarter;
    runTargets: RunTargets;
    executions: ExecutionClient;
    logger: Logger;
  },
): void {
  table.mount(testRunSpecs.run, async (req, res) => {
    const id = req.params.id;
    const workspaceId = workspaceOf(req);
    const workflow = await findOwnedWorkflow(deps.store.workflows, workspaceId, id);
    if (!workflow) throw new ApiError('workflow_not_found', `Workflow ${id} not found`);
    writable(workflow);
    const target = { ...(await deps.runTargets.resolve(workflow, 'development')), testRun: true };
    const webhook = target.definition.trigger.webhook;
    const body = req.body.body ?? null;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.body.headers ?? {})) headers[name.toLowerCase()] = value;
    const input: TriggerInput = {
      method: req.body.method ?? webhook.methods[0] ?? 'POST',
      path: `/v1/workflows/${workflow._id}/test`,
      query: req.body.query ?? {},
      headers: { 'content-type': 'application/json', ...headers },
      body,
      raw: typeof body === 'string' ? body : JSON.stringify(body),
    };
    if (webhook.parameters || webhook.body_parameter) {
      const resolved = resolveParameters(webhook.parameters, input, webhook.body_parameter);
      if (!resolved.ok) throw new ApiError(resolved.code, resolved.message, resolved.details);
      input.params = resolved.params;
    }
    const { executionId, statusUrl } = await deps.starter.start(workflow, input, null, randomUUID(), target);
    deps.logger.info({ execution_id: executionId, workflow_id: workflow._id }, 'test run started');
    const last = await deps.executions.watchUntil(workspaceId, executionId, webhook.sync_timeout_s * 1000).catch((err: unknown) => {
      deps.logger.warn({ err, execution_id: executionId }, 'could not follow the test run; answering 202');
      return null;
    });
    if (!last || !isTerminal(last.status as ExecutionStatus)) {
      const accepted = acceptedResponse(executionId, statusUrl, (last?.status as ExecutionStatus | undefined) ?? 'queued');
      return res.status(202).json(accepted.body);
    }
    const full = await deps.executions.get(workspaceId, executionId).catch(() => last);
    res.json(executionView(full, statusUrl));
  });
}

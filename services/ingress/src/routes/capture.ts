import { ApiError } from '@flowgate/contracts';
import { CAPTURE_DEFAULT_WINDOW_S, CAPTURE_MAX_WINDOW_S, captureStatusOf, inferParameters, type CapturedRequest } from '@flowgate/core';
import {
  findOwnedParameterCapture,
  findOwnedWorkflow,
  fromJsonText,
  type Collections,
  type ParameterCaptureDoc,
  type WorkflowDoc,
} from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { writable } from '../workflow-archive';
import { workflowPath } from '../http/resource-params';
import { route, type RouteTable } from '../http/route';
import { failure } from '../http/schemas';
import { parameterCapture } from '../schemas/webhooks';
import { startCapture } from '../capture';
import type { ConfigChanges } from '../config-cache';

/**
 * `POST /v1/workflows/{id}/parameters/capture` opens a listening window (default 3 min, at most
 * 10 min) on the workflow's webhooks; `GET` tells whether the next request has been captured and,
 * if so, returns it (credentials stripped) with the parameter schema inferred from its body.
 */
export const captureSpecs = {
  start: route({
    method: 'post',
    path: '/v1/workflows/{id}/parameters/capture',
    summary: "Listen for the next request to the workflow's webhooks and keep it as a parameter sample",
    description:
      `Opens (or restarts) a window of window_s seconds (default ${CAPTURE_DEFAULT_WINDOW_S}, max ${CAPTURE_MAX_WINDOW_S}). The first webhook request in it, on any replica, is ` +
      'captured; it still runs normally, or, if the workflow has no published version, is answered 200 {"captured": true}.',
    security: { apiKey: 'workflows:write' },
    ...workflowPath,
    body: z.object({ window_s: z.number().int().min(1).max(CAPTURE_MAX_WINDOW_S).default(CAPTURE_DEFAULT_WINDOW_S) }).strict(),
    hint: 'Invalid capture request',
    responses: {
      '201': { description: 'Listening', schema: parameterCapture },
      '404': failure('workflow_not_found'),
      '409': failure('conflict: the workflow is archived (details.reason = workflow_archived)'),
    },
  }),
  get: route({
    method: 'get',
    path: '/v1/workflows/{id}/parameters/capture',
    summary: 'The capture: listening, captured (with the request and the inferred parameters) or expired',
    security: { apiKey: 'workflows:read' },
    ...workflowPath,
    responses: {
      '200': { description: 'Capture', schema: parameterCapture },
      '404': failure('workflow_not_found, or no capture (not_found)'),
    },
  }),
};

function viewOf(doc: ParameterCaptureDoc, now: Date) {
  const request = doc.request_json ? (fromJsonText(doc.request_json) as CapturedRequest) : null;
  return {
    workflow_id: doc._id,
    status: captureStatusOf(doc, now),
    started_at: doc.started_at.toISOString(),
    expires_at: doc.expires_at.toISOString(),
    captured_at: doc.captured_at?.toISOString() ?? null,
    request,
    parameters: request ? inferParameters(request.body) : null,
  };
}

export function captureRoutes(table: RouteTable, deps: { store: Collections; configChanges: ConfigChanges }): void {
  const workflowOf = async (req: { params: { id: string } }): Promise<WorkflowDoc> => {
    const id = req.params.id;
    const workflow = await findOwnedWorkflow(deps.store.workflows, workspaceOf(req), id);
    if (!workflow) throw new ApiError('workflow_not_found', `Workflow ${id} not found`);
    return workflow;
  };

  table.mount(captureSpecs.start, async (req, res) => {
    const workflow = writable(await workflowOf(req));
    const now = new Date();
    res.status(201).json(viewOf(await startCapture(deps.store, deps.configChanges, workflow, req.body.window_s, now), now));
  });

  table.mount(captureSpecs.get, async (req, res) => {
    const workflow = await workflowOf(req);
    const doc = await findOwnedParameterCapture(deps.store.parameterCaptures, workflow.workspace_id, workflow._id);
    if (!doc) throw new ApiError('not_found', 'No parameter capture was started for this workflow');
    res.json(viewOf(doc, new Date()));
  });
}

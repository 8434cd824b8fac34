import { ApiError } from '@flowgate/contracts';
import { CAPTURE_DEFAULT_WINDOW_S, CAPTURE_MAX_WINDOW_S, captureStatusOf, inferParameters, type CapturedRequest } from '@flowgate/core';
import { fromJsonText, type Collections, type ParameterCaptureDoc, type WorkflowDoc } from '@flowgate/store';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { startCapture } from '../capture';
import type { ConfigChanges } from '../config-cache';

/**
 * `POST /v1/workflows/{id}/parameters/capture` opens a listening window (default 3 min, at most
 * 10 min) on the workflow's webhooks; `GET` tells whether the next request has been captured and,
 * if so, returns it (credentials stripped) with the parameter schema inferred from its body.
 */
const startBody = z.object({ window_s: z.number().int().min(1).max(CAPTURE_MAX_WINDOW_S).default(CAPTURE_DEFAULT_WINDOW_S) }).strict();

const WORKFLOW_ID = /^wf_[A-Za-z0-9]{8,64}$/;

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

export function captureRoutes(deps: { store: Collections; configChanges: ConfigChanges }): Router {
  const router = Router();
  const workflowOf = async (req: Request): Promise<WorkflowDoc> => {
    const id = String(req.params.id);
    const workflow = WORKFLOW_ID.test(id) ? await deps.store.workflows.findOne({ _id: id, workspace_id: workspaceOf(req) }) : null;
    if (!workflow) throw new ApiError('workflow_not_found', `Workflow ${id} not found`);
    return workflow;
  };

  router.post('/v1/workflows/:id/parameters/capture', async (req, res) => {
    const parsed = startBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
      throw new ApiError('invalid_request', `Invalid capture request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {
        errors,
      });
    }
    const workflow = await workflowOf(req);
    const now = new Date();
    res.status(201).json(viewOf(await startCapture(deps.store, deps.configChanges, workflow, parsed.data.window_s, now), now));
  });

  router.get('/v1/workflows/:id/parameters/capture', async (req, res) => {
    const workflow = await workflowOf(req);
    const doc = await deps.store.parameterCaptures.findOne({ _id: workflow._id, workspace_id: workflow.workspace_id });
    if (!doc) throw new ApiError('not_found', 'No parameter capture was started for this workflow');
    res.json(viewOf(doc, new Date()));
  });
  return router;
}

import { ApiError } from '@flowgate/contracts';
import { EXECUTION_STATUSES } from '@flowgate/core';
import { z } from 'zod';
import { Router, type Request } from 'express';
import { workspaceOf } from '../auth';
import type { ExecutionClient } from '../execution-client';
import { executionView } from '../views';

/** `/v1/executions` (list), `/{id}` and `/{id}/cancel`: ingress → gRPC → execution service. */
const listQuery = z
  .object({
    workflow_id: z
      .string()
      .regex(/^wf_[A-Za-z0-9]{8,64}$/, 'must be a workflow id')
      .optional(),
    status: z
      .string()
      .transform((v) => v.split(','))
      .pipe(z.array(z.enum(EXECUTION_STATUSES)))
      .optional(),
    created_after: z.iso.datetime({ offset: true }).optional(),
    created_before: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional(),
  })
  .strict();

const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function executionRoutes(deps: { executions: ExecutionClient; publicUrl: string }): Router {
  const router = Router();
  const executionId = (req: Request): string => {
    const id = String(req.params.id);
    if (!EXECUTION_ID.test(id)) throw new ApiError('execution_not_found', `Execution ${id} not found`);
    return id;
  };
  const statusUrl = (id: string) => `${deps.publicUrl}/v1/executions/${id}`;

  router.get('/v1/executions', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ parameter: String(i.path[0] ?? ''), message: i.message }));
      throw new ApiError('invalid_request', `Invalid query: ${errors.map((e) => `${e.parameter}: ${e.message}`).join('; ')}`, { errors });
    }
    const q = parsed.data;
    const page = await deps.executions.list({
      workspaceId: workspaceOf(req),
      workflowId: q.workflow_id ?? '',
      status: q.status ?? [],
      createdAfter: q.created_after ?? '',
      createdBefore: q.created_before ?? '',
      limit: q.limit,
      cursor: q.cursor ?? '',
    });
    res.json({
      data: page.executions.map((e) => {
        const { step_executions: _steps, ...summary } = executionView(e, statusUrl(e.id));
        return summary;
      }),
      next_cursor: page.nextCursor || null,
    });
  });

  router.get('/v1/executions/:id', async (req, res) => {
    const id = executionId(req);
    res.json(executionView(await deps.executions.get(workspaceOf(req), id), statusUrl(id)));
  });

  router.post('/v1/executions/:id/cancel', async (req, res) => {
    const id = executionId(req);
    res.json(executionView(await deps.executions.cancel(workspaceOf(req), id), statusUrl(id)));
  });
  return router;
}

import { ApiError } from '@flowgate/contracts';
import { Router, type Request } from 'express';
import { workspaceOf } from '../auth';
import type { ExecutionClient } from '../execution-client';
import { executionView } from '../views';

/** `/v1/executions/{id}` and `/cancel`: ingress → gRPC → execution service. */
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function executionRoutes(deps: { executions: ExecutionClient; publicUrl: string }): Router {
  const router = Router();
  const executionId = (req: Request): string => {
    const id = String(req.params.id);
    if (!EXECUTION_ID.test(id)) throw new ApiError('execution_not_found', `Execution ${id} not found`);
    return id;
  };
  const statusUrl = (id: string) => `${deps.publicUrl}/v1/executions/${id}`;

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

import { ApiError } from '@flowgate/contracts';
import { Router } from 'express';
import { workspaceOf } from '../auth';
import type { ExecutionClient } from '../execution-client';
import { executionView } from '../views';

/** `/v1/executions/{id}`: ingress → gRPC → execution service. */
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function executionRoutes(deps: { executions: ExecutionClient; publicUrl: string }): Router {
  const router = Router();
  router.get('/v1/executions/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!EXECUTION_ID.test(id)) throw new ApiError('execution_not_found', `Execution ${id} not found`);
    const execution = await deps.executions.get(workspaceOf(req), id);
    res.json(executionView(execution, `${deps.publicUrl}/v1/executions/${id}`));
  });
  return router;
}

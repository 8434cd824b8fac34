import { ApiError } from '@flowgate/contracts';
import type { WorkflowDoc } from '@flowgate/store';

/**
 * An archived workflow (DELETE /v1/workflows/{id}) is read-only: its history stays readable, but
 * every write of it or start through the API is refused `409 conflict` (`details.reason =
 * workflow_archived`). Its webhooks answer `410 workflow_archived` (webhook/resolve.ts).
 */
export function writable<T extends Pick<WorkflowDoc, '_id' | 'archived_at'>>(workflow: T): T {
  if (workflow.archived_at)
    throw new ApiError('conflict', `Workflow ${workflow._id} is archived; it cannot be changed or started`, {
      reason: 'workflow_archived',
      archived_at: workflow.archived_at.toISOString(),
    });
  return workflow;
}

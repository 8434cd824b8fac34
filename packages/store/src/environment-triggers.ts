import type { Filter } from 'mongodb';
import type { TriggerDoc } from './documents';

/**
 * A workflow's production trigger: the one with `environment: production`, or without the field
 * (triggers made before environments). It also holds the webhook auth secrets of all environments.
 */
export function productionTriggerFilter(workflowId: string, workspaceId: string): Filter<TriggerDoc> {
  return { workflow_id: workflowId, workspace_id: workspaceId, environment: { $nin: ['development', 'staging'] } };
}

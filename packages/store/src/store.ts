import type { Collection, Db } from 'mongodb';
import type {
  ApiKeyDoc,
  DeadLetterDoc,
  DeliveryDoc,
  ExecutionDoc,
  StepExecutionDoc,
  TimerDoc,
  TriggerDoc,
  WorkflowContextDoc,
  WorkflowDoc,
  WorkflowVersionDoc,
  WorkspaceDoc,
} from './documents';

/** Typed collections. Portable to MongoDB ≥ 6 and FerretDB 1.x: no transactions, TTL, partial indexes. */
export interface Collections {
  workspaces: Collection<WorkspaceDoc>;
  apiKeys: Collection<ApiKeyDoc>;
  workflows: Collection<WorkflowDoc>;
  workflowVersions: Collection<WorkflowVersionDoc>;
  triggers: Collection<TriggerDoc>;
  executions: Collection<ExecutionDoc>;
  stepExecutions: Collection<StepExecutionDoc>;
  timers: Collection<TimerDoc>;
  deliveries: Collection<DeliveryDoc>;
  deadLetters: Collection<DeadLetterDoc>;
  workflowContext: Collection<WorkflowContextDoc>;
}

export function collections(db: Db): Collections {
  return {
    workspaces: db.collection<WorkspaceDoc>('workspaces'),
    apiKeys: db.collection<ApiKeyDoc>('api_keys'),
    workflows: db.collection<WorkflowDoc>('workflows'),
    workflowVersions: db.collection<WorkflowVersionDoc>('workflow_versions'),
    triggers: db.collection<TriggerDoc>('triggers'),
    executions: db.collection<ExecutionDoc>('executions'),
    stepExecutions: db.collection<StepExecutionDoc>('step_executions'),
    timers: db.collection<TimerDoc>('timers'),
    deliveries: db.collection<DeliveryDoc>('deliveries'),
    deadLetters: db.collection<DeadLetterDoc>('dead_letters'),
    workflowContext: db.collection<WorkflowContextDoc>('workflow_context'),
  };
}

/** Creates every index (idempotent; each service calls it at start-up). */
export async function ensureIndexes(c: Collections): Promise<void> {
  await Promise.all([
    c.apiKeys.createIndex({ key_hash: 1 }, { unique: true, name: 'key_hash_unique' }),
    c.workflows.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.workflowVersions.createIndex({ workflow_id: 1, version: -1 }, { name: 'workflow_version' }),
    c.triggers.createIndex({ workflow_id: 1 }, { name: 'workflow' }),
    c.executions.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.stepExecutions.createIndex({ execution_id: 1, seq: 1 }, { name: 'execution_seq' }),
    c.timers.createIndex({ status: 1, due_at: 1 }, { name: 'status_due' }),
    c.workflowContext.createIndex({ workflow_id: 1 }, { name: 'workflow' }),
    c.deliveries.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
  ]);
}

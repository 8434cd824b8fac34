import type { Collection, Db } from 'mongodb';
import { adaptToServer } from './executions';
import type {
  ApiKeyDoc,
  CallbackSecretsDoc,
  DeadLetterDoc,
  DeliveryDoc,
  ExecutionDoc,
  StepExecutionDoc,
  TimerDoc,
  ScheduleDoc,
  TriggerDoc,
  WaitTokenDoc,
  WorkflowContextDoc,
  WorkflowDoc,
  ParameterCaptureDoc,
  WorkflowDraftDoc,
  WorkflowVersionDoc,
  WorkspaceDoc,
  SourceDoc,
  PayloadChunkDoc,
  ShareDoc,
  BulkJobDoc,
} from './documents';

/** Typed collections. Portable to MongoDB ≥ 6 and FerretDB 1.x: no transactions, TTL, partial indexes. */
export interface Collections {
  workspaces: Collection<WorkspaceDoc>;
  apiKeys: Collection<ApiKeyDoc>;
  workflows: Collection<WorkflowDoc>;
  workflowVersions: Collection<WorkflowVersionDoc>;
  /** Draft snapshots run by development webhooks and test runs (content-addressed, immutable). */
  workflowDrafts: Collection<WorkflowDraftDoc>;
  triggers: Collection<TriggerDoc>;
  executions: Collection<ExecutionDoc>;
  stepExecutions: Collection<StepExecutionDoc>;
  timers: Collection<TimerDoc>;
  deliveries: Collection<DeliveryDoc>;
  deadLetters: Collection<DeadLetterDoc>;
  workflowContext: Collection<WorkflowContextDoc>;
  parameterCaptures: Collection<ParameterCaptureDoc>;
  waitTokens: Collection<WaitTokenDoc>;
  schedules: Collection<ScheduleDoc>;
  callbackSecrets: Collection<CallbackSecretsDoc>;
  sources: Collection<SourceDoc>;
  payloads: Collection<PayloadChunkDoc>;
  /** Workflows shared with other workspaces (ADR 0017). */
  shares: Collection<ShareDoc>;
  /** Bulk replay / cancel jobs (bulk-jobs.ts). */
  bulkJobs: Collection<BulkJobDoc>;
}

const dbOf = new WeakMap<Collections, Db>();

export function collections(db: Db): Collections {
  const c: Collections = {
    workspaces: db.collection<WorkspaceDoc>('workspaces'),
    apiKeys: db.collection<ApiKeyDoc>('api_keys'),
    workflows: db.collection<WorkflowDoc>('workflows'),
    workflowVersions: db.collection<WorkflowVersionDoc>('workflow_versions'),
    workflowDrafts: db.collection<WorkflowDraftDoc>('workflow_drafts'),
    triggers: db.collection<TriggerDoc>('triggers'),
    executions: db.collection<ExecutionDoc>('executions'),
    stepExecutions: db.collection<StepExecutionDoc>('step_executions'),
    timers: db.collection<TimerDoc>('timers'),
    deliveries: db.collection<DeliveryDoc>('deliveries'),
    deadLetters: db.collection<DeadLetterDoc>('dead_letters'),
    workflowContext: db.collection<WorkflowContextDoc>('workflow_context'),
    parameterCaptures: db.collection<ParameterCaptureDoc>('parameter_captures'),
    waitTokens: db.collection<WaitTokenDoc>('wait_tokens'),
    schedules: db.collection<ScheduleDoc>('schedules'),
    callbackSecrets: db.collection<CallbackSecretsDoc>('callback_secrets'),
    sources: db.collection<SourceDoc>('sources'),
    payloads: db.collection<PayloadChunkDoc>('payloads'),
    shares: db.collection<ShareDoc>('shares'),
    bulkJobs: db.collection<BulkJobDoc>('bulk_jobs'),
  };
  dbOf.set(c, db);
  return c;
}

/** Creates every index and adapts to the server (idempotent; each service calls it at start-up). */
export async function ensureIndexes(c: Collections): Promise<void> {
  const db = dbOf.get(c);
  if (db) await adaptToServer(db, c);
  await Promise.all([
    c.apiKeys.createIndex({ key_hash: 1 }, { unique: true, name: 'key_hash_unique' }),
    c.workflows.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.workflowVersions.createIndex({ workflow_id: 1, version: -1 }, { name: 'workflow_version' }),
    c.triggers.createIndex({ workflow_id: 1 }, { name: 'workflow' }),
    c.executions.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.stepExecutions.createIndex({ execution_id: 1, seq: 1 }, { name: 'execution_seq' }),
    c.timers.createIndex({ status: 1, due_at: 1 }, { name: 'status_due' }),
    c.executions.createIndex({ workflow_id: 1, status: 1, created_at: 1 }, { name: 'workflow_status_created' }),
    c.workflowContext.createIndex({ workflow_id: 1 }, { name: 'workflow' }),
    c.waitTokens.createIndex({ execution_id: 1 }, { name: 'execution' }),
    c.schedules.createIndex({ paused: 1, next_fire_at: 1 }, { name: 'paused_next_fire' }),
    c.timers.createIndex({ execution_id: 1 }, { name: 'execution' }),
    c.deliveries.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.deliveries.createIndex({ execution_id: 1 }, { name: 'execution' }),
    c.deadLetters.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.apiKeys.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.sources.createIndex({ token_hash: 1 }, { unique: true, name: 'token_hash_unique' }),
    c.sources.createIndex({ workspace_id: 1, created_at: -1 }, { name: 'workspace_created' }),
    c.workflows.createIndex({ workspace_id: 1, source_id: 1 }, { name: 'workspace_source' }),
    // Parallel-executions quota: counts a workspace's executions that have not ended.
    c.executions.createIndex({ workspace_id: 1, status: 1 }, { name: 'workspace_status' }),
    c.payloads.createIndex({ payload_id: 1, seq: 1 }, { name: 'payload_seq' }),
    c.shares.createIndex({ workflow_id: 1 }, { name: 'workflow' }),
    c.shares.createIndex({ receiver_workspace_id: 1 }, { name: 'receiver' }),
    // Retention (ADR 0020): the sweeper reads the workflows that override their workspace's days.
    c.workflows.createIndex({ retention_days: 1 }, { name: 'retention_days' }),
  ]);
}

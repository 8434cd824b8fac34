import type { components } from './generated/openapi';

/** The API's named schemas, as the client's users most often need them. */
type Schemas = components['schemas'];
export type Workflow = Schemas['Workflow'];
export type WorkflowDefinition = Schemas['WorkflowDefinition'];
export type WorkflowVersion = Schemas['WorkflowVersion'];
export type EnvironmentTrigger = Schemas['EnvironmentTrigger'];
export type Execution = Schemas['Execution'];
export type ExecutionSummary = Schemas['ExecutionSummary'];
export type StepExecution = Execution['step_executions'][number];
export type ExecutionStatus = Execution['status'];

/** The statuses an execution ends in. */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

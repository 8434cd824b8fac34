/**
 * @flowgate/client: the typed Flowgate API client (also for users' own code).
 *
 * - `createFlowgateClient({ baseUrl, apiKey })` → an openapi-fetch client typed by the generated
 *   `paths` (`client.GET('/v1/workflows/{id}', { params: { path: { id } } })`).
 * - `unwrap(call)` → the data, or a thrown `FlowgateApiError` (`status`, `code`, `details`).
 * - `followExecution({ baseUrl, apiKey, executionId, onStep, onExecution })` → follows an
 *   execution's event stream until it ends; resolves with its final status.
 * - Types: `paths`, `components` (generated), and the named schemas (`Workflow`, `Execution`, …).
 */
export { createFlowgateClient, unwrap, type FlowgateClient, type FlowgateClientOptions } from './client';
export { apiErrorOf, FlowgateApiError, isErrorBody, type ErrorBody } from './errors';
export { followExecution, type FollowOptions } from './events';
export {
  TERMINAL_STATUSES,
  type EnvironmentTrigger,
  type Execution,
  type ExecutionStatus,
  type ExecutionSummary,
  type StepExecution,
  type Workflow,
  type WorkflowDefinition,
  type WorkflowVersion,
} from './schemas';
export type { components, paths } from './generated/openapi';

import type { Execution } from '@flowgate/contracts';
import type { ExecutionDoc, StepExecutionDoc } from '@flowgate/store';

/** The gRPC view of an execution: user JSON stays JSON text. */
export function toExecutionMessage(doc: ExecutionDoc, steps: StepExecutionDoc[]): Execution {
  return {
    id: doc._id,
    workspaceId: doc.workspace_id,
    workflowId: doc.workflow_id,
    workflowVersion: doc.workflow_version,
    status: doc.status,
    triggerInputJson: doc.trigger_input_json,
    stepExecutions: steps.map((s) => ({
      stepId: s.step_id,
      type: s.type,
      attempt: s.attempt,
      status: s.status,
      inputJson: s.input_json ?? '',
      outputJson: s.output_json ?? '',
      error: s.error ? { code: s.error.code, message: s.error.message, stepId: s.error.step_id ?? '' } : null,
      startedAt: s.started_at.toISOString(),
      finishedAt: s.finished_at?.toISOString() ?? '',
    })),
    finalOutputJson: doc.final_output_json ?? '',
    error: doc.error ? { code: doc.error.code, message: doc.error.message, stepId: doc.error.step_id ?? '' } : null,
    outputsJson: doc.outputs_json,
    stepOrder: doc.order,
    responseJson: doc.response_json ?? '',
    createdAt: doc.created_at.toISOString(),
    startedAt: doc.started_at?.toISOString() ?? '',
    finishedAt: doc.finished_at?.toISOString() ?? '',
    replayOf: doc.replay_of ?? '',
    replayFromStep: doc.replay_from_step ?? '',
    concurrencyKeys: doc.concurrency_keys ?? [],
    waitingReason: doc.waiting_reason ?? '',
    waitingPayloadJson: doc.waiting_payload ? JSON.stringify(doc.waiting_payload) : '',
    waitingExpiresAt: doc.waiting_expires_at?.toISOString() ?? '',
    environment: doc.environment ?? 'production',
    testRun: doc.test_run ?? false,
    revision: doc.revision,
    triggerInputRef: doc.trigger_input_ref ?? '',
  };
}

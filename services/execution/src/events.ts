import { messageIds, type ExecutionEvent, type Subjects } from '@flowgate/contracts';
import { publishJson, type JetStreamClient } from '@flowgate/kit';
import type { ExecutionDoc } from '@flowgate/store';

/** Publishes an execution's current status as an event; the message id makes re-publishing harmless. */
export async function publishExecutionEvent(js: JetStreamClient, subjects: Subjects, doc: ExecutionDoc): Promise<void> {
  const event: ExecutionEvent = {
    event_id: messageIds.executionEvent(doc._id, doc.status, doc.step_seq),
    execution_id: doc._id,
    workspace_id: doc.workspace_id,
    workflow_id: doc.workflow_id,
    workflow_version: doc.workflow_version,
    status: doc.status,
    final_output_json: doc.final_output_json,
    error: doc.error,
    created_at: doc.created_at.toISOString(),
    started_at: doc.started_at?.toISOString() ?? null,
    finished_at: doc.finished_at?.toISOString() ?? null,
    on_success_url: doc.on_success_url,
    on_failure_url: doc.on_failure_url,
    waiting_reason: doc.waiting_reason ?? null,
    waiting_payload: doc.waiting_payload ?? null,
    waiting_expires_at: doc.waiting_expires_at?.toISOString() ?? null,
    on_approval_required_url: doc.on_approval_required_url ?? null,
    step_seq: doc.step_seq,
  };
  await publishJson(js, subjects.executionEvent(doc.workspace_id, doc.status), event, event.event_id);
}

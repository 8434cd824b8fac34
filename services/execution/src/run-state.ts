import type { RunState, SyncResponse } from '@flowgate/core';
import { fromJsonText, toJsonText, type ExecutionDoc } from '@flowgate/store';

/** Converts between the stored execution document and the core's run state. */
export function runStateOf(doc: ExecutionDoc): RunState {
  return {
    status: doc.status,
    cursor: doc.cursor,
    outputs: fromJsonText(doc.outputs_json) as Record<string, unknown>,
    order: doc.order,
    context: fromJsonText(doc.context_json) as Record<string, unknown>,
    response: fromJsonText(doc.response_json) as SyncResponse | null,
    finalOutput: fromJsonText(doc.final_output_json),
    error: doc.error,
  };
}

export function docChangesOf(state: RunState): Partial<ExecutionDoc> {
  return {
    status: state.status,
    cursor: state.cursor,
    outputs_json: toJsonText(state.outputs),
    order: state.order,
    context_json: toJsonText(state.context),
    response_json: state.response === null ? null : toJsonText(state.response),
    final_output_json: state.status === 'succeeded' ? toJsonText(state.finalOutput) : null,
    error: state.error,
  };
}

import type { WorkflowDefinition } from './definition';
import type { ExecutionErrorInfo, ExecutionStatus, SyncResponse } from './execution';
import { isTerminal } from './execution';

/** Shapes what a webhook caller receives, from the trigger's response config and the execution. */

export interface ExecutionOutcomeView {
  executionId: string;
  status: ExecutionStatus;
  statusUrl: string;
  outputs: Record<string, unknown>;
  order: string[];
  response: SyncResponse | null;
  finalOutput: unknown;
  error: ExecutionErrorInfo | null;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function acceptedResponse(executionId: string, statusUrl: string, status: ExecutionStatus = 'queued'): SyncResponse {
  return { status: 202, headers: JSON_HEADERS, body: { execution_id: executionId, status, status_url: statusUrl } };
}

export function shapeSyncResponse(def: WorkflowDefinition, view: ExecutionOutcomeView): SyncResponse {
  if (!isTerminal(view.status)) return acceptedResponse(view.executionId, view.statusUrl, view.status);
  if (view.status !== 'succeeded') {
    return {
      status: 200,
      headers: JSON_HEADERS,
      body: { execution_id: view.executionId, status: view.status, message: view.error?.message ?? `execution ${view.status}` },
    };
  }
  if (view.response) return view.response;
  const config = def.trigger.webhook.response;
  const headers = { ...JSON_HEADERS, ...(config.headers ?? {}) };
  const status = config.status ?? 200;
  switch (config.mode) {
    case 'minimal':
      return { status, headers, body: { execution_id: view.executionId, status: view.status } };
    case 'last_step':
      return { status, headers, body: view.finalOutput };
    case 'step':
      return { status, headers, body: config.step === undefined ? null : (view.outputs[config.step] ?? null) };
    case 'all_steps': {
      const body: Record<string, { name: string; output: unknown }> = {};
      for (const id of view.order) {
        const step = def.steps.find((s) => s.id === id);
        body[id] = { name: step?.name ?? id, output: view.outputs[id] };
      }
      return { status, headers, body };
    }
  }
}

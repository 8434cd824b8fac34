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

/** `debounced`: held in a debounce window (trigger.webhook.debounce); the execution starts when the window fires. */
export function acceptedResponse(executionId: string, statusUrl: string, status: ExecutionStatus | 'debounced' = 'queued'): SyncResponse {
  return { status: 202, headers: JSON_HEADERS, body: { execution_id: executionId, status, status_url: statusUrl } };
}

/**
 * The sync answer: the first `respond` step's once it ran — whether the run has ended, goes on (a
 * `respond` with `next`) or failed after it —, else 202 while the run has not ended, else the
 * failure or the result the trigger's response config shapes.
 */
export function shapeSyncResponse(def: WorkflowDefinition, view: ExecutionOutcomeView): SyncResponse {
  if (view.response) return { ...view.response, headers: lowerCaseHeaders(view.response.headers) };
  if (!isTerminal(view.status)) return acceptedResponse(view.executionId, view.statusUrl, view.status);
  if (view.status !== 'succeeded') {
    return {
      status: def.trigger.webhook.response.failure_status ?? 200,
      headers: JSON_HEADERS,
      body: { execution_id: view.executionId, status: view.status, message: view.error?.message ?? `execution ${view.status}` },
    };
  }
  const config = def.trigger.webhook.response;
  const headers = { ...JSON_HEADERS, ...lowerCaseHeaders(config.headers ?? {}) };
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

/** Header names lower-cased (HTTP names are case-insensitive), so a configured `Content-Type` replaces the default. */
export function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** A shaped response as bytes on the wire: its headers and body text. */
export interface EncodedResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Encodes a shaped response. JSON types (default) carry the body as JSON; any other type
 * (text/plain, text/csv, text/html, text/xml, …) sends a string body as is and anything else as
 * JSON text. `nosniff` always; an HTML answer is sandboxed (no access to the webhook host's
 * origin) unless the workflow sets its own Content-Security-Policy.
 */
export function encodeSyncResponse(r: SyncResponse): EncodedResponse {
  const headers = lowerCaseHeaders(r.headers);
  headers['content-type'] ??= 'application/json';
  headers['x-content-type-options'] = 'nosniff';
  const type = (headers['content-type'].split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'text/html') headers['content-security-policy'] ??= 'sandbox allow-scripts allow-forms allow-popups';
  const isJson = type === 'application/json' || type.endsWith('+json');
  const text = !isJson && typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? null);
  return { status: r.status, headers, text };
}

/** Execution statuses and the data every execution carries. */
export const EXECUTION_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** What the workflow sees as `trigger.*`. */
export interface TriggerInput {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  /** Typed webhook parameters, when the trigger declares them. */
  params?: Record<string, unknown>;
  /** The body exactly as received: UTF-8 text, or base64 for multipart and binary bodies (see content-type.ts). */
  raw?: string;
}

export interface ExecutionErrorInfo {
  code: string;
  message: string;
  step_id?: string;
}

export interface SyncResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Flowgate answers every refusal in one shape, `{"error": {"code", "message", "details"?}}`;
 * the client turns it into a `FlowgateApiError` whose `code` is the API's (`workflow_not_found`,
 * `invalid_workflow_definition`, …). An answer without that shape keeps its HTTP status as the code
 * (`http_502`); a request that never got an answer is `network_error`.
 */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export class FlowgateApiError extends Error {
  override readonly name = 'FlowgateApiError';
  constructor(
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The error in Flowgate's shape (what `--output json` prints). */
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** The error an answer with status `status` and (parsed) body `body` stands for. */
export function apiErrorOf(status: number, body: unknown): FlowgateApiError {
  if (isErrorBody(body)) return new FlowgateApiError(status, body.error.code, body.error.message, body.error.details);
  const text = typeof body === 'string' ? body.slice(0, 200) : '';
  return new FlowgateApiError(status, `http_${status}`, `HTTP ${status}${text ? `: ${text}` : ''}`);
}

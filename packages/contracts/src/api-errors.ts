/** The one error shape of the public API and the HTTP status of each error code. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  missing_parameters: 400,
  invalid_parameters: 400,
  unauthorized: 401,
  invalid_signature: 401,
  forbidden: 403,
  trigger_disabled: 403,
  workspace_suspended: 403,
  not_found: 404,
  workflow_not_found: 404,
  execution_not_found: 404,
  webhook_not_found: 404,
  workflow_not_published: 404,
  wait_not_found: 404,
  delivery_not_found: 404,
  api_key_not_found: 404,
  source_not_found: 404,
  workspace_not_found: 404,
  share_not_found: 404,
  dead_letter_not_found: 404,
  /** A version URL (`/hooks/{token}/v{n}`) or version route naming a version that was never published. */
  version_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  workflow_archived: 410,
  /** A retired version's URL (POST /v1/workflows/{id}/versions/{version}/retire); nothing queued. */
  version_retired: 410,
  conflict: 409,
  wait_already_resumed: 409,
  delivery_pending: 409,
  /** Retiring the version production (the latest published) or staging (its pin) runs. */
  version_in_use: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  invalid_workflow_definition: 422,
  rate_limited: 429,
  quota_exceeded: 429,
  internal: 500,
  dependency_unavailable: 503,
  timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Response headers that go with the error (e.g. Retry-After on 429). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

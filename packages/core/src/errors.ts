/** Typed domain errors. Every error carries a stable `code` that the edges map to HTTP / gRPC. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** A template referenced a path that does not exist in its scope. */
export class TemplateError extends DomainError {
  constructor(message: string, details: { path: string; step_id?: string }) {
    super('template_path_missing', message, details);
    this.name = 'TemplateError';
  }
}

/** A JSONata transform or condition failed to compile, threw, or exceeded its bounds. */
export class ExpressionError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('expression_failed', message, details);
    this.name = 'ExpressionError';
  }
}

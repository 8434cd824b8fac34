/**
 * Responses every operation can give, whatever its route does: added to each operation of the
 * OpenAPI document unless it documents them itself, so the document stays true for the limits
 * enforced before any route runs (request-limits.ts, body parsers, API-key check, error handler).
 */
const error = { $ref: '#/components/responses/Error' };
const WITH_BODY = new Set(['post', 'put', 'patch']);
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const common = (path: string, method: string): Record<string, unknown> => ({
  '400': { description: 'Malformed request: HTTP syntax, JSON (or nested deeper than the limit), UTF-8', ...error },
  '408': { description: 'The request was not received within the server request timeout (connection closed)', ...error },
  '431': { description: 'Too many request headers, or a header block larger than the limit', ...error },
  '500': { description: 'A bug (never a stack trace)', ...error },
  '503': { description: 'A dependency (MongoDB, NATS, execution service) is unavailable; nothing was changed', ...error },
  ...(path.startsWith('/v1/')
    ? {
        '401': { description: 'Missing, unknown or revoked API key', ...error },
        '403': { description: 'The API key lacks the scope this route needs (forbidden)', ...error },
      }
    : {}),
  ...(WITH_BODY.has(method) ? { '413': { description: 'Request body larger than the limit', ...error } } : {}),
  ...(WITH_BODY.has(method) && path.startsWith('/v1/') ? { '415': { description: 'Unsupported content type', ...error } } : {}),
});

export function addCommonResponses(doc: { paths: Record<string, Record<string, unknown>> }): void {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method) || typeof operation !== 'object' || operation === null) continue;
      const op = operation as { responses?: Record<string, unknown> };
      op.responses = { ...common(path, method), ...(op.responses ?? {}) };
    }
  }
}

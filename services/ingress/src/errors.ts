import { ApiError } from '@flowgate/contracts';
import { isStoreUnavailable, type Logger } from '@flowgate/kit';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/**
 * Every error leaves in the one shape of DESIGN.md; no stack trace ever reaches a response. A
 * request that concerns one workspace (a resolved webhook, an authenticated API key: both set
 * `res.locals.workspace_id`) logs its errors with `workspace_id`.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const workspace: unknown = res.locals.workspace_id;
    const bindings = typeof workspace === 'string' ? { err, workspace_id: workspace } : { err };
    let apiError: ApiError;
    if (err instanceof ApiError) apiError = err;
    else {
      const e = err as { type?: string; status?: number; limit?: number };
      if (e.type === 'entity.too.large')
        apiError = new ApiError('payload_too_large', `Request body is larger than ${e.limit ?? 'the limit'} bytes`);
      else if (e.type === 'entity.parse.failed') apiError = new ApiError('invalid_json', 'Request body is not valid JSON');
      else if (e.type === 'request.aborted') apiError = new ApiError('invalid_request', 'Request aborted');
      else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
        apiError = new ApiError('invalid_request', 'Invalid request');
      else if (isStoreUnavailable(err)) {
        logger.warn(bindings, 'dependency unavailable');
        apiError = new ApiError('dependency_unavailable', 'A dependency is unavailable; nothing was changed, retry later');
      } else {
        logger.error(bindings, 'unhandled error');
        apiError = new ApiError('internal', 'Internal error');
      }
    }
    if (res.headersSent) return;
    if (apiError.headers) res.set(apiError.headers);
    res.status(apiError.status).json(apiError.toBody());
  };
}

export const notFound: RequestHandler = (req, _res, next) => next(new ApiError('not_found', `No route for ${req.method} ${req.path}`));

import { corsResponseHeaders, isPreflight, preflightHeaders, type WorkflowDefinition } from '@flowgate/core';

type Webhook = WorkflowDefinition['trigger']['webhook'];

/** The CORS-relevant parts of a request. */
export interface CorsRequest {
  method: string;
  origin: string | undefined;
  /** Access-Control-Request-Method / -Headers: set on a preflight. */
  requestMethod: string | undefined;
  requestHeaders: string | undefined;
}

/** A preflight is answered 204 with `headers` and goes no further; any other request carries `headers` on its answer, errors too. */
export type CorsAnswer = { preflight: true; headers: Record<string, string> } | { preflight: false; headers: Record<string, string> };

/**
 * Stage "CORS": only for a webhook with a `cors` config (null otherwise). A preflight carries no
 * credentials, so it is answered before authentication; the real answer is readable by allowed origins.
 * Without a cors config, an allowed OPTIONS runs the workflow like any method.
 */
export function corsAnswer(webhook: Webhook, request: CorsRequest): CorsAnswer | null {
  if (!webhook.cors) return null;
  if (isPreflight(request.method, request.requestMethod)) {
    const preflight = { origin: request.origin, method: request.requestMethod, headers: request.requestHeaders };
    return { preflight: true, headers: preflightHeaders(webhook.cors, preflight, webhook.methods) };
  }
  return { preflight: false, headers: corsResponseHeaders(webhook.cors, request.origin) };
}

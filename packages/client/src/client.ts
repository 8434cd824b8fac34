import createClient, { type Client } from 'openapi-fetch';
import { apiErrorOf, FlowgateApiError } from './errors';
import type { paths } from './generated/openapi';

/**
 * A typed client of the Flowgate HTTP API: openapi-fetch over the types generated from the
 * OpenAPI document, with the API key sent as `Authorization: Bearer <key>` (what services/ingress's
 * auth expects). Calls answer `{ data, error, response }` as openapi-fetch does; `unwrap` turns an
 * error answer into a thrown `FlowgateApiError`.
 */
export interface FlowgateClientOptions {
  /** The ingress's base URL, e.g. http://localhost:8080 (no trailing /v1). */
  baseUrl: string;
  /** A Flowgate API key (fgk_…); never logged by the client. */
  apiKey?: string;
  /** Another fetch (tests, proxies); default: the global fetch. */
  fetch?: typeof fetch;
}

export type FlowgateClient = Client<paths>;

export function createFlowgateClient(options: FlowgateClientOptions): FlowgateClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const { apiKey } = options;
  if (apiKey)
    client.use({
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${apiKey}`);
        return request;
      },
    });
  return client;
}

type Answer<D> = { data: D; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/** The data of a successful answer; an error answer (or no answer) throws a `FlowgateApiError`. */
export async function unwrap<D>(call: Promise<Answer<D>>): Promise<Exclude<D, undefined>> {
  let answer: Answer<D>;
  try {
    answer = await call;
  } catch (err) {
    throw new FlowgateApiError(0, 'network_error', `No answer from the Flowgate API: ${(err as Error).message}`);
  }
  if (answer.error !== undefined || !answer.response.ok) throw apiErrorOf(answer.response.status, answer.error);
  // openapi-fetch types data as possibly undefined; an ok answer with a documented body has it.
  return answer.data as Exclude<D, undefined>;
}

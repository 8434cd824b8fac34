import { createFlowgateClient, FlowgateApiError, unwrap } from '../src';

/** The client sends the key as a Bearer token and turns Flowgate's error shape into FlowgateApiError. */
function fakeFetch(answer: () => Response, seen: Request[]): typeof fetch {
  return (input: string | URL | Request, init?: RequestInit) => {
    seen.push(new Request(input, init));
    return Promise.resolve(answer());
  };
}
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('@flowgate/client', () => {
  it('calls the base URL with Authorization: Bearer <key> and returns the data', async () => {
    const seen: Request[] = [];
    const client = createFlowgateClient({
      baseUrl: 'http://flowgate.test/',
      apiKey: 'fgk_secret',
      fetch: fakeFetch(() => json(200, { data: [], next_cursor: null }), seen),
    });
    await expect(unwrap(client.GET('/v1/workflows', { params: { query: { limit: 1 } } }))).resolves.toEqual({
      data: [],
      next_cursor: null,
    });
    expect(seen[0]?.url).toBe('http://flowgate.test/v1/workflows?limit=1');
    expect(seen[0]?.headers.get('authorization')).toBe('Bearer fgk_secret');
  });

  it('throws the API error shape as a FlowgateApiError with its code and details', async () => {
    const client = createFlowgateClient({
      baseUrl: 'http://flowgate.test',
      fetch: fakeFetch(
        () => json(404, { error: { code: 'execution_not_found', message: 'Execution ex_1 not found', details: { id: 'ex_1' } } }),
        [],
      ),
    });
    const error = await unwrap(client.GET('/v1/executions/{id}', { params: { path: { id: 'ex_1' } } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowgateApiError);
    expect(error).toMatchObject({ status: 404, code: 'execution_not_found', message: 'Execution ex_1 not found', details: { id: 'ex_1' } });
    expect((error as FlowgateApiError).toJSON()).toEqual({
      error: { code: 'execution_not_found', message: 'Execution ex_1 not found', details: { id: 'ex_1' } },
    });
  });

  it('names an answer outside the error shape by its status, and no answer network_error', async () => {
    const proxy = createFlowgateClient({
      baseUrl: 'http://flowgate.test',
      fetch: fakeFetch(() => new Response('Bad Gateway', { status: 502, headers: { 'content-type': 'text/plain' } }), []),
    });
    await expect(unwrap(proxy.GET('/v1/workflows'))).rejects.toMatchObject({ status: 502, code: 'http_502' });
    const down = createFlowgateClient({ baseUrl: 'http://flowgate.test', fetch: () => Promise.reject(new Error('ECONNREFUSED')) });
    await expect(unwrap(down.GET('/v1/workflows'))).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });
});

import type { Execution__Output } from '@flowgate/contracts';
import { savePayload } from '@flowgate/store';
import { routeAppPerSuite } from '../support/route-app';

/** `/v1/executions…` and `/v1/deliveries…` in-process (the execution service faked behind its client interface). */
const EXECUTION_ID = '11111111-2222-4333-8444-555555555555';

function execution(workspaceId: string): Execution__Output {
  return {
    id: EXECUTION_ID,
    workspaceId,
    workflowId: 'wf_aaaaaaaaaaaaaaaa',
    workflowVersion: 1,
    status: 'succeeded',
    triggerInputJson: JSON.stringify({ method: 'POST', path: '/hooks/x', query: {}, headers: {}, body: { n: 1 }, raw: '{"n":1}' }),
    stepExecutions: [
      {
        stepId: 'echo',
        type: 'transform',
        attempt: 1,
        status: 'succeeded',
        inputJson: '{}',
        outputJson: '{"got":1}',
        error: null,
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.000Z',
      },
    ],
    finalOutputJson: '{"got":1}',
    error: null,
    outputsJson: '{}',
    stepOrder: ['echo'],
    responseJson: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    replayOf: '',
    replayFromStep: '',
    concurrencyKeys: [],
    waitingReason: '',
    waitingPayloadJson: '',
    waitingExpiresAt: '',
    environment: 'production',
    testRun: false,
    revision: 3,
    triggerInputRef: '',
  };
}

describe('execution and delivery routes', () => {
  const app = routeAppPerSuite('execution-routes');
  beforeAll(() => {
    app().executions.executions.set(EXECUTION_ID, execution(app().workspaceId));
  });

  it('lists with typed filters passed on to the execution service', async () => {
    const res = await app().call('GET', '/v1/executions?status=failed,cancelled&limit=5&workflow_id=wf_aaaaaaaaaaaaaaaa');
    expect(res.body).toEqual({ data: [], next_cursor: null });
    expect(app().executions.listed.at(-1)).toMatchObject({
      workspaceId: app().workspaceId,
      workflowId: 'wf_aaaaaaaaaaaaaaaa',
      status: ['failed', 'cancelled'],
      limit: 5,
      cursor: '',
    });
  });

  it.each([
    ['status=exploded', 'status[0]', 'invalid_value'],
    ['limit=0', 'limit', 'too_small'],
    ['created_after=yesterday', 'created_after', 'invalid_format'],
    ['workflow_id={"$ne":null}', 'workflow_id', 'invalid_format'],
    ['sort=asc', 'sort', 'unrecognized_keys'],
  ])('answers ?%s with 400 and the issue at %s', async (query, path, code) => {
    const res = await app().call('GET', `/v1/executions?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^Invalid query: /);
    expect(res.body.error.details.issues).toEqual([{ path, message: expect.any(String), code }]);
  });

  it('reads an execution, and answers ids that cannot be executions 404', async () => {
    const res = await app().call('GET', `/v1/executions/${EXECUTION_ID}`);
    expect(res.body).toMatchObject({ id: EXECUTION_ID, status: 'succeeded', step_executions: [{ step_id: 'echo', output: { got: 1 } }] });
    for (const id of ['nope', '00000000-0000-4000-8000-000000000000']) {
      for (const suffix of ['', '/cancel', '/replay']) {
        const missing = await app().call(suffix ? 'POST' : 'GET', `/v1/executions/${id}${suffix}`);
        expect([suffix, missing.status, missing.body.error.code]).toEqual([suffix, 404, 'execution_not_found']);
      }
    }
  });

  it('serves the trigger body as received: inline, or stored out of line (trigger_input_ref); none → 204', async () => {
    const inline = await app().call('GET', `/v1/executions/${EXECUTION_ID}`);
    expect(inline.body).toMatchObject({ trigger_input_ref: null, trigger_input_url: `${inline.body.status_url}/input` });
    const served = await app().call('GET', `/v1/executions/${EXECUTION_ID}/input`);
    // Sent without a content type: served as bytes of no named type.
    expect([served.status, served.headers['content-type']]).toEqual([200, 'application/octet-stream']);
    expect(Buffer.isBuffer(served.body) ? served.body.toString('utf8') : served.text).toBe('{"n":1}');
    expect(served.headers['x-content-type-options']).toBe('nosniff');

    const OFFLOADED = '22222222-2222-4333-8444-555555555555';
    const full = {
      method: 'POST',
      path: '/hooks/x',
      query: {},
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n1,2\n',
      raw: 'a,b\n1,2\n',
    };
    await savePayload(app().store.payloads, OFFLOADED, app().workspaceId, JSON.stringify(full), new Date());
    app().executions.executions.set(OFFLOADED, {
      ...execution(app().workspaceId),
      id: OFFLOADED,
      triggerInputJson: JSON.stringify({ ...full, body: null, raw: undefined }),
      triggerInputRef: OFFLOADED,
    });
    const shown = await app().call('GET', `/v1/executions/${OFFLOADED}`);
    expect(shown.body).toMatchObject({ trigger_input: { body: null }, trigger_input_ref: OFFLOADED });
    const csv = await app().call('GET', `/v1/executions/${OFFLOADED}/input`);
    expect([csv.status, csv.headers['content-type'], csv.text]).toEqual([200, 'text/csv', 'a,b\n1,2\n']);

    const EMPTY = '33333333-2222-4333-8444-555555555555';
    app().executions.executions.set(EMPTY, {
      ...execution(app().workspaceId),
      id: EMPTY,
      triggerInputJson: JSON.stringify({ method: 'GET', path: '/hooks/x', query: {}, headers: {}, body: null }),
    });
    expect((await app().call('GET', `/v1/executions/${EMPTY}/input`)).status).toBe(204);
    const missing = await app().call('GET', '/v1/executions/00000000-0000-4000-8000-000000000000/input');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'execution_not_found']);
  });

  it('pages the delivery log and refuses a forged cursor in the one layout', async () => {
    expect((await app().call('GET', '/v1/deliveries?status=failed&event=execution.failed')).body).toEqual({ data: [], next_cursor: null });
    const forged = await app().call('GET', '/v1/deliveries?cursor=bm90LWEtY3Vyc29y');
    expect(forged.body.error).toEqual({
      code: 'invalid_request',
      message: 'Invalid query: cursor: not a cursor from next_cursor',
      details: { issues: [{ path: 'cursor', message: 'not a cursor from next_cursor', code: 'custom' }] },
    });
    const status = await app().call('GET', '/v1/deliveries?status=lost');
    expect(status.body.error.details.issues[0]).toMatchObject({ path: 'status[0]', code: 'invalid_value' });
    for (const path of ['/v1/deliveries/nope', `/v1/deliveries/${EXECUTION_ID}.execution.succeeded`])
      expect((await app().call('GET', path)).body.error.code).toBe('delivery_not_found');
    expect((await app().call('POST', `/v1/deliveries/${EXECUTION_ID}.execution.failed/redeliver`)).status).toBe(404);
  });
});

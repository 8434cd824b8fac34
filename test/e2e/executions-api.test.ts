import { request, Stack } from '../support/stack';

/** Listing executions: filters, cursor pagination, validation, and workspace scoping. */
describe('executions API', () => {
  let stack: Stack;
  let wfA: { id: string; async: string };
  let wfB: { id: string; async: string };
  const ids: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start('executions-api', { services: ['ingress', 'execution'] });
    wfA = await stack.deploy({ name: 'a', steps: [{ id: 't', type: 'transform', expression: 'trigger.body.n' }] });
    wfB = await stack.deploy({ name: 'b', steps: [{ id: 'f', type: 'fail', message: 'no' }] });
    for (let n = 0; n < 5; n++) {
      const res = await request(n < 3 ? wfA.async : wfB.async, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n }),
      });
      ids.push(res.body.execution_id);
    }
    for (const id of ids) await stack.waitForExecution(id);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('pages through every execution newest first with a cursor, without repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await stack.api('GET', `/v1/executions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by workflow and status', async () => {
    const a = await stack.api('GET', `/v1/executions?workflow_id=${wfA.id}`);
    expect(a.body.data.map((e: { id: string }) => e.id).sort()).toEqual(ids.slice(0, 3).sort());
    expect(a.body.data[0]).toMatchObject({ workflow_id: wfA.id, status: 'succeeded', trigger_input: { body: { n: expect.any(Number) } } });
    expect(a.body.data[0].step_executions).toBeUndefined();
    const failed = await stack.api('GET', '/v1/executions?status=failed,timed_out');
    expect(failed.body.data.map((e: { id: string }) => e.id).sort()).toEqual(ids.slice(3).sort());
    const none = await stack.api('GET', `/v1/executions?created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(none.body).toEqual({ data: [], next_cursor: null });
  });

  it.each([
    ['status=exploded', 'status'],
    ['limit=0', 'limit'],
    ['created_after=yesterday', 'created_after'],
    ['workflow_id={"$ne":null}', 'workflow_id'],
    ['sort=asc', 'sort'],
  ])('answers 400 naming the bad parameter for ?%s', async (query, parameter) => {
    const res = await stack.api('GET', `/v1/executions?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    // The parameter, or one of its comma-separated values (`status[0]`).
    expect(res.body.error.details.issues[0].path.split('[')[0]).toBe(parameter);
  });

  it('answers 400 for a forged cursor', async () => {
    const res = await stack.api('GET', '/v1/executions?cursor=eyJub3QiOiJhIGN1cnNvciJ9');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: 'Invalid cursor' });
  });

  it('never shows one workspace the executions or workflows of another', async () => {
    const otherKey = await stack.apiKeyForWorkspace('other');
    const as = (path: string, method = 'GET') =>
      request(`${stack.ingressUrl}${path}`, { method, headers: { authorization: `Bearer ${otherKey}` } });
    expect((await as('/v1/executions')).body).toEqual({ data: [], next_cursor: null });
    expect((await as(`/v1/executions/${ids[0]}`)).status).toBe(404);
    expect((await as(`/v1/executions/${ids[0]}/cancel`, 'POST')).status).toBe(404);
    expect((await as('/v1/workflows')).body).toEqual({ data: [], next_cursor: null });
    expect((await as(`/v1/workflows/${wfA.id}`)).status).toBe(404);
    expect((await as(`/v1/workflows/${wfA.id}/publish`, 'POST')).status).toBe(404);
  });
});

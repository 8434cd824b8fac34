import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/** The persisted workflow context: extract_to_context, the context API, and later runs reading it. */
describe('workflow context', () => {
  let stack: Stack;
  let crm: Receiver;
  let wf: { id: string; async: string; sync: string };

  beforeAll(async () => {
    crm = await new Receiver((req) => ({ status: 200, body: { id: `order-${req.path.split('/').pop()}`, meta: { n: 1 } } })).start();
    stack = await Stack.start('workflow-context', { services: ['ingress', 'execution'] });
    wf = await stack.deploy({
      name: 'remembers',
      steps: [
        { id: 'before', type: 'transform', expression: '$exists(context.last_order) ? context.last_order : "none"' },
        {
          id: 'fetch',
          type: 'http',
          request: { method: 'GET', url: crm.url('/orders/{{trigger.body.n}}') },
          extract_to_context: { last_order: '$.body.id', 'meta.with.dots': '$.body.meta' },
        },
        { id: 'after', type: 'transform', expression: '{"before": steps.before.output, "now": context.last_order}' },
      ],
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await crm?.stop();
  });

  const run = async (n: number) =>
    request(wf.sync, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });

  it('persists extract_to_context values that later runs read as context.*', async () => {
    expect((await run(1)).body).toEqual({ before: 'none', now: 'order-1' });
    expect((await run(2)).body).toEqual({ before: 'order-1', now: 'order-2' });
    const context = await stack.api('GET', `/v1/workflows/${wf.id}/context`);
    expect(context.body).toEqual({ last_order: 'order-2', 'meta.with.dots': '{"n":1}' });
  });

  it('PATCH sets strings, deletes nulls, keeps other keys, and concurrent PATCHes lose nothing', async () => {
    const patched = await stack.api('PATCH', `/v1/workflows/${wf.id}/context`, {
      last_order: 'manual',
      $weird: 'ok',
      'meta.with.dots': null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ $weird: 'ok', last_order: 'manual' });
    expect((await run(3)).body).toEqual({ before: 'manual', now: 'order-3' });

    await Promise.all(Array.from({ length: 20 }, (_, i) => stack.api('PATCH', `/v1/workflows/${wf.id}/context`, { [`k${i}`]: `v${i}` })));
    const all = (await stack.api('GET', `/v1/workflows/${wf.id}/context`)).body;
    for (let i = 0; i < 20; i++) expect(all[`k${i}`]).toBe(`v${i}`);
  });

  it.each([[['not', 'an', 'object']], [{ n: 1 }], [{ '': 'x' }]])('rejects %j with 400 and changes nothing', async (body) => {
    const before = (await stack.api('GET', `/v1/workflows/${wf.id}/context`)).body;
    const res = await stack.api('PATCH', `/v1/workflows/${wf.id}/context`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect((await stack.api('GET', `/v1/workflows/${wf.id}/context`)).body).toEqual(before);
  });

  it('answers 404 for an unknown workflow', async () => {
    expect((await stack.api('GET', '/v1/workflows/wf_doesnotexist000/context')).status).toBe(404);
    expect((await stack.api('PATCH', '/v1/workflows/wf_doesnotexist000/context', { a: 'b' })).status).toBe(404);
  });
});

import { Receiver } from '../support/receiver';
import { request, Stack } from '../support/stack';

/** http steps send JSON, form-urlencoded or text bodies. */
describe('http step bodies', () => {
  let stack: Stack;
  let downstream: Receiver;

  beforeAll(async () => {
    downstream = await new Receiver(() => ({ status: 200, body: { ok: true } })).start();
    stack = await Stack.start('http-bodies', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
    await downstream?.stop();
  });

  it('encodes each format with its content type', async () => {
    const wf = await stack.deploy({
      name: 'bodies',
      steps: [
        { id: 'json', type: 'http', request: { method: 'POST', url: downstream.url('/json'), body: { n: '{{trigger.body.n}}' } } },
        {
          id: 'form',
          type: 'http',
          request: {
            method: 'POST',
            url: downstream.url('/form'),
            body_format: 'form',
            body: { n: '{{trigger.body.n}}', tags: ['a', 'b'] },
          },
        },
        { id: 'text', type: 'http', request: { method: 'PUT', url: downstream.url('/text'), body: 'n is {{trigger.body.n}}' } },
      ],
    });
    const res = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n": 7}' });
    expect((await stack.waitForExecution(res.body.execution_id)).status).toBe('succeeded');
    const byPath = (p: string) => downstream.requests.find((r) => r.path === p);
    expect(byPath('/json')?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(byPath('/json')?.body ?? '')).toEqual({ n: 7 });
    expect(byPath('/form')?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(byPath('/form')?.body))).toEqual({ n: '7', tags: '["a","b"]' });
    expect(byPath('/text')?.body).toBe('n is 7');
  });
});

import { freePort } from '../../scripts/local-servers';
import { request, Stack } from '../support/stack';

/**
 * FLOWGATE_MANAGEMENT_PORT: the real ingress process serves the management API only on that port
 * and the webhook edge only on FLOWGATE_HTTP_PORT; a webhook taken on the public port still runs.
 */
describe('management API on a listener of its own', () => {
  let stack: Stack;
  let management: string;

  beforeAll(async () => {
    const port = await freePort();
    management = `http://127.0.0.1:${port}`;
    stack = await Stack.start('management-listener', {
      services: ['ingress', 'execution'],
      env: { ingress: { FLOWGATE_MANAGEMENT_PORT: String(port) } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers /v1 only on the management port and webhooks only on the public one', async () => {
    const auth = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
    const definition = { name: 'split', steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body.n}' }] };
    const onPublic = await request(`${stack.ingressUrl}/v1/workflows`, { method: 'POST', headers: auth, body: JSON.stringify(definition) });
    expect([onPublic.status, onPublic.body.error.code]).toEqual([404, 'not_found']);

    const created = await request(`${management}/v1/workflows?publish=true`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(definition),
    });
    expect(created.status).toBe(201);
    const hook = new URL(String(created.body.triggers.production.async)).pathname;
    const onManagement = await request(`${management}${hook}`, {
      method: 'POST',
      body: '{"n": 1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(onManagement.status).toBe(404);

    const accepted = await request(`${stack.ingressUrl}${hook}`, {
      method: 'POST',
      body: '{"n": 2}',
      headers: { 'content-type': 'application/json' },
    });
    expect(accepted.status).toBe(202);
    let execution = await request(`${management}/v1/executions/${String(accepted.body.execution_id)}`, { headers: auth });
    for (let i = 0; i < 100 && execution.body.status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      execution = await request(`${management}/v1/executions/${String(accepted.body.execution_id)}`, { headers: auth });
    }
    expect(execution.body).toMatchObject({ status: 'succeeded', final_output: { got: 2 } });
    for (const base of [stack.ingressUrl, management]) expect((await request(`${base}/openapi.json`)).body.openapi).toBe('3.1.0');
  });
});

import { ConfigError, createLogger } from '@flowgate/kit';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadIngressConfig } from '../../src/config';
import { RouteApp } from '../support/route-app';

/** One app per listener when FLOWGATE_MANAGEMENT_PORT is set: the webhook edge and the management API apart. */
describe('listeners', () => {
  let routes: RouteApp;
  beforeAll(async () => {
    routes = await RouteApp.start('listeners');
  });
  afterAll(async () => {
    await routes?.stop();
  });

  const common = () => ({ metrics: routes.wiring.metrics, logger: createLogger('ingress-route-test', 'silent'), maxHeaderCount: 100 });

  it('serves /v1 only on the management app and the webhook URLs only on the public one; the document on both', async () => {
    const edge = createApp({ ...common(), edge: routes.wiring.edge }).app;
    const management = createApp({ ...common(), management: routes.wiring.management }).app;
    const auth = { authorization: `Bearer ${routes.adminKey}` };
    const onEdge = await request(edge).get('/v1/workflows').set(auth);
    expect([onEdge.status, onEdge.body.error.message]).toEqual([404, 'No route for GET /v1/workflows']);
    expect(
      (
        await request(edge)
          .post(`/hooks/wh_${'u'.repeat(24)}`)
          .send({})
      ).body.error.code,
    ).toBe('webhook_not_found');
    expect((await request(management).get('/v1/workflows').set(auth)).status).toBe(200);
    const onManagement = await request(management)
      .post(`/hooks/wh_${'u'.repeat(24)}`)
      .send({});
    expect([onManagement.status, onManagement.body.error.code]).toEqual([404, 'not_found']);
    for (const app of [edge, management]) expect((await request(app).get('/openapi.json')).body.openapi).toBe('3.1.0');
  });

  it('serves the console (and the / redirect) on the management side only', async () => {
    const consoleDir = '/nonexistent/flowgate-console';
    const edge = createApp({ ...common(), edge: routes.wiring.edge, consoleDir }).app;
    const management = createApp({ ...common(), management: routes.wiring.management, consoleDir }).app;
    const onEdge = await request(edge).get('/console/');
    expect([onEdge.status, onEdge.body.error.code]).toEqual([404, 'not_found']);
    expect((await request(edge).get('/')).status).toBe(404);
    const onManagement = await request(management).get('/console/');
    expect([onManagement.status, onManagement.body.error.code]).toEqual([503, 'console_not_built']);
    expect((await request(management).get('/')).headers.location).toBe('/console/');
  });

  it('takes FLOWGATE_MANAGEMENT_PORT only as a port of its own', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(loadIngressConfig({ FLOWGATE_ENCRYPTION_KEY: key }).FLOWGATE_MANAGEMENT_PORT).toBeUndefined();
    expect(loadIngressConfig({ FLOWGATE_ENCRYPTION_KEY: key, FLOWGATE_MANAGEMENT_PORT: '8081' }).FLOWGATE_MANAGEMENT_PORT).toBe(8081);
    for (const port of ['8080', '9464', '0', 'x'])
      expect(() => loadIngressConfig({ FLOWGATE_ENCRYPTION_KEY: key, FLOWGATE_MANAGEMENT_PORT: port })).toThrow(ConfigError);
  });
});

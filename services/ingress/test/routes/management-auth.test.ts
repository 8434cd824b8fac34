import { managementSpecs } from '../../src/management-api';
import { routeAppPerSuite } from '../support/route-app';

/** The management API's API-key check (401) and the scope each route declares (403), in the one error shape. */
describe('management API: API keys and scopes', () => {
  const app = routeAppPerSuite('management-auth');

  it('answers 401 on every route without a key, with a malformed header or an unknown key, before reading the input', async () => {
    for (const spec of managementSpecs) {
      const method = spec.method === 'all' ? 'post' : spec.method;
      const path = spec.path.replace(/\{[^}]+\}/g, 'x');
      const missing = await app().call(method, `${path}?junk=1`, { key: null, body: { junk: true } });
      expect([method, path, missing.status, missing.body.error?.code]).toEqual([method, path, 401, 'unauthorized']);
    }
    const malformed = await app().call('GET', '/v1/workflows', { key: null, headers: { authorization: 'Basic abc' } });
    expect(malformed.body.error.message).toMatch(/Bearer/);
    expect((await app().call('GET', '/v1/workflows', { key: 'fgk_unknown' })).status).toBe(401);
  });

  it("answers 403 naming the scope a route declares when the key's scopes do not cover it", async () => {
    const reader = await app().apiKey(['executions:read']);
    const denied = await app().call('POST', '/v1/workflows', { key: reader, body: { name: 'x' } });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'forbidden', details: { required_scope: 'workflows:write' } });
    expect((await app().call('GET', '/v1/executions', { key: reader })).status).toBe(200);
    // write implies read; admin-only routes stay closed to resource scopes.
    const writer = await app().apiKey(['workflows:write']);
    expect((await app().call('GET', '/v1/workflows', { key: writer })).status).toBe(200);
    const keys = await app().call('GET', '/v1/api-keys', { key: writer });
    expect(keys.body.error).toMatchObject({ code: 'forbidden', details: { required_scope: 'admin' } });
  });

  it('answers an unknown /v1 path 403 to a key outside its scope, 404 to one inside it', async () => {
    const reader = await app().apiKey(['executions:read']);
    expect((await app().call('GET', '/v1/workflows/wf_aaaaaaaaaaaa/nothing', { key: reader, undocumented: true })).body.error.code).toBe(
      'forbidden',
    );
    const missing = await app().call('GET', '/v1/workflows/wf_aaaaaaaaaaaa/nothing', { undocumented: true });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'not_found', message: 'No route for GET /v1/workflows/wf_aaaaaaaaaaaa/nothing' });
  });

  it('stops a revoked key at once and keeps the last admin key', async () => {
    const spare = await app().apiKey(['admin']);
    const listed = await app().call('GET', '/v1/api-keys', { key: spare });
    const spareId = (listed.body.data as { id: string; prefix: string }[]).find((k) => spare.startsWith(k.prefix))?.id ?? '';
    expect((await app().call('DELETE', `/v1/api-keys/${spareId}`)).body.revoked_at).not.toBeNull();
    expect((await app().call('GET', '/v1/workflows', { key: spare })).status).toBe(401);
    const self = (listed.body.data as { id: string; prefix: string }[]).find((k) => app().adminKey.startsWith(k.prefix))?.id ?? '';
    const last = await app().call('DELETE', `/v1/api-keys/${self}`);
    expect(last.status).toBe(409);
    expect(last.body.error.details).toEqual({ reason: 'last_admin_key' });
  });
});

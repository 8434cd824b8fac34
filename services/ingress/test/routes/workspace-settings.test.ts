import { routeAppPerSuite } from '../support/route-app';

/** Admin settings in-process: API keys, quotas, egress, callback secrets; and parameters, captures, trigger secrets. */
const definition = (name: string, auth?: unknown) => ({
  name,
  ...(auth ? { trigger: { webhook: { auth } } } : {}),
  steps: [{ id: 'echo', type: 'transform', expression: '1' }],
});

describe('workspace settings routes', () => {
  const app = routeAppPerSuite('settings-routes');

  it('creates API keys (the key once) and refuses bad scopes', async () => {
    const created = await app().call('POST', '/v1/api-keys', { body: { name: 'ci', scopes: ['workflows:read'] } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^fgk_/);
    expect((await app().call('GET', `/v1/api-keys/${String(created.body.id)}`)).body.key).toBeUndefined();
    const bad = await app().call('POST', '/v1/api-keys', { body: { name: '', scopes: ['root'] } });
    expect(bad.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['name', 'scopes[0]']);
    expect((await app().call('POST', '/v1/api-keys')).body.error.details.issues).toEqual([
      { path: '', message: expect.any(String), code: 'invalid_type' },
    ]);
    expect((await app().call('GET', '/v1/api-keys/not-a-key')).body.error.code).toBe('api_key_not_found');
    // A key cannot be chosen by the caller, and an operator-shaped id is just an unknown key.
    const chosen = await app().call('POST', '/v1/api-keys', { body: { name: 'x', scopes: ['admin'], key: 'mine' } });
    expect(chosen.body.error.details.issues).toContainEqual({ path: 'key', message: 'unknown field', code: 'unrecognized_keys' });
    const injected = await app().call('DELETE', `/v1/api-keys/${encodeURIComponent('{"$gt":""}')}`);
    expect(injected.body.error.code).toBe('api_key_not_found');
    const names = ((await app().call('GET', '/v1/api-keys')).body.data as { name: string }[]).map((k) => k.name);
    expect(names).not.toContain('x'); // nothing refused was created
  });

  it('replaces quotas and refuses negative limits', async () => {
    const admin = await app().call('PUT', '/v1/workspace/quotas', { body: { executions_per_day: 10 } });
    expect(admin.status).toBe(403); // the operator sets limits, the workspace's admin reads them
    expect(admin.body.error.details).toEqual({ required_scope: 'operator' });
    const operator = { key: app().operatorKey };
    const set = await app().call('PUT', '/v1/workspace/quotas', {
      ...operator,
      body: { executions_per_day: 10, parallel_executions: null },
    });
    expect(set.body.executions_per_day).toMatchObject({ limit: 10, used: 0, source: 'workspace' });
    expect((await app().call('GET', '/v1/workspace/quotas')).body.parallel_executions.source).toBe('default');
    const bad = await app().call('PUT', '/v1/workspace/quotas', { ...operator, body: { executions_per_day: -1 } });
    expect(bad.body.error.details.issues).toEqual([{ path: 'executions_per_day', message: expect.any(String), code: 'too_small' }]);
  });

  it('names every bad CIDR of the egress allow-list and changes nothing', async () => {
    const operator = { key: app().operatorKey };
    expect((await app().call('PUT', '/v1/workspace/egress', { body: { allow_cidrs: ['10.0.0.0/8'] } })).status).toBe(403);
    expect(
      (await app().call('PUT', '/v1/workspace/egress', { ...operator, body: { allow_cidrs: ['10.0.0.0/8', '10.0.0.0/8'] } })).body,
    ).toEqual({
      allow_cidrs: ['10.0.0.0/8'],
    });
    const bad = await app().call('PUT', '/v1/workspace/egress', {
      ...operator,
      body: { allow_cidrs: ['10.0.0.1/8', '192.168.0.0/16', 'nope'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('"10.0.0.1/8": host bits are set; did you mean 10.0.0.0/8?');
    expect(bad.body.error.details.issues).toEqual([
      { path: 'allow_cidrs[0]', message: expect.stringContaining('"10.0.0.1/8"'), code: 'custom' },
      { path: 'allow_cidrs[2]', message: expect.stringContaining('"nope"'), code: 'custom' },
    ]);
    expect((await app().call('GET', '/v1/workspace/egress')).body).toEqual({ allow_cidrs: ['10.0.0.0/8'] });
  });

  it('rotates the callback secret, and refuses an expiry out of range', async () => {
    expect((await app().call('GET', '/v1/callback-secret')).body.secrets[0]).toMatchObject({ id: 'default', source: 'deployment' });
    const rotated = await app().call('POST', '/v1/callback-secret/rotate', { body: { previous_secret_expires_in_s: 0 } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    const bad = await app().call('POST', '/v1/callback-secret/rotate', { body: { previous_secret_expires_in_s: 10_000_000 } });
    expect(bad.body.error.details.issues[0]).toMatchObject({ path: 'previous_secret_expires_in_s', code: 'too_big' });
  });

  it('infers parameters from a sample, captures, and manages trigger secrets', async () => {
    const inferred = await app().call('POST', '/v1/parameters/infer', { body: { order_id: 'A1', amount: 3.5 } });
    expect(Object.keys(inferred.body.parameters as object)).toEqual(['order_id', 'amount']);
    expect((await app().call('POST', '/v1/parameters/infer', { body: [1, 2] })).body.error.details.issues[0].code).toBe('invalid_type');

    const id = String((await app().call('POST', '/v1/workflows', { body: definition('secrets', { type: 'bearer' }) })).body.id);
    const capture = await app().call('POST', `/v1/workflows/${id}/parameters/capture`, { body: { window_s: 601 } });
    expect(capture.body.error.details.issues[0]).toMatchObject({ path: 'window_s', code: 'too_big' });
    expect((await app().call('POST', `/v1/workflows/${id}/parameters/capture`)).body.status).toBe('listening');
    expect((await app().call('GET', `/v1/workflows/${id}/parameters/capture`)).body.status).toBe('listening');

    const added = await app().call('POST', `/v1/workflows/${id}/trigger/secrets`);
    expect(added.status).toBe(201);
    expect(added.body.secret).toMatch(/^wht_/);
    const short = await app().call('POST', `/v1/workflows/${id}/trigger/secrets`, { body: { secret: 'short' } });
    expect(short.body.error.details.issues[0]).toMatchObject({ path: 'secret', code: 'too_small' });
    expect((await app().call('GET', `/v1/workflows/${id}/trigger/secrets`)).body.secrets).toHaveLength(1);
    expect((await app().call('DELETE', `/v1/workflows/${id}/trigger/secrets/sec_nothing`)).body.error.code).toBe('not_found');
    expect((await app().call('DELETE', `/v1/workflows/wf_aaaaaaaaaaaaaaaa/trigger/secrets/x`)).body.error.code).toBe('workflow_not_found');
    expect((await app().call('DELETE', `/v1/workflows/${id}/trigger/secrets/${String(added.body.id)}`)).status).toBe(204);
  });
});

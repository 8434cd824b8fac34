import { createHash } from 'node:crypto';
import { request, sleep, Stack } from '../support/stack';

/** `/v1/api-keys`: keys shown once and stored hashed, scopes enforced per route, revocation on every replica. */
describe('API keys', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('api-keys', { services: ['ingress'] });
    await stack.startService('ingress', 2);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const as = (key: string, method: string, path: string, body?: unknown, base = stack.ingressUrl) =>
    request(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('creates a key, shows it once and stores only its hash', async () => {
    const created = await stack.api('POST', '/v1/api-keys', { name: 'ci', scopes: ['workflows:read'] });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^fgk_[A-Za-z0-9_-]{40,}$/);
    expect(created.body).toMatchObject({ name: 'ci', scopes: ['workflows:read'], revoked_at: null, last_used_at: null });
    expect(key.startsWith(created.body.prefix)).toBe(true);
    expect(created.body.id).toMatch(/^key_/);

    const stored = await (await stack.db()).collection('api_keys').findOne({ _id: created.body.id as never });
    expect(stored?.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(key);

    const listed = await stack.api('GET', '/v1/api-keys');
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(key);
    expect(listed.text).not.toContain(String(stored?.key_hash));
    const entry = listed.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(Object.keys(entry).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes']);
    expect(listed.body.data.find((k: { id: string }) => k.id === 'key_bootstrap')).toMatchObject({
      scopes: ['admin', 'operator'],
      revoked_at: null,
    });
    // Its first use is recorded.
    expect((await as(key, 'GET', '/v1/workflows')).status).toBe(200);
    let used = await stack.api('GET', `/v1/api-keys/${created.body.id}`);
    for (let i = 0; i < 20 && used.body.last_used_at === null; i++) {
      await sleep(50); // written in the background
      used = await stack.api('GET', `/v1/api-keys/${created.body.id}`);
    }
    expect(Date.parse(used.body.last_used_at)).toBeGreaterThan(0);
  });

  it('a revoked key stops working at once on every ingress replica', async () => {
    const created = await stack.api('POST', '/v1/api-keys', { name: 'short-lived', scopes: ['workflows:read'] });
    const key = created.body.key as string;
    const replica2 = stack.ingressReplicaUrl(2);
    expect((await as(key, 'GET', '/v1/workflows', undefined, replica2)).status).toBe(200);

    const revoked = await stack.api('DELETE', `/v1/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(Date.parse(revoked.body.revoked_at)).toBeGreaterThan(0);

    for (const base of [replica2, stack.ingressUrl]) {
      const res = await as(key, 'GET', '/v1/workflows', undefined, base);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    // Revoking again changes nothing.
    const again = await stack.api('DELETE', `/v1/api-keys/${created.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
  });

  it('refuses to revoke the last active admin key (409); another admin key can revoke itself', async () => {
    const last = await stack.api('DELETE', '/v1/api-keys/key_bootstrap');
    expect(last.status).toBe(409);
    expect(last.body.error).toMatchObject({ code: 'conflict', details: { reason: 'last_admin_key' } });
    expect((await stack.api('GET', '/v1/workflows')).status).toBe(200);

    const admin2 = await stack.api('POST', '/v1/api-keys', { name: 'admin 2', scopes: ['admin'] });
    const self = await as(admin2.body.key, 'DELETE', `/v1/api-keys/${admin2.body.id}`);
    expect(self.status).toBe(200);
    expect((await as(admin2.body.key, 'GET', '/v1/api-keys')).status).toBe(401);
    expect((await stack.api('GET', '/v1/api-keys')).status).toBe(200);
  });

  it('keeps workspaces apart: a key sees and revokes only its own workspace keys', async () => {
    const otherAdmin = await stack.apiKeyForWorkspace('other');
    const mine = await stack.api('POST', '/v1/api-keys', { name: 'default-ws', scopes: ['workflows:read'] });

    const otherList = await as(otherAdmin, 'GET', '/v1/api-keys');
    expect(otherList.status).toBe(200);
    expect(otherList.body.data.map((k: { name: string }) => k.name)).toEqual(['other']);

    expect((await as(otherAdmin, 'GET', `/v1/api-keys/${mine.body.id}`)).status).toBe(404);
    const foreignRevoke = await as(otherAdmin, 'DELETE', `/v1/api-keys/${mine.body.id}`);
    expect(foreignRevoke.status).toBe(404);
    expect((await as(mine.body.key, 'GET', '/v1/workflows')).status).toBe(200);

    // A key created by the other workspace's admin belongs to that workspace.
    const theirs = await as(otherAdmin, 'POST', '/v1/api-keys', { name: 'their reader', scopes: ['workflows:read'] });
    expect(theirs.status).toBe(201);
    const listedMine = await stack.api('GET', '/v1/api-keys');
    expect(listedMine.body.data.map((k: { id: string }) => k.id)).not.toContain(theirs.body.id);
    const doc = await (await stack.db()).collection('api_keys').findOne({ _id: theirs.body.id as never });
    expect(doc?.workspace_id).toBe('other');
  });
});

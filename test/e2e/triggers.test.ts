import { request, Stack } from '../support/stack';

/** A workflow's webhook: enable / disable, and finding the workflow behind a token. */
describe('triggers', () => {
  let stack: Stack;
  let wf: { id: string; async: string; sync: string };

  beforeAll(async () => {
    stack = await Stack.start('triggers', { services: ['ingress', 'execution'] });
    wf = await stack.deploy({ name: 'toggled', steps: [{ id: 't', type: 'transform', expression: '"ok"' }] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a disabled webhook answers 403 trigger_disabled and queues nothing; enabled again it runs', async () => {
    const disabled = await stack.api('PATCH', `/v1/workflows/${wf.id}/trigger`, { enabled: false });
    expect(disabled.status).toBe(200);
    expect(disabled.body.triggers.production.enabled).toBe(false);
    const before = await (await stack.settledDb()).collection('executions').countDocuments();
    for (const url of [wf.async, wf.sync]) {
      const res = await request(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('trigger_disabled');
    }
    expect(await (await stack.settledDb()).collection('executions').countDocuments()).toBe(before);

    expect((await stack.api('PATCH', `/v1/workflows/${wf.id}/trigger`, { enabled: true })).body.triggers.production.enabled).toBe(true);
    const res = await request(wf.sync, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('ok');
  });

  it('rejects a malformed toggle', async () => {
    for (const body of [{ enabled: 'no' }, { enabled: true, extra: 1 }, {}]) {
      const res = await stack.api('PATCH', `/v1/workflows/${wf.id}/trigger`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it('finds the workflow behind a webhook token or URL, only in the caller workspace', async () => {
    const token = wf.async.split('/hooks/')[1] ?? '';
    for (const query of [token, encodeURIComponent(wf.sync)]) {
      const res = await stack.api('GET', `/v1/triggers?token=${query}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ workflow_id: wf.id, name: 'toggled', enabled: true });
    }
    expect((await stack.api('GET', '/v1/triggers?token=wh_doesnotexist000000000')).status).toBe(404);
    expect((await stack.api('GET', '/v1/triggers')).status).toBe(400);

    const otherKey = await stack.apiKeyForWorkspace('other');
    const foreign = await request(`${stack.ingressUrl}/v1/triggers?token=${token}`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(foreign.status).toBe(404);
  });
});

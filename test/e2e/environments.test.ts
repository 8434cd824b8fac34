import { request, Stack } from '../support/stack';

/** Development / staging / production webhooks, staging pins, test runs, URL listing. */
const json = { 'content-type': 'application/json' };
const post = (url: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  request(url, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

const definition = (tag: string, extra: Record<string, unknown> = {}) => ({
  name: 'environments',
  ...extra,
  steps: [{ id: 'out', type: 'transform', expression: `"${tag}"` }],
});

describe('environments', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start('environments', { services: ['ingress', 'execution', 'scheduler'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const executionCount = async () => (await stack.settledDb()).collection('executions').countDocuments();

  it('lists one webhook per environment with a ready curl line, and each runs what it should', async () => {
    const created = await stack.api('POST', '/v1/workflows', definition('draft-1'));
    expect(created.status).toBe(201);
    const { id, triggers } = created.body;
    expect(Object.keys(triggers).sort()).toEqual(['development', 'production', 'staging']);
    const urls = ['development', 'staging', 'production'].map((env) => triggers[env].async);
    expect(new Set(urls).size).toBe(3);
    for (const env of ['development', 'staging', 'production']) {
      expect(triggers[env].sync).toBe(`${triggers[env].async}/sync`);
      expect(triggers[env].curl).toBe(`curl -X POST '${triggers[env].async}' -H 'Content-Type: application/json' -d '{"hello":"world"}'`);
      expect(triggers[env].enabled).toBe(true);
    }
    expect(triggers.development.version).toBe('draft');
    expect(triggers.production.version).toBeNull();
    expect(triggers.staging.version).toBeNull();

    // Unpublished: production and staging refuse and queue nothing; development runs the draft.
    const before = await executionCount();
    for (const env of ['production', 'staging']) {
      for (const url of [triggers[env].async, triggers[env].sync]) {
        const res = await post(url);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('workflow_not_published');
      }
    }
    expect(await executionCount()).toBe(before);
    const dev = await post(triggers.development.sync);
    expect(dev.status).toBe(200);
    expect(dev.body).toBe('draft-1');

    // v1 published, draft moves on: production v1, development the new draft, staging still unpinned.
    expect((await stack.api('POST', `/v1/workflows/${id}/publish`)).status).toBe(201);
    expect((await stack.api('PUT', `/v1/workflows/${id}`, definition('draft-2'))).status).toBe(200);
    expect((await post(triggers.production.sync)).body).toBe('draft-1');
    expect((await post(triggers.development.sync)).body).toBe('draft-2');
    expect((await post(triggers.staging.sync)).status).toBe(404);

    // Pin v1 to staging, publish v2: production follows, staging stays on v1.
    const pinned = await stack.api('PUT', `/v1/workflows/${id}/environments/staging`, { version: 1 });
    expect(pinned.status).toBe(200);
    expect(pinned.body.staging_version).toBe(1);
    expect(pinned.body.triggers.staging).toMatchObject({ version: 1, async: triggers.staging.async });
    expect((await stack.api('POST', `/v1/workflows/${id}/publish`)).status).toBe(201);
    expect((await post(triggers.production.sync)).body).toBe('draft-2');
    expect((await post(triggers.staging.sync)).body).toBe('draft-1');

    // Executions record the environment and the version that ran (0 = the draft).
    const accepted = await post(triggers.development.async);
    expect(accepted.status).toBe(202);
    const devRun = await stack.waitForExecution(accepted.body.execution_id);
    expect(devRun).toMatchObject({
      status: 'succeeded',
      environment: 'development',
      workflow_version: 0,
      test_run: false,
      final_output: 'draft-2',
    });
    const stagingRun = await stack.waitForExecution((await post(triggers.staging.async)).body.execution_id);
    expect(stagingRun).toMatchObject({ environment: 'staging', workflow_version: 1, final_output: 'draft-1' });
    const prodRun = await stack.waitForExecution((await post(triggers.production.async)).body.execution_id);
    expect(prodRun).toMatchObject({ environment: 'production', workflow_version: 2 });

    // Unpinning: staging answers 404 again.
    expect(
      (await stack.api('PUT', `/v1/workflows/${id}/environments/staging`, { version: null })).body.triggers.staging.version,
    ).toBeNull();
    expect((await post(triggers.staging.sync)).body.error.code).toBe('workflow_not_published');

    // /v1/triggers tells which environment a token belongs to.
    const found = await stack.api('GET', `/v1/triggers?token=${encodeURIComponent(triggers.development.async)}`);
    expect(found.body).toMatchObject({ workflow_id: id, environment: 'development' });
  });

  it('refuses to pin a version that is not published', async () => {
    const wf = await stack.deploy(definition('x'));
    for (const body of [{ version: 2 }, { version: 0 }, { version: '1' }, {}, { version: 1, extra: true }]) {
      const res = await stack.api('PUT', `/v1/workflows/${wf.id}/environments/staging`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await stack.api('PUT', `/v1/workflows/${wf.id}/environments/production`, { version: 1 })).status).toBe(404);
  });

  it('a development run keeps the draft it started with across a wait, while the draft changes', async () => {
    const parked = {
      name: 'parked',
      steps: [
        { id: 'pause', type: 'delay', duration_s: 1 },
        { id: 'out', type: 'transform', expression: '"first draft"' },
      ],
    };
    const created = await stack.api('POST', '/v1/workflows', parked);
    const started = await post(created.body.triggers.development.async);
    expect(started.status).toBe(202);
    await stack.api('PUT', `/v1/workflows/${created.body.id}`, {
      ...parked,
      steps: [{ id: 'other', type: 'fail', message: 'second draft' }],
    });
    const done = await stack.waitForExecution(started.body.execution_id);
    expect(done).toMatchObject({ status: 'succeeded', final_output: 'first draft', workflow_version: 0 });
  });

  it('disables one environment or all of them', async () => {
    const created = await stack.api('POST', '/v1/workflows?publish=true', definition('on'));
    const { id, triggers } = created.body;
    const off = await stack.api('PATCH', `/v1/workflows/${id}/trigger`, { enabled: false, environment: 'development' });
    expect(off.status).toBe(200);
    expect(off.body.triggers.development.enabled).toBe(false);
    expect(off.body.triggers.production.enabled).toBe(true);
    expect((await post(triggers.development.sync)).status).toBe(403);
    expect((await post(triggers.production.sync)).body).toBe('on');

    const allOff = await stack.api('PATCH', `/v1/workflows/${id}/trigger`, { enabled: false });
    for (const env of ['development', 'staging', 'production']) expect(allOff.body.triggers[env].enabled).toBe(false);
    expect((await post(triggers.production.sync)).body.error.code).toBe('trigger_disabled');
    expect((await stack.api('PATCH', `/v1/workflows/${id}/trigger`, { enabled: true, environment: 'qa' })).status).toBe(400);
  });

  it('gives workflows made before environments their development and staging webhooks once, on first view', async () => {
    const db = await stack.db();
    const created = await stack.api('POST', '/v1/workflows?publish=true', definition('legacy'));
    // Make a legacy copy: the same draft and version, one trigger without an environment.
    const token = created.body.triggers.production.async.split('/hooks/')[1];
    await db.collection('triggers').deleteMany({ workflow_id: created.body.id, environment: { $in: ['development', 'staging'] } });
    await db.collection('triggers').updateMany({ workflow_id: created.body.id }, { $unset: { environment: '' } });
    expect(await db.collection('triggers').countDocuments({ workflow_id: created.body.id })).toBe(1);

    const views = await Promise.all([1, 2, 3].map(() => stack.api('GET', `/v1/workflows/${created.body.id}`)));
    for (const v of views) expect(v.status).toBe(200);
    const first = views[0]?.body.triggers;
    for (const v of views) {
      expect(v.body.triggers.development.async).toBe(first.development.async);
      expect(v.body.triggers.staging.async).toBe(first.staging.async);
    }
    expect(first.production.async).toBe(created.body.triggers.production.async);
    expect(first.production.async).toContain(token);
    expect(await db.collection('triggers').countDocuments({ workflow_id: created.body.id })).toBe(3);
    expect((await post(first.development.sync)).body).toBe('legacy');
    expect((await post(first.production.sync)).body).toBe('legacy');
  });

  it('every environment checks the workflow secrets, and the curl line carries a placeholder, never the secret', async () => {
    const created = await stack.api(
      'POST',
      '/v1/workflows?publish=true',
      definition('secured', { trigger: { webhook: { auth: { type: 'bearer' } } } }),
    );
    const { id, triggers } = created.body;
    const added = await stack.api('POST', `/v1/workflows/${id}/trigger/secrets`, {});
    expect(added.status).toBe(201);
    const secret: string = added.body.secret;
    for (const env of ['development', 'production']) {
      expect(triggers[env].curl).toContain(`-H 'Authorization: Bearer <token>'`);
      expect((await post(triggers[env].sync)).status).toBe(401);
      const ok = await post(triggers[env].sync, {}, { authorization: `Bearer ${secret}` });
      expect(ok.status).toBe(200);
      expect(ok.body).toBe('secured');
    }
    const view = await stack.api('GET', `/v1/workflows/${id}`);
    expect(view.text).not.toContain(secret);
  });

  describe('test runs', () => {
    it('runs the draft with test JSON and returns the finished execution, marked as a test run', async () => {
      const created = await stack.api('POST', '/v1/workflows', {
        name: 'tested',
        trigger: { webhook: { parameters: { name: { type: 'string', required: true } } } },
        steps: [
          {
            id: 'greet',
            type: 'transform',
            expression: '"Hello " & trigger.body.name & " from " & trigger.query.src & " " & trigger.headers."x-test"',
          },
        ],
      });
      const res = await stack.api('POST', `/v1/workflows/${created.body.id}/test`, {
        body: { name: 'Ada' },
        query: { src: 'ui' },
        headers: { 'X-Test': 'yes' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        workflow_id: created.body.id,
        status: 'succeeded',
        environment: 'development',
        workflow_version: 0,
        test_run: true,
        final_output: 'Hello Ada from ui yes',
      });
      expect(res.body.step_executions).toHaveLength(1);
      expect(res.body.trigger_input.params).toEqual({ name: 'Ada' });
      const stored = await (await stack.settledDb()).collection('executions').findOne({ _id: res.body.id } as never);
      expect(stored).toMatchObject({ test_run: true, environment: 'development' });
    });

    it('validates parameters and the request, and creates nothing when they are wrong', async () => {
      const created = await stack.api('POST', '/v1/workflows', {
        name: 'strict',
        trigger: { webhook: { parameters: { n: { type: 'integer', required: true } } } },
        steps: [{ id: 'a', type: 'transform', expression: '1' }],
      });
      const before = await executionCount();
      const missing = await stack.api('POST', `/v1/workflows/${created.body.id}/test`, { body: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toBe('Missing required parameter(s): n');
      const wrongType = await stack.api('POST', `/v1/workflows/${created.body.id}/test`, { body: { n: 'x' } });
      expect(wrongType.status).toBe(400);
      for (const bad of [{ body: {}, extra: 1 }, { headers: { 'bad header': 'x' } }, { query: { a: 1 } }, '[]']) {
        const res = await stack.api('POST', `/v1/workflows/${created.body.id}/test`, bad);
        expect(res.status).toBe(400);
      }
      expect(await executionCount()).toBe(before);
      expect((await stack.api('POST', '/v1/workflows/wf_doesnotexist123/test', { body: {} })).status).toBe(404);
      const otherKey = await stack.apiKeyForWorkspace('other-env');
      const foreign = await request(`${stack.ingressUrl}/v1/workflows/${created.body.id}/test`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${otherKey}` },
        body: JSON.stringify({ body: { n: 1 } }),
      });
      expect(foreign.status).toBe(404);
      expect(await executionCount()).toBe(before);
    });

    it('answers 202 with the status URL when the run outlasts the sync timeout', async () => {
      const created = await stack.api('POST', '/v1/workflows', {
        name: 'slow',
        trigger: { webhook: { sync_timeout_s: 1 } },
        steps: [
          { id: 'pause', type: 'delay', duration_s: 3 },
          { id: 'a', type: 'transform', expression: '"late"' },
        ],
      });
      const res = await stack.api('POST', `/v1/workflows/${created.body.id}/test`, { body: {} });
      expect(res.status).toBe(202);
      expect(res.body.status).toMatch(/^(queued|running|waiting)$/);
      expect(res.body.status_url).toMatch(new RegExp(`/v1/executions/${res.body.execution_id}$`));
      const done = await stack.waitForExecution(res.body.execution_id);
      expect(done).toMatchObject({ status: 'succeeded', final_output: 'late', test_run: true });
    });
  });
});

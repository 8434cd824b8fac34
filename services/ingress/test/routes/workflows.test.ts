import { routeAppPerSuite } from '../support/route-app';

/** `/v1/workflows…` and `/v1/triggers` in-process: definitions (JSON, YAML, 422), ids, bodies, queries. */
const definition = (name: string) => ({ name, steps: [{ id: 'echo', type: 'transform', expression: '{"got": trigger.body}' }] });

describe('workflow routes', () => {
  const app = routeAppPerSuite('workflow-routes');

  it('creates from JSON or YAML, lists, reads, replaces and publishes', async () => {
    const created = await app().call('POST', '/v1/workflows', { body: definition('orders') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'orders', published_version: null, definition: { name: 'orders' } });
    const id = String(created.body.id);
    const yaml = await app().call('POST', '/v1/workflows?publish=true', {
      body: 'name: from-yaml\nsteps:\n  - id: a\n    type: transform\n    expression: "1"\n',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(yaml.status).toBe(201);
    expect(yaml.body.published_version).toBe(1);
    expect((await app().call('GET', '/v1/workflows')).body.data).toHaveLength(2);
    expect((await app().call('GET', `/v1/workflows/${id}`)).body.id).toBe(id);
    expect((await app().call('PUT', `/v1/workflows/${id}`, { body: definition('orders-2') })).body.name).toBe('orders-2');
    const published = await app().call('POST', `/v1/workflows/${id}/publish`);
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ workflow_id: id, version: 1 });
    // The same shape as create (triggers at the top level), and the earlier `workflow` too.
    expect(published.body).toMatchObject({ id, published_version: 1, triggers: { production: { version: 1 } } });
    expect(published.body.triggers).toEqual(published.body.workflow.triggers);
    expect(Object.keys(created.body).every((key) => key in published.body)).toBe(true);
    expect(app().scheduler.calls).toEqual([]); // no schedule: the scheduler is not asked
  });

  it('answers an invalid definition 422 with details.issues naming each field, and creates nothing', async () => {
    const before = (await app().call('GET', '/v1/workflows')).body.data.length as number;
    const bad = await app().call('POST', '/v1/workflows', { body: { name: '', steps: [{ id: 'a', type: 'teleport' }], extra: 1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_workflow_definition');
    const issues = bad.body.error.details.issues as { path: string; code: string }[];
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['name', 'steps[0].type']));
    expect(issues.every((i) => typeof i.code === 'string')).toBe(true);
    expect(issues).toContainEqual({ path: 'extra', message: 'unknown field', code: 'unrecognized_keys' });
    const yaml = await app().call('POST', '/v1/workflows', { body: 'name: [', headers: { 'content-type': 'application/yaml' } });
    expect([yaml.status, yaml.body.error.code]).toEqual([422, 'invalid_workflow_definition']);
    expect(yaml.body.error.details.issues).toEqual([
      { path: '', message: expect.stringMatching(/^not valid YAML/), code: 'invalid_syntax' },
    ]);
    const text = await app().call('POST', '/v1/workflows', { body: 'name: x', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    const broken = await app().call('POST', '/v1/workflows', {
      body: '{"name": "x", "steps": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_json');
    expect((await app().call('GET', '/v1/workflows')).body.data).toHaveLength(before);
  });

  it('answers a definition with five different errors one 422 listing all five, schema and semantic alike; nothing is stored', async () => {
    const steps = [
      { id: 'shape', type: 'transform', expression: '{"total": trigger.body.amount *}' },
      { id: 'call', type: 'http', request: { url: 'not a url' }, timeout_s: 'soon' },
      { id: 'check', type: 'branch', when: 'steps.shape.output.total > 10', then: 'nowhere' },
      { id: 'done', type: 'respond', body: { id: '{{steps.vanished.output.id}}' } },
    ];
    const expected = [
      { path: 'steps[1].timeout_s', code: 'invalid_type' },
      { path: 'steps[0].expression', code: 'invalid_expression' },
      { path: 'steps[1].request.url', code: 'invalid_url' },
      { path: 'steps[2].then', code: 'unknown_step' },
      { path: 'steps[3].body.id', code: 'unknown_step' },
    ];
    const before = (await app().call('GET', '/v1/workflows')).body.data.length as number;
    const bad = await app().call('POST', '/v1/workflows?publish=true', { body: { name: 'strict', steps } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_workflow_definition');
    const issues = bad.body.error.details.issues as { path: string; message: string; code: string }[];
    expect(issues.map(({ path, code }) => ({ path, code }))).toEqual(expected);
    expect(issues.every((i) => i.message.length > 0)).toBe(true);
    for (const { path } of expected) expect(bad.body.error.message).toContain(path);
    expect((await app().call('GET', '/v1/workflows')).body.data).toHaveLength(before);

    // A draft cannot be replaced by one either, nor can YAML carry one in.
    const id = String((await app().call('POST', '/v1/workflows', { body: definition('strict-ok') })).body.id);
    const put = await app().call('PUT', `/v1/workflows/${id}`, { body: { name: 'strict-ok', steps } });
    expect([put.status, put.body.error.details.issues.length]).toEqual([422, 5]);
    expect((await app().call('GET', `/v1/workflows/${id}`)).body.definition.steps).toEqual(definition('strict-ok').steps);
    const yaml = await app().call('POST', '/v1/workflows', {
      body: 'name: y\nsteps:\n  - { id: a, type: http, request: { url: "not a url" }, next: b }\n',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(yaml.status).toBe(422);
    expect(yaml.body.error.details.issues).toEqual([
      { path: 'steps[0].next', message: 'unknown step id "b"', code: 'unknown_step' },
      { path: 'steps[0].request.url', message: expect.stringMatching(/http\(s\) URL/), code: 'invalid_url' },
    ]);
  });

  it('answers ids that cannot be workflows 404 workflow_not_found, like unknown ones', async () => {
    for (const id of ['nope', 'wf_short', 'wf_aaaaaaaaaaaaaaaa']) {
      const res = await app().call('GET', `/v1/workflows/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'workflow_not_found', message: `Workflow ${id} not found` });
    }
  });

  it('validates trigger, staging and context bodies in the one details layout', async () => {
    const id = String((await app().call('POST', '/v1/workflows', { body: definition('bodies') })).body.id);
    const trigger = await app().call('PATCH', `/v1/workflows/${id}/trigger`, { body: { enabled: 'no' } });
    expect(trigger.status).toBe(400);
    expect(trigger.body.error.details.issues).toEqual([{ path: 'enabled', message: expect.any(String), code: 'invalid_type' }]);
    expect(trigger.body.error.message).toMatch(/^Body must be \{"enabled"/);
    expect((await app().call('PATCH', `/v1/workflows/${id}/trigger`, { body: { enabled: false, environment: 'staging' } })).status).toBe(
      200,
    );
    const staging = await app().call('PUT', `/v1/workflows/${id}/environments/staging`, { body: { version: 0 } });
    expect(staging.body.error.details.issues[0]).toMatchObject({ path: 'version', code: 'too_small' });
    const unpublished = await app().call('PUT', `/v1/workflows/${id}/environments/staging`, { body: { version: 3 } });
    expect(unpublished.body.error).toMatchObject({ code: 'invalid_request', details: { published_version: null } });
    const context = await app().call('PATCH', `/v1/workflows/${id}/context`, { body: { region: 'eu', gone: null, bad: 3 } });
    expect(context.body.error.details.issues).toEqual([{ path: 'bad', message: expect.any(String), code: 'invalid_type' }]);
    expect((await app().call('PATCH', `/v1/workflows/${id}/context`, { body: { region: 'eu' } })).body).toEqual({ region: 'eu' });
    expect((await app().call('GET', `/v1/workflows/${id}/context`)).body).toEqual({ region: 'eu' });
  });

  it('finds the workflow behind a webhook URL, and refuses a token that is none', async () => {
    const created = await app().call('POST', '/v1/workflows', { body: definition('lookup') });
    const url = String(created.body.triggers.production.async);
    const found = await app().call('GET', `/v1/triggers?token=${encodeURIComponent(url)}`);
    expect(found.body).toMatchObject({ workflow_id: created.body.id, environment: 'production', enabled: true });
    expect((await app().call('GET', '/v1/triggers?token=nothing')).status).toBe(400);
    const missing = await app().call('GET', '/v1/triggers');
    expect(missing.body.error.details.issues).toEqual([{ path: 'token', message: expect.any(String), code: 'invalid_type' }]);
    expect((await app().call('GET', `/v1/triggers?token=wh_${'z'.repeat(30)}`)).body.error.code).toBe('webhook_not_found');
  });

  it('answers schedule routes without a schedule 404, and an unknown action 404', async () => {
    const id = String((await app().call('POST', '/v1/workflows', { body: definition('schedules') })).body.id);
    expect((await app().call('GET', `/v1/workflows/${id}/schedule`)).body.error.code).toBe('not_found');
    const action = await app().call('POST', `/v1/workflows/${id}/schedule/stop`);
    expect(action.body.error).toEqual({ code: 'not_found', message: 'Use /schedule/pause or /schedule/resume' });
  });
});

import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Webhook authentication per trigger: bearer, named header, HMAC over the raw body, Standard
 * Webhooks with a replay window, combinations, rotation with two active secrets, write-only secrets
 * that never reach responses or logs, and the anti-enumeration answer for unknown tokens.
 */
describe('webhook authentication', () => {
  let stack: Stack;
  /** Every secret handed out or set in this file: none may appear in a response or a log line. */
  const secretsSeen: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start('trigger-auth', { services: ['ingress', 'execution'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const executions = async (workflowId: string) =>
    (await stack.settledDb()).collection('executions').countDocuments({ workflow_id: workflowId });

  const deploy = (name: string, auth: unknown, expression = '"ok"') =>
    stack.deploy({
      name,
      max_concurrent_executions: 0,
      trigger: { webhook: { auth } },
      steps: [{ id: 'out', type: 'transform', expression }],
    });

  const addSecret = async (workflowId: string, body: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await stack.api('POST', `/v1/workflows/${workflowId}/trigger/secrets`, body);
    if (res.status === 201) secretsSeen.push(body.secret ?? res.body.secret);
    return res;
  };

  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    request(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  /** Sends every refused request, then checks each answered 401 with the code and that nothing was queued. */
  const expectRefused = async (workflowId: string, code: string, attempts: (() => Promise<ApiResponse>)[]) => {
    const before = await executions(workflowId);
    for (const attempt of attempts) {
      const res = await attempt();
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 401, code });
      expect(res.text).not.toMatch(/stack|at \w+ \(/);
    }
    expect(await executions(workflowId)).toBe(before);
  };

  const hmacHex = (key: string, body: string) => createHmac('sha256', key).update(body).digest('hex');

  it('bearer: the generated token (returned once) passes; missing or wrong tokens get 401 and queue nothing', async () => {
    const wf = await deploy('bearer', { type: 'bearer' }, 'trigger.headers');
    const added = await addSecret(wf.id);
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      id: expect.stringMatching(/^sec_/),
      method: 'bearer',
      fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    const token = added.body.secret as string;
    expect(token.length).toBeGreaterThan(30);

    const ok = await post(wf.sync, '{}', { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.body.authorization).toBeUndefined();
    await expectRefused(wf.id, 'unauthorized', [
      () => post(wf.async, '{}'),
      () => post(wf.async, '{}', { authorization: `Bearer ${token}x` }),
      () => post(wf.async, '{}', { authorization: token }),
      () => post(wf.sync, '{}', { authorization: `Basic ${token}` }),
    ]);
    // The token is stored as its SHA-256 only.
    const doc = await (await stack.db()).collection('triggers').findOne({ workflow_id: wf.id });
    expect(JSON.stringify(doc)).not.toContain(token);
  });

  it('named header: a given token passes and is hidden from the workflow; others get 401', async () => {
    const wf = await deploy('header', { type: 'header', header: 'X-Api-Token' }, 'trigger.headers');
    const token = `hdr_${randomBytes(16).toString('hex')}`;
    const added = await addSecret(wf.id, { secret: token });
    expect(added.status).toBe(201);
    expect(added.body.secret).toBeUndefined();

    const ok = await post(wf.sync, '{}', { 'x-api-token': token, 'x-other': 'kept' });
    expect(ok.status).toBe(200);
    expect(ok.body['x-other']).toBe('kept');
    expect(ok.body['x-api-token']).toBeUndefined();
    await expectRefused(wf.id, 'unauthorized', [
      () => post(wf.async, '{}'),
      () => post(wf.async, '{}', { 'x-api-token': 'wrong-token-wrong-token' }),
      () => post(wf.async, '{}', { authorization: `Bearer ${token}` }),
    ]);
  });

  it('HMAC sha256 hex with a prefix, over the raw body bytes; tampered or unsigned requests get 401', async () => {
    const wf = await deploy('hmac-hex', { type: 'hmac', header: 'X-Hub-Signature-256', prefix: 'sha256=' }, 'trigger.body.n');
    const key = `gh_${randomBytes(20).toString('hex')}`;
    expect((await addSecret(wf.id, { secret: key })).status).toBe(201);
    // Whitespace and key order matter: the signature is over the bytes as sent.
    const body = '{ "n" : 1 ,"z":"ü"}';
    const ok = await post(wf.sync, body, { 'x-hub-signature-256': `sha256=${hmacHex(key, body)}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(1);
    await expectRefused(wf.id, 'invalid_signature', [
      () => post(wf.async, '{"n":1,"z":"ü"}', { 'x-hub-signature-256': `sha256=${hmacHex(key, body)}` }),
      () => post(wf.async, body, { 'x-hub-signature-256': hmacHex(key, body) }),
      () => post(wf.async, body, { 'x-hub-signature-256': `sha256=${hmacHex('another-secret-1234', body)}` }),
      () => post(wf.async, body),
    ]);
  });

  it('HMAC sha512 base64', async () => {
    const wf = await deploy('hmac-512', { type: 'hmac', header: 'X-Signature', algorithm: 'sha512', encoding: 'base64' });
    const key = randomBytes(32).toString('hex');
    expect((await addSecret(wf.id, { method: 'hmac', secret: key })).status).toBe(201);
    const body = '{"event":"paid"}';
    const sig = (k: string, b: string) => createHmac('sha512', k).update(b).digest('base64');
    expect((await post(wf.async, body, { 'x-signature': sig(key, body) })).status).toBe(202);
    await expectRefused(wf.id, 'invalid_signature', [
      () => post(wf.async, body, { 'x-signature': createHmac('sha256', key).update(body).digest('base64') }),
      () => post(wf.async, '{"event":"refunded"}', { 'x-signature': sig(key, body) }),
    ]);
  });

  it('Standard Webhooks: a valid signature passes; tampered, 10 minutes old or unsigned requests get 401', async () => {
    const wf = await deploy('standard', { type: 'standard_webhooks' }, 'trigger.body.id');
    const added = await addSecret(wf.id);
    expect(added.status).toBe(201);
    expect(added.body.secret).toMatch(/^whsec_/);
    const signer = new Webhook(added.body.secret as string);
    const signed = (id: string, at: Date, body: string) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(id, at, body),
    });
    const body = '{"id":"evt_1"}';
    const ok = await post(wf.sync, body, signed('msg_1', new Date(), body));
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('evt_1');

    // A replay of a captured request within the tolerance (or the sender's retry) carries the same
    // signed webhook-id: it gets the first execution and starts nothing.
    const before = await executions(wf.id);
    const once = signed('msg_replay', new Date(), body);
    const first = await post(wf.async, body, once);
    const replay = await post(wf.async, body, once);
    expect([first.status, replay.status]).toEqual([202, 202]);
    expect(replay.body.execution_id).toBe(first.body.execution_id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await executions(wf.id)).toBe(before + 1);

    const old = new Date(Date.now() - 10 * 60_000);
    await expectRefused(wf.id, 'invalid_signature', [
      () => post(wf.async, '{"id":"evt_2"}', signed('msg_2', new Date(), body)),
      () => post(wf.async, body, { ...signed('msg_3', new Date(), body), 'webhook-id': 'msg_other' }),
      () => post(wf.async, body, signed('msg_4', old, body)),
      () => post(wf.async, body, signed('msg_5', new Date(Date.now() + 10 * 60_000), body)),
      () => post(wf.async, body),
    ]);
    // A given secret must have the Standard Webhooks format.
    const bad = await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, { secret: 'not-a-whsec-secret-at-all' });
    expect(bad.status).toBe(400);
  });

  it('rotation: old and new secrets both pass; after a second rotation the first is refused; a deleted one is refused', async () => {
    const wf = await deploy('rotation', { type: 'hmac' });
    const keys = [0, 1, 2].map(() => randomBytes(24).toString('hex'));
    const body = '{"r":1}';
    const send = (key: string) => post(wf.async, body, { 'x-webhook-signature': hmacHex(key, body) });
    const [k1, k2, k3] = keys as [string, string, string];

    const first = await addSecret(wf.id, { secret: k1 });
    expect((await send(k1)).status).toBe(202);
    const second = await addSecret(wf.id, { secret: k2 });
    expect(second.body.secrets.map((s: { id: string }) => s.id)).toEqual([first.body.id, second.body.id]);
    expect((await send(k1)).status).toBe(202);
    expect((await send(k2)).status).toBe(202);

    const third = await addSecret(wf.id, { secret: k3 });
    expect(third.body.secrets.map((s: { id: string }) => s.id)).toEqual([second.body.id, third.body.id]);
    await expectRefused(wf.id, 'invalid_signature', [() => send(k1)]);
    expect((await send(k2)).status).toBe(202);
    expect((await send(k3)).status).toBe(202);

    expect((await stack.api('DELETE', `/v1/workflows/${wf.id}/trigger/secrets/${second.body.id}`)).status).toBe(204);
    await expectRefused(wf.id, 'invalid_signature', [() => send(k2)]);
    expect((await send(k3)).status).toBe(202);
    expect((await stack.api('DELETE', `/v1/workflows/${wf.id}/trigger/secrets/${second.body.id}`)).status).toBe(404);

    const listed = await stack.api('GET', `/v1/workflows/${wf.id}/trigger/secrets`);
    expect(listed.status).toBe(200);
    expect(listed.body.secrets).toEqual([
      { id: third.body.id, method: 'hmac', fingerprint: third.body.fingerprint, created_at: expect.any(String) },
    ]);
  });

  it('combined methods must all pass', async () => {
    const wf = await deploy('combined', [{ type: 'bearer' }, { type: 'hmac', header: 'X-Sig' }]);
    // With two methods, the method must be named.
    expect((await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, {})).status).toBe(400);
    expect((await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, { method: 'basic' })).body.error.details).toEqual({
      methods: ['bearer', 'hmac'],
    });
    const token = (await addSecret(wf.id, { method: 'bearer' })).body.secret as string;
    const key = (await addSecret(wf.id, { method: 'hmac' })).body.secret as string;
    const body = '{"both":true}';
    const auth = { authorization: `Bearer ${token}` };
    const sig = { 'x-sig': hmacHex(key, body) };
    expect((await post(wf.async, body, { ...auth, ...sig })).status).toBe(202);
    await expectRefused(wf.id, 'unauthorized', [() => post(wf.async, body, sig)]);
    await expectRefused(wf.id, 'invalid_signature', [() => post(wf.async, body, auth)]);
    // A bearer token is not an HMAC key and vice versa.
    await expectRefused(wf.id, 'unauthorized', [() => post(wf.async, body, { authorization: `Bearer ${key}`, ...sig })]);
  });

  it('secrets are scoped to the workspace and need an auth method', async () => {
    const wf = await deploy('scoped', { type: 'bearer' });
    const other = await stack.apiKeyForWorkspace('intruder');
    for (const method of ['GET', 'POST'] as const) {
      const res = await request(`${stack.ingressUrl}/v1/workflows/${wf.id}/trigger/secrets`, {
        method,
        headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.status).toBe(404);
    }
    expect(await (await stack.db()).collection('triggers').findOne({ workflow_id: wf.id, auth_secrets: { $exists: true } })).toBeNull();
    const open = await stack.deploy({ name: 'open', steps: [{ id: 'a', type: 'transform', expression: '1' }] });
    const none = await stack.api('POST', `/v1/workflows/${open.id}/trigger/secrets`, {});
    expect(none.status).toBe(400);
    expect((await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, { secret: 'short' })).status).toBe(400);
    expect((await stack.api('POST', `/v1/workflows/${wf.id}/trigger/secrets`, { value: 'x'.repeat(20) })).status).toBe(400);
  });

  it('refusals are counted as reason="auth"; no secret appears in any response or service log', async () => {
    const metrics = await (await fetch(`${stack.opsUrl('ingress')}/metrics`)).text();
    const refused = /flowgate_webhooks_rejected_total\{[^}]*reason="auth"[^}]*\} (\d+)/.exec(metrics);
    expect(Number(refused?.[1])).toBeGreaterThanOrEqual(20);

    expect(secretsSeen.length).toBeGreaterThanOrEqual(10);
    const workflows = await stack.api('GET', '/v1/workflows?limit=100');
    const listings = await Promise.all(
      (workflows.body.data as { id: string }[]).map((w) => stack.api('GET', `/v1/workflows/${w.id}/trigger/secrets`)),
    );
    const execs = await stack.api('GET', '/v1/executions?limit=100');
    const details = await Promise.all((execs.body.data as { id: string }[]).map((e) => stack.api('GET', `/v1/executions/${e.id}`)));
    await sleep(400); // logs leave in chunks, at most 200 ms after the line (kit logger.ts)
    const everything =
      [workflows, ...listings, execs, ...details].map((r) => r.text).join('\n') + stack.logs('ingress') + stack.logs('execution');
    expect(details.length).toBeGreaterThan(5);
    for (const secret of secretsSeen) expect(everything).not.toContain(secret);
  });
});

describe('webhook anti-enumeration', () => {
  let stack: Stack;

  afterEach(async () => {
    await stack?.stop();
  });

  it('unknown tokens get 404 by default', async () => {
    stack = await Stack.start('anti-enum-off', { services: ['ingress'] });
    const res = await request(`${stack.ingressUrl}/hooks/wh_${randomBytes(18).toString('base64url')}`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('webhook_not_found');
  });

  it('with FLOWGATE_WEBHOOK_ANTI_ENUMERATION=on unknown or malformed tokens get 200 {"received": true} and nothing is created', async () => {
    stack = await Stack.start('anti-enum-on', { services: ['ingress'], env: { ingress: { FLOWGATE_WEBHOOK_ANTI_ENUMERATION: 'on' } } });
    for (const path of [`/hooks/wh_${randomBytes(18).toString('base64url')}`, '/hooks/wh_short/sync', '/hooks/..%2F..%2Fetc']) {
      const res = await request(`${stack.ingressUrl}${path}`, {
        method: 'POST',
        body: '{"a":1}',
        headers: { 'content-type': 'application/json' },
      });
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 200, body: { received: true } });
    }
    const db = await stack.db();
    expect(await (await stack.settledDb()).collection('executions').countDocuments()).toBe(0);
    expect(await db.collection('idempotency_keys').countDocuments()).toBe(0);
    // Known webhooks are unchanged: auth still answers 401.
    const wf = await stack.api('POST', '/v1/workflows?publish=true', {
      name: 'guarded',
      trigger: { webhook: { auth: { type: 'bearer' } } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(wf.status).toBe(201);
    expect((await request(wf.body.triggers.production.async as string, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

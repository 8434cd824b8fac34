import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  authMethodsOf,
  credentialHeadersOf,
  isStandardWebhooksSecret,
  validateDefinition,
  verifyWebhookAuth,
  webhookAuthSchema,
  type AuthSecrets,
  type SecretMethod,
} from '../src';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const body = Buffer.from('{"order":1}');
const NOW = Date.UTC(2025, 0, 1, 12);

function secrets(byKey: Record<string, { hashes?: string[]; keys?: string[] }>): AuthSecrets {
  return { hashes: (k) => byKey[k]?.hashes ?? [], keys: (k) => byKey[k]?.keys ?? [] };
}
const methods = (auth: unknown): SecretMethod[] => authMethodsOf(webhookAuthSchema.parse(auth));

describe('webhook auth schema', () => {
  it('accepts one method or a list, with defaults, inside a definition', () => {
    const result = validateDefinition({
      name: 'x',
      trigger: { webhook: { auth: [{ type: 'bearer' }, { type: 'hmac', prefix: 'sha256=' }] } },
      steps: [{ id: 'a', type: 'transform', expression: '1' }],
    });
    expect(result.ok).toBe(true);
    expect(methods({ type: 'hmac' })).toEqual([{ type: 'hmac', header: 'X-Webhook-Signature', algorithm: 'sha256', encoding: 'hex' }]);
    expect(methods({ type: 'standard_webhooks' })).toEqual([{ type: 'standard_webhooks', tolerance_s: 300 }]);
    expect(methods({ type: 'none' })).toEqual([]);
  });

  it('refuses secrets inside the definition, unknown types, bad headers and two methods sharing secrets', () => {
    for (const bad of [
      { type: 'bearer', token: 'x' },
      { type: 'basic' },
      { type: 'header', header: 'bad header' },
      { type: 'header', header: 'Authorization' },
      [
        { type: 'header', header: 'A' },
        { type: 'header', header: 'B' },
      ],
      { type: 'standard_webhooks', tolerance_s: 0 },
    ])
      expect(webhookAuthSchema.safeParse(bad).success).toBe(false);
    expect(
      webhookAuthSchema.safeParse([
        { type: 'header', header: 'A' },
        { type: 'header', id: 'b', header: 'B' },
      ]).success,
    ).toBe(true);
  });

  it('names the headers that carry credentials', () => {
    expect(credentialHeadersOf(methods([{ type: 'bearer' }, { type: 'header', header: 'X-Api-Token' }, { type: 'hmac' }]))).toEqual([
      'authorization',
      'x-api-token',
    ]);
  });

  it('recognises Standard Webhooks secrets', () => {
    expect(isStandardWebhooksSecret(`whsec_${randomBytes(32).toString('base64')}`)).toBe(true);
    expect(isStandardWebhooksSecret(`whsec_${randomBytes(8).toString('base64')}`)).toBe(false);
    expect(isStandardWebhooksSecret('plain')).toBe(false);
  });
});

describe('verifyWebhookAuth', () => {
  it('bearer and header tokens match one of the stored hashes only', () => {
    const s = secrets({ bearer: { hashes: [sha('old-token'), sha('new-token')] }, header: { hashes: [sha('h-token')] } });
    const m = methods([{ type: 'bearer' }, { type: 'header', header: 'X-Api-Token' }]);
    const ok = (authorization: string | undefined, token: string | undefined) =>
      verifyWebhookAuth(m, { headers: { authorization, 'x-api-token': token }, rawBody: body }, s, NOW);
    expect(ok('Bearer new-token', 'h-token')).toEqual({ ok: true });
    expect(ok('bearer old-token', 'h-token')).toEqual({ ok: true });
    expect(ok('Bearer other', 'h-token')).toEqual({ ok: false, code: 'unauthorized', method: 'bearer', type: 'bearer' });
    expect(ok('new-token', 'h-token')).toMatchObject({ ok: false });
    expect(ok(undefined, 'h-token')).toMatchObject({ ok: false });
    expect(ok('Bearer new-token', 'wrong')).toEqual({ ok: false, code: 'unauthorized', method: 'header', type: 'header' });
    expect(ok('Bearer new-token', undefined)).toMatchObject({ ok: false });
  });

  it('HMAC sha256 hex with a prefix and sha512 base64 over the raw bytes', () => {
    const key = 'hmac-secret-0123456789';
    const s = secrets({ hmac: { keys: ['rotated-out-secret', key] } });
    const hex = methods({ type: 'hmac', header: 'X-Hub-Signature-256', prefix: 'sha256=' });
    const sig = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const check = (m: SecretMethod[], h: Record<string, string>, b = body) => verifyWebhookAuth(m, { headers: h, rawBody: b }, s, NOW).ok;
    expect(check(hex, { 'x-hub-signature-256': sig })).toBe(true);
    expect(check(hex, { 'x-hub-signature-256': sig.toUpperCase().replace('SHA256=', 'sha256=') })).toBe(true);
    expect(check(hex, { 'x-hub-signature-256': sig.slice(7) })).toBe(false);
    expect(check(hex, { 'x-hub-signature-256': sig }, Buffer.from('{"order":2}'))).toBe(false);
    expect(check(hex, { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'other').update(body).digest('hex')}` })).toBe(false);
    expect(check(hex, {})).toBe(false);

    const b64 = methods({ type: 'hmac', algorithm: 'sha512', encoding: 'base64' });
    expect(check(b64, { 'x-webhook-signature': createHmac('sha512', key).update(body).digest('base64') })).toBe(true);
    expect(check(b64, { 'x-webhook-signature': createHmac('sha256', key).update(body).digest('base64') })).toBe(false);
  });

  it('Standard Webhooks: valid (as the standardwebhooks library signs), tampered, too old, from the future', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const wh = new Webhook(secret);
    const m = methods({ type: 'standard_webhooks' });
    const s = secrets({ standard_webhooks: { keys: [secret] } });
    const at = (tsMs: number, b = body, signAt = tsMs) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(tsMs / 1000)),
      'webhook-signature': wh.sign('msg_1', new Date(signAt), b),
    });
    const check = (h: Record<string, string>, b = body) => verifyWebhookAuth(m, { headers: h, rawBody: b }, s, NOW);
    expect(check(at(NOW))).toEqual({ ok: true });
    expect(check(at(NOW - 290_000)).ok).toBe(true);
    expect(check(at(NOW), Buffer.from('{"order":2}'))).toEqual({
      ok: false,
      code: 'invalid_signature',
      method: 'standard_webhooks',
      type: 'standard_webhooks',
    });
    expect(check(at(NOW - 600_000)).ok).toBe(false);
    expect(check(at(NOW + 600_000)).ok).toBe(false);
    expect(check({ ...at(NOW), 'webhook-id': 'msg_2' }).ok).toBe(false);
    expect(check({ ...at(NOW), 'webhook-signature': `v1,garbage ${at(NOW)['webhook-signature']}` }).ok).toBe(true);
    expect(check({ ...at(NOW), 'webhook-timestamp': 'soon' }).ok).toBe(false);
    const longer = methods({ type: 'standard_webhooks', tolerance_s: 900 });
    expect(verifyWebhookAuth(longer, { headers: at(NOW - 600_000), rawBody: body }, s, NOW).ok).toBe(true);
  });

  it('no methods = open; a method without stored secrets refuses everything', () => {
    expect(verifyWebhookAuth([], { headers: {}, rawBody: body }, secrets({}), NOW)).toEqual({ ok: true });
    expect(
      verifyWebhookAuth(methods({ type: 'bearer' }), { headers: { authorization: 'Bearer x' }, rawBody: body }, secrets({}), NOW).ok,
    ).toBe(false);
  });
});

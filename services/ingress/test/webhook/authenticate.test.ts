import { SecretBox, sha256Hex } from '@flowgate/kit';
import { createHmac, randomBytes } from 'node:crypto';
import { authenticate, authenticateSource, needsProductionSecrets } from '../../src/webhook/authenticate';
import { hook, trigger, webhookWith } from './fixtures';

const box = new SecretBox(randomBytes(32).toString('base64'));
const secrets = trigger({
  auth_secrets: [
    { id: 'sec_1', method: 'bearer', storage: 'hash', value: sha256Hex('s3cret'), fingerprint: 'ab', created_at: new Date(0) },
  ],
});
const bearer = webhookWith({ auth: { type: 'bearer' } });
const now = new Date();

describe('stage "authenticate"', () => {
  it('lets a request with a valid credential through', () => {
    expect(() =>
      authenticate(bearer, { headers: { authorization: 'Bearer s3cret' }, body: Buffer.alloc(0) }, secrets, box, now),
    ).not.toThrow();
  });

  it('refuses a missing or wrong credential with 401 (reason auth)', () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }])
      expect(() => authenticate(bearer, { headers, body: Buffer.alloc(0) }, secrets, box, now)).toThrow(
        expect.objectContaining({ reason: 'auth', code: 'unauthorized', status: 401 }),
      );
  });

  it('lets anything through a webhook without auth', () => {
    expect(() => authenticate(webhookWith({}), { headers: {}, body: undefined }, trigger(), box, now)).not.toThrow();
  });

  it("reads the production trigger's secrets only for another environment's webhook with auth", () => {
    expect(needsProductionSecrets(hook({ environment: 'staging' }), bearer)).toBe(true);
    expect(needsProductionSecrets(hook({ environment: 'production' }), bearer)).toBe(false);
    expect(needsProductionSecrets(hook({ environment: 'development' }), webhookWith({}))).toBe(false);
  });

  it("checks a fan-out against the source's own auth and secrets (sealed signing keys unsealed), or the token alone without auth", () => {
    const body = Buffer.from('{"type":"x"}');
    const source = {
      auth: { type: 'hmac' as const, header: 'X-Webhook-Signature', algorithm: 'sha256' as const, encoding: 'hex' as const },
      auth_secrets: [
        {
          id: 'sec_2',
          method: 'hmac',
          storage: 'sealed' as const,
          value: box.encrypt('signing-key'),
          fingerprint: 'cd',
          created_at: new Date(0),
        },
      ],
    };
    const signature = createHmac('sha256', 'signing-key').update(body).digest('hex');
    expect(() => authenticateSource(source, { headers: { 'x-webhook-signature': signature }, body }, box, now)).not.toThrow();
    for (const headers of [{}, { 'x-webhook-signature': createHmac('sha256', 'other').update(body).digest('hex') }])
      expect(() => authenticateSource(source, { headers, body }, box, now)).toThrow(
        expect.objectContaining({ reason: 'auth', code: 'invalid_signature', status: 401 }),
      );
    // Auth but no secret yet: nothing passes.
    expect(() => authenticateSource({ auth: source.auth }, { headers: { 'x-webhook-signature': signature }, body }, box, now)).toThrow(
      expect.objectContaining({ reason: 'auth' }),
    );
    for (const open of [{}, { auth: null }]) expect(() => authenticateSource(open, { headers: {}, body }, box, now)).not.toThrow();
  });
});

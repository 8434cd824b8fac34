import { SecretBox } from '@flowgate/kit';
import { randomBytes } from 'node:crypto';
import { webhookAuthFailure } from '../src/webhook-auth';

/** A refusal says what is wrong for the method that failed: a timestamp only where the method signs one. */
const box = new SecretBox(randomBytes(32).toString('base64'));
const sealed = (method: string, secret: string) => ({
  auth_secrets: [
    { id: `sec_${method}`, method, storage: 'sealed' as const, value: box.encrypt(secret), fingerprint: 'ab', created_at: new Date(0) },
  ],
});
const request = { headers: { 'x-webhook-signature': 'deadbeef' }, body: Buffer.from('{}') };

describe('webhook auth refusals', () => {
  it('an HMAC refusal talks about the HMAC of the body, not a timestamp', () => {
    const error = webhookAuthFailure(
      { type: 'hmac', header: 'X-Webhook-Signature', algorithm: 'sha256', encoding: 'hex' },
      request,
      sealed('hmac', 'key'),
      box,
      new Date(),
    );
    expect(error?.code).toBe('invalid_signature');
    expect(error?.message).toMatch(/HMAC of the raw body/);
    expect(error?.message).not.toMatch(/timestamp/i);
  });

  it('a Standard Webhooks refusal names the timestamp tolerance', () => {
    const error = webhookAuthFailure(
      { type: 'standard_webhooks', tolerance_s: 300 },
      request,
      sealed('standard_webhooks', 'whsec_a2V5a2V5a2V5'),
      box,
      new Date(),
    );
    expect(error?.code).toBe('invalid_signature');
    expect(error?.message).toMatch(/webhook-timestamp is outside the tolerance/);
  });

  it('a token refusal stays "credentials"', () => {
    const error = webhookAuthFailure({ type: 'bearer' }, { headers: {}, body: Buffer.alloc(0) }, { auth_secrets: [] }, box, new Date());
    expect([error?.code, error?.message]).toEqual(['unauthorized', 'Missing or invalid webhook credentials']);
  });
});

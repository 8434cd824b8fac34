import { randomBytes } from 'node:crypto';
import { randomToken, SecretBox, sha256Hex } from '../src/secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32).toString('base64'));

  it('round-trips a secret and never produces the same ciphertext twice', () => {
    const a = box.encrypt('wh_secret-token');
    const b = box.encrypt('wh_secret-token');
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret-token');
    expect(box.decrypt(a)).toBe('wh_secret-token');
  });

  it('refuses tampered ciphertext and a different key', () => {
    const sealed = box.encrypt('value');
    const [v, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data ?? '', 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => new SecretBox(randomBytes(32).toString('base64')).decrypt(sealed)).toThrow();
    expect(() => box.decrypt('not-sealed')).toThrow('unrecognised sealed secret');
  });

  it('requires a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16).toString('base64'))).toThrow('32 bytes');
  });

  it('hashes and generates prefixed random tokens', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const t = randomToken('fgk_');
    expect(t).toMatch(/^fgk_[A-Za-z0-9_-]{32}$/);
    expect(randomToken('fgk_')).not.toBe(t);
  });
});

describe('SecretBox.derive', () => {
  it('is deterministic per key, purpose and value, and differs otherwise', () => {
    const key = randomBytes(32).toString('base64');
    const a = new SecretBox(key).derive('environment-webhook', 'wf_1:development');
    expect(new SecretBox(key).derive('environment-webhook', 'wf_1:development').equals(a)).toBe(true);
    expect(a).toHaveLength(32);
    expect(new SecretBox(key).derive('environment-webhook', 'wf_1:staging').equals(a)).toBe(false);
    expect(new SecretBox(key).derive('other', 'wf_1:development').equals(a)).toBe(false);
    expect(new SecretBox(randomBytes(32).toString('base64')).derive('environment-webhook', 'wf_1:development').equals(a)).toBe(false);
  });
});

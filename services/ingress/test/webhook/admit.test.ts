import { ApiError } from '@flowgate/contracts';
import type { LimitCheck } from '../../src/rate-limiter';
import { admit, admitWorkspace, allowMethod, hasKeyedLimits, limitsFor, type Admitter } from '../../src/webhook/admit';
import { trigger, webhookWith } from './fixtures';

const off = { workspacePerSecond: 0, workspaceBurst: 0 };

describe('stage "admit"', () => {
  it('refuses a method the webhook does not accept with 405 and Allow', () => {
    const webhook = webhookWith({ methods: ['POST', 'PUT'] });
    expect(() => allowMethod(webhook, 'PUT')).not.toThrow();
    expect(() => allowMethod(webhook, 'GET')).toThrow(
      expect.objectContaining({
        reason: 'method',
        status: 405,
        headers: { Allow: 'POST, PUT' },
        message: 'This webhook accepts POST, PUT',
      }),
    );
  });

  it("checks the workspace's bucket and the trigger's own", async () => {
    const webhook = webhookWith({ rate_limit: { per_second: 2.5 } });
    expect(
      (await limitsFor({ workspacePerSecond: 10, workspaceBurst: 0 }, trigger(), webhook)).map((c) => [c.name, c.key, c.policy]),
    ).toEqual([
      ['workspace', 'ws.ws1', { perSecond: 10, burst: 10 }],
      ['trigger', 'trigger.th1', { perSecond: 2.5, burst: 3 }],
    ]);
    expect(await limitsFor(off, trigger(), webhookWith({}))).toEqual([]);
  });

  it('keys a bucket by the key of the input and stacks a list of buckets', async () => {
    const webhook = webhookWith({
      rate_limit: [{ per_second: 100 }, { per_second: 2, burst: 4, key: 'trigger.body.customer' }],
    });
    expect(hasKeyedLimits(webhook)).toBe(true);
    expect(hasKeyedLimits(webhookWith({ rate_limit: { per_second: 1 } }))).toBe(false);
    const input = (customer: string) => ({ method: 'POST', path: '/', query: {}, headers: {}, body: { customer } });
    const acme = await limitsFor(off, trigger(), webhook, undefined, { input: input('acme') });
    const other = await limitsFor(off, trigger(), webhook, undefined, { input: input('other') });
    expect(acme.map((c) => [c.name, c.policy])).toEqual([
      ['trigger_0', { perSecond: 100, burst: 100 }],
      ['trigger_key_1', { perSecond: 2, burst: 4 }],
    ]);
    expect(acme[0]?.key).toBe('trigger.th1');
    expect(acme[1]?.key).toMatch(/^trigger\.th1\.1\.[A-Za-z0-9_-]{22}$/);
    expect(other[1]?.key).not.toBe(acme[1]?.key);
    expect((await limitsFor(off, trigger(), webhook, undefined, { input: input('acme') }))[1]?.key).toBe(acme[1]?.key);
  });

  it("gives a version URL its own trigger bucket under its version's rate_limit", async () => {
    const webhook = webhookWith({ rate_limit: { per_second: 1 } });
    expect((await limitsFor(off, trigger(), webhook, undefined, { version: 3 })).map((c) => [c.name, c.key, c.policy])).toEqual([
      ['trigger', 'trigger.th1.v3', { perSecond: 1, burst: 1 }],
    ]);
    expect((await limitsFor(off, trigger(), webhook, undefined, { version: null })).map((c) => c.key)).toEqual(['trigger.th1']);
  });

  it("takes the workspace's own bucket over the deployment's, and its 0 as none", async () => {
    const policies = async (own: Parameters<typeof limitsFor>[3]) =>
      (await limitsFor({ workspacePerSecond: 10, workspaceBurst: 20 }, trigger(), webhookWith({}), own)).map((c) => c.policy);
    expect(await policies(null)).toEqual([{ perSecond: 10, burst: 20 }]);
    expect(await policies({ per_second: 1.5, burst: null })).toEqual([{ perSecond: 1.5, burst: 2 }]);
    expect(await policies({ per_second: 3, burst: 7 })).toEqual([{ perSecond: 3, burst: 7 }]);
    expect(await policies({ per_second: 0, burst: null })).toEqual([]);
    expect((await limitsFor(off, trigger(), webhookWith({}), { per_second: 5, burst: null })).map((c) => c.policy)).toEqual([
      { perSecond: 5, burst: 5 },
    ]);
  });

  it("passes the limiter's answer on: its headers, or its 429", async () => {
    const seen: LimitCheck[][] = [];
    const limiter: Admitter = {
      admit: (checks) => {
        seen.push(checks);
        return checks.length > 0
          ? Promise.reject(new ApiError('rate_limited', 'slow down'))
          : Promise.resolve({ headers: { RateLimit: 'x' } });
      },
    };
    await expect(admit(limiter, off, trigger(), webhookWith({}))).resolves.toEqual({ headers: { RateLimit: 'x' } });
    await expect(admit(limiter, off, trigger(), webhookWith({ rate_limit: { per_second: 1 } }))).rejects.toMatchObject({
      code: 'rate_limited',
    });
    expect(seen.map((s) => s.length)).toEqual([0, 1]);
  });

  it("admits a fan-out on the workspace's bucket alone, and asks no limiter when the workspace is not limited", async () => {
    const seen: LimitCheck[][] = [];
    const limiter: Admitter = {
      admit: (checks) => {
        seen.push(checks);
        return Promise.resolve({ headers: { RateLimit: 'y' } });
      },
    };
    expect(admitWorkspace(limiter, off, 'ws1')).toBeNull();
    await expect(admitWorkspace(limiter, { workspacePerSecond: 4, workspaceBurst: 0 }, 'ws1')).resolves.toEqual({
      headers: { RateLimit: 'y' },
    });
    expect(seen.map((checks) => checks.map((c) => [c.name, c.key]))).toEqual([[['workspace', 'ws.ws1']]]);
  });
});

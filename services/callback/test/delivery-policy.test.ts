import { jittered, loadCallbackConfig } from '../src/config';
import { isRetryableStatus } from '../src/deliver';
import { DeliveryLimiter, ShuttingDownError } from '../src/limiter';

const base = {
  FLOWGATE_CALLBACK_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
  FLOWGATE_ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('base64'),
};

describe('callback configuration', () => {
  it('defaults to the documented schedule, ±20 % jitter, 4 per host and no private egress', () => {
    const config = loadCallbackConfig(base);
    expect(config.FLOWGATE_CALLBACK_RETRY_SCHEDULE_S).toEqual([0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(config.FLOWGATE_CALLBACK_RETRY_JITTER).toBe(0.2);
    expect(config.FLOWGATE_CALLBACK_MAX_PER_HOST).toBe(4);
    expect(config.FLOWGATE_EGRESS_ALLOW_CIDRS.entries).toEqual([]);
  });

  it('refuses schedules that outlive the events stream, a missing encryption key and bad CIDRs, naming the variable', () => {
    expect(() => loadCallbackConfig({ ...base, FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: '0,600000' })).toThrow(
      /FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: the delays must add up to at most 6 days/,
    );
    expect(() => loadCallbackConfig({ ...base, FLOWGATE_CALLBACK_RETRY_SCHEDULE_S: '0,5s' })).toThrow(/FLOWGATE_CALLBACK_RETRY_SCHEDULE_S/);
    expect(() => loadCallbackConfig({ FLOWGATE_CALLBACK_SIGNING_SECRET: base.FLOWGATE_CALLBACK_SIGNING_SECRET })).toThrow(
      /FLOWGATE_ENCRYPTION_KEY/,
    );
    expect(() => loadCallbackConfig({ ...base, FLOWGATE_EGRESS_ALLOW_CIDRS: '10.0.0.1/8' })).toThrow(/FLOWGATE_EGRESS_ALLOW_CIDRS/);
  });

  it('bounds the workspace_id metric label by FLOWGATE_METRICS_MAX_WORKSPACES (default 100, 0 allowed)', () => {
    expect(loadCallbackConfig(base).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(100);
    expect(loadCallbackConfig({ ...base, FLOWGATE_METRICS_MAX_WORKSPACES: '0' }).FLOWGATE_METRICS_MAX_WORKSPACES).toBe(0);
    expect(() => loadCallbackConfig({ ...base, FLOWGATE_METRICS_MAX_WORKSPACES: '-1' })).toThrow(/FLOWGATE_METRICS_MAX_WORKSPACES/);
  });
});

describe('retry policy', () => {
  it('jitters each delay within ± the fraction, and keeps 0 at 0', () => {
    expect(jittered(0, 0.2)).toBe(0);
    expect(jittered(5_000, 0.2, () => 0)).toBe(4_000);
    expect(jittered(5_000, 0.2, () => 1)).toBe(6_000);
    expect(jittered(5_000, 0, Math.random)).toBe(5_000);
    const samples = Array.from({ length: 500 }, () => jittered(300_000, 0.2));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(240_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(360_000);
    expect(new Set(samples).size).toBeGreaterThan(400);
  });

  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 400, 401, 403, 404, 409, 410, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe('DeliveryLimiter', () => {
  it('bounds attempts per host and in all, and passes slots on in order', async () => {
    const limiter = new DeliveryLimiter({ perHost: 2, global: 3, maxWaitingPerHost: 1 });
    const a1 = await limiter.acquire('a:80');
    const a2 = await limiter.acquire('a:80');
    let a3Got = false;
    const a3 = limiter.acquire('a:80').then((r) => ((a3Got = true), r));
    expect(await limiter.acquire('a:80')).toBeNull(); // host busy and its queue full: defer
    const b1 = await limiter.acquire('b:80'); // another host is not behind host a
    let b2Got = false;
    const b2 = limiter.acquire('b:80').then((r) => ((b2Got = true), r)); // the global bound (3) holds it
    await Promise.resolve();
    expect([a3Got, b2Got]).toEqual([false, false]);
    a1?.(); // frees a global slot (b2 waited for it first) and a slot of host a (a3 then waits for a global one)
    expect(await b2).toEqual(expect.any(Function));
    expect(a3Got).toBe(false);
    b1?.();
    expect(await a3).toEqual(expect.any(Function));
    a2?.();
  });

  it('rejects waiters with ShuttingDownError on close', async () => {
    const limiter = new DeliveryLimiter({ perHost: 1, global: 1, maxWaitingPerHost: 5 });
    await limiter.acquire('a:80');
    const waiting = limiter.acquire('a:80');
    limiter.close();
    await expect(waiting).rejects.toBeInstanceOf(ShuttingDownError);
    await expect(limiter.acquire('c:80')).rejects.toBeInstanceOf(ShuttingDownError);
  });
});

import { takeToken, type Bucket } from '../src/rate-limit';

const policy = { perSecond: 10, burst: 5 };

describe('token bucket', () => {
  it('starts full, spends one token a request, then refuses with Retry-After', () => {
    let bucket: Bucket | null = null;
    const allowed: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      const r = takeToken(bucket, 1_000, policy);
      allowed.push(r.allowed);
      if (r.allowed) bucket = r.bucket;
    }
    expect(allowed).toEqual([true, true, true, true, true, false, false]);
    const refused = takeToken(bucket, 1_000, policy);
    expect(refused).toEqual({ allowed: false, retryAfterS: 1, remaining: 0, resetS: 1 });
  });

  it('refills at the rate, never above the burst', () => {
    const empty: Bucket = { tokens: 0, at: 0 };
    expect(takeToken(empty, 50, policy).allowed).toBe(false);
    const after = takeToken(empty, 150, policy);
    expect(after).toMatchObject({ allowed: true, remaining: 0 });
    const long = takeToken(empty, 60_000, policy);
    expect(long).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('admits about the rate over time', () => {
    let bucket: Bucket | null = null;
    let admitted = 0;
    for (let t = 0; t <= 10_000; t += 10) {
      const r = takeToken(bucket, t, policy);
      if (r.allowed) {
        admitted++;
        bucket = r.bucket;
      }
    }
    expect(admitted).toBe(5 + 100);
  });
});

import type { Bucket, RatePolicy } from '../src/rate-limit';
import {
  allotmentDecision,
  allotmentOf,
  localRetryAfterS,
  MAX_RESERVATION,
  reservationSize,
  reserveTokens,
  reserveUnits,
  returnUnits,
  tokenBatch,
  TOKEN_LEASE_MS,
  unitBatch,
  type Allotment,
} from '../src/reservation';

describe('reservation sizes', () => {
  it('are 5 % of the capacity split over the replicas, at least 1, at most MAX_RESERVATION', () => {
    expect(reservationSize(4, 2)).toBe(1);
    expect(reservationSize(200, 2)).toBe(5);
    expect(reservationSize(200, 1)).toBe(10);
    expect(reservationSize(1_000_000, 2)).toBe(MAX_RESERVATION);
    expect(reservationSize(0, 3)).toBe(1);
    expect(reservationSize(-5, 0)).toBe(1);
  });

  it('a rate bucket batches a share of the smaller of rate and burst; a quota a share of what is left', () => {
    expect(tokenBatch({ perSecond: 1_000, burst: 40 }, 2)).toBe(1);
    expect(tokenBatch({ perSecond: 400, burst: 400 }, 2)).toBe(10);
    expect(unitBatch(5, 0, 2)).toBe(1); // small quotas stay exact
    expect(unitBatch(100_000, 0, 2)).toBe(1_000);
    expect(unitBatch(100_000, 99_990, 2)).toBe(1); // exact near the limit
  });
});

describe('token reservations', () => {
  const policy: RatePolicy = { perSecond: 100, burst: 100 };

  it('take up to the wanted whole tokens; a fresh bucket is full', () => {
    const r = reserveTokens(null, 0, policy, 5);
    expect(r).toMatchObject({ taken: 5, remaining: 95, bucket: { tokens: 95, at: 0 }, readyAt: 0 });
  });

  it('take what is there when fewer than wanted, and say when a batch will be there', () => {
    const r = reserveTokens({ tokens: 2.5, at: 0 }, 0, policy, 5);
    expect(r.taken).toBe(2);
    expect(r.bucket.tokens).toBeCloseTo(0.5);
    expect(r.readyAt).toBe(45); // 4.5 tokens at 100/s
    expect(r.nextTokenAt).toBe(5);
    expect(r.retryAfterS).toBe(1);
  });

  it('take nothing from an empty bucket, never more than the burst', () => {
    const empty = reserveTokens({ tokens: 0.2, at: 1_000 }, 1_000, policy, 1);
    expect(empty.taken).toBe(0);
    expect(empty.readyAt).toBe(1_008);
    expect(reserveTokens(null, 0, { perSecond: 1, burst: 2 }, 50).taken).toBe(2);
  });

  it('a local allotment spends held tokens until they lapse, refuses until a batch can exist, then reserves', () => {
    const a = allotmentOf(reserveTokens({ tokens: 1.5, at: 0 }, 0, policy, 3), 0);
    expect(a).toMatchObject({ tokens: 1, expiresAt: TOKEN_LEASE_MS });
    expect(allotmentDecision(a, 10)).toBe('spend');
    expect(allotmentDecision({ ...a, tokens: 0 }, 10)).toBe('refuse');
    expect(allotmentDecision({ ...a, tokens: 0 }, a.readyAt)).toBe('reserve');
    expect(allotmentDecision({ ...a, tokens: 1 }, TOKEN_LEASE_MS)).toBe('reserve');
    expect(allotmentDecision(undefined, 0)).toBe('reserve');
    expect(localRetryAfterS({ ...a, nextTokenAt: 2_500 }, 0)).toBe(3);
  });
});

/**
 * N replicas, each with its own allotment, sharing one bucket (reservations are atomic, as the
 * KV compare-and-set makes them); requests arrive at `offered`/s over `seconds`, spread over the
 * replicas by `route`. Returns what was admitted and how many reservations (round trips) it cost.
 */
function simulate(policy: RatePolicy, replicas: number, offered: number, seconds: number, route: (i: number) => number) {
  let shared: Bucket | null = null;
  const allotments: (Allotment | undefined)[] = Array.from({ length: replicas }, () => undefined);
  const batch = tokenBatch(policy, replicas);
  let admitted = 0;
  let reservations = 0;
  const total = Math.floor(offered * seconds);
  for (let i = 0; i < total; i++) {
    const now = Math.floor((i * 1000) / offered);
    const r = route(i);
    let a = allotments[r];
    let decision = allotmentDecision(a, now);
    if (decision === 'reserve') {
      reservations++;
      const res = reserveTokens(shared, now, policy, batch);
      if (res.taken > 0) shared = res.bucket;
      a = allotmentOf(res, now);
      allotments[r] = a;
      decision = a.tokens > 0 ? 'spend' : 'refuse';
    }
    if (decision === 'spend' && a) {
      a.tokens--;
      admitted++;
    }
  }
  return { admitted, reservations, expected: policy.burst + policy.perSecond * seconds };
}

describe('a limit shared by replicas through reservations', () => {
  it.each([
    { perSecond: 4, replicas: 2 },
    { perSecond: 200, replicas: 2 },
    { perSecond: 200, replicas: 3 },
    { perSecond: 5_000, replicas: 2 },
  ])('admits within 10 % of $perSecond/s with $replicas replicas offered twice the limit', ({ perSecond, replicas }) => {
    const policy = { perSecond, burst: perSecond };
    const { admitted, expected } = simulate(policy, replicas, 2 * perSecond, 10, (i) => i % replicas);
    expect(Math.abs(admitted - expected) / expected).toBeLessThanOrEqual(0.1);
    expect(admitted).toBeLessThanOrEqual(expected); // tokens come from the shared bucket before they are spent
  });

  it('holds when all traffic reaches one replica of two (no fixed per-replica share)', () => {
    const policy = { perSecond: 200, burst: 200 };
    const { admitted, expected } = simulate(policy, 2, 400, 10, () => 0);
    expect(Math.abs(admitted - expected) / expected).toBeLessThanOrEqual(0.1);
  });

  it('costs one reservation per admitted request for small limits, far fewer for large ones', () => {
    const small = simulate({ perSecond: 4, burst: 4 }, 2, 8, 10, (i) => i % 2);
    expect(small.reservations).toBeLessThanOrEqual(small.admitted + 2 * 10 * 2); // + a refused ask per replica and token
    const large = simulate({ perSecond: 5_000, burst: 5_000 }, 2, 10_000, 10, (i) => i % 2);
    expect(large.reservations).toBeLessThan(large.admitted / 50);
  });
});

describe('quota units', () => {
  it('are taken up to the limit, never past it, and given back without going below 0', () => {
    expect(reserveUnits(0, 5, 1)).toEqual({ next: 1, taken: 1 });
    expect(reserveUnits(3, 5, 10)).toEqual({ next: 5, taken: 2 });
    expect(reserveUnits(5, 5, 1)).toBeNull();
    expect(reserveUnits(7, 5, 1)).toBeNull();
    expect(returnUnits(10, 3)).toBe(7);
    expect(returnUnits(2, 3)).toBe(0);
  });
});

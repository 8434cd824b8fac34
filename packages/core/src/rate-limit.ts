/**
 * Token bucket, pure: the caller stores the bucket (shared across replicas in NATS KV) and passes
 * the clock. A bucket holds up to `burst` tokens and refills at `perSecond`.
 */
export interface Bucket {
  tokens: number;
  /** Epoch ms of the last update. */
  at: number;
}

export interface RatePolicy {
  perSecond: number;
  burst: number;
}

export type TakeResult =
  | { allowed: true; bucket: Bucket; remaining: number; resetS: number }
  | { allowed: false; retryAfterS: number; remaining: 0; resetS: number };

function refill(bucket: Bucket | null, now: number, policy: RatePolicy): Bucket {
  if (!bucket) return { tokens: policy.burst, at: now };
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  return { tokens: Math.min(policy.burst, bucket.tokens + elapsed * policy.perSecond), at: now };
}

export function takeToken(bucket: Bucket | null, now: number, policy: RatePolicy): TakeResult {
  const current = refill(bucket, now, policy);
  const toFull = (tokens: number) => Math.ceil((policy.burst - tokens) / policy.perSecond);
  if (current.tokens >= 1) {
    const next = { tokens: current.tokens - 1, at: now };
    return { allowed: true, bucket: next, remaining: Math.floor(next.tokens), resetS: toFull(next.tokens) };
  }
  return {
    allowed: false,
    retryAfterS: Math.max(1, Math.ceil((1 - current.tokens) / policy.perSecond)),
    remaining: 0,
    resetS: toFull(current.tokens),
  };
}

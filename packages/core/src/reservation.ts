import type { Bucket, RatePolicy } from './rate-limit';

/**
 * Reservations from a counter shared by N replicas (ADR 0012), pure: rate-limit tokens and quota
 * units are taken from the shared NATS KV key a batch at a time, so a replica pays one
 * compare-and-set per batch instead of one per request. A batch is at most `RESERVATION_SLACK` of
 * what the counter can give (a rate bucket's smaller of rate and burst, a quota's remaining units)
 * split over the replicas, so what all replicas hold unused together stays within that slack; near
 * a quota's limit and for small rate limits the batch is 1, i.e. exact.
 */
export const RESERVATION_SLACK = 0.05;
/** Upper bound of one batch (a replica then pays a round trip per this many requests). */
export const MAX_RESERVATION = 1_000;

/** Tokens / units one replica takes at a time from a counter that can give `capacity`, shared by `replicas`. */
export function reservationSize(capacity: number, replicas: number, slack = RESERVATION_SLACK, max = MAX_RESERVATION): number {
  const n = Math.max(1, Math.floor(replicas));
  const share = Math.floor((Math.max(0, capacity) * slack) / n);
  return Math.max(1, Math.min(max, share));
}

/** The rate bucket's batch: a share of the smaller of one second's rate and the burst. */
export function tokenBatch(policy: RatePolicy, replicas: number): number {
  return reservationSize(Math.min(policy.perSecond, policy.burst), replicas);
}

export interface TokenReservation {
  /** Whole tokens taken (0: none available). */
  taken: number;
  /** The bucket after the take (store it when `taken` > 0). */
  bucket: Bucket;
  /** Whole tokens left in the shared bucket. */
  remaining: number;
  /** Seconds until the shared bucket is full again. */
  resetS: number;
  /** Seconds until the next token exists (for Retry-After when nothing was taken), at least 1. */
  retryAfterS: number;
  /** Epoch ms when the shared bucket holds a whole token again. */
  nextTokenAt: number;
  /**
   * Epoch ms before which the shared bucket cannot hold `want` tokens: only other replicas take
   * tokens, only time adds them, so asking again earlier is pointless (a replica refuses locally).
   */
  readyAt: number;
}

function refill(bucket: Bucket | null, now: number, policy: RatePolicy): Bucket {
  if (!bucket) return { tokens: policy.burst, at: now };
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  return { tokens: Math.min(policy.burst, bucket.tokens + elapsed * policy.perSecond), at: now };
}

/**
 * Takes up to `want` whole tokens from the shared bucket (as many as it holds, up to `want`).
 * `readyFor` (default `want`) is the batch that `readyAt` waits for: a replica asks for its batch
 * plus the requests already waiting on it (spent at once, so exact), but waits only for a batch.
 */
export function reserveTokens(bucket: Bucket | null, now: number, policy: RatePolicy, want: number, readyFor = want): TokenReservation {
  const current = refill(bucket, now, policy);
  const cap = (n: number) => Math.max(1, Math.min(Math.floor(n), Math.floor(policy.burst)));
  const wanted = cap(want);
  const batch = Math.min(wanted, cap(readyFor));
  const taken = Math.min(wanted, Math.floor(current.tokens));
  const next: Bucket = { tokens: current.tokens - taken, at: now };
  const perMs = policy.perSecond / 1000;
  return {
    taken,
    bucket: next,
    remaining: Math.floor(next.tokens),
    resetS: Math.ceil((policy.burst - next.tokens) / policy.perSecond),
    retryAfterS: Math.max(1, Math.ceil((1 - next.tokens) / policy.perSecond)),
    nextTokenAt: now + Math.ceil(Math.max(0, 1 - next.tokens) / perMs),
    readyAt: now + Math.ceil(Math.max(0, batch - next.tokens) / perMs),
  };
}

/** The quota counter's batch: a share of the units left, 1 (exact) when few are left. */
export function unitBatch(limit: number, used: number, replicas: number): number {
  return reservationSize(limit - used, replicas);
}

/** Takes up to `want` units of a quota counter at `current` (never past `limit`); null when none are left. */
export function reserveUnits(current: number, limit: number, want: number): { next: number; taken: number } | null {
  const left = limit - current;
  if (left <= 0) return null;
  const taken = Math.min(Math.max(1, Math.floor(want)), left);
  return { next: current + taken, taken };
}

/** Gives back `unused` units (never below 0). */
export function returnUnits(current: number, unused: number): number {
  return Math.max(0, current - Math.max(0, Math.floor(unused)));
}

/** How long a replica may spend tokens it reserved; unspent ones lapse (never spent late in a burst). */
export const TOKEN_LEASE_MS = 1_000;

/** What one replica holds of a shared rate bucket. */
export interface Allotment {
  tokens: number;
  /** Epoch ms after which `tokens` lapse. */
  expiresAt: number;
  /** From the last reservation: before this, the shared bucket has no batch to give. */
  readyAt: number;
  /** Epoch ms when the next shared token exists (for Retry-After). */
  nextTokenAt: number;
  remaining: number;
  resetS: number;
}

/** A request's turn: spend a held token, refuse without asking (nothing to give yet), or reserve. */
export function allotmentDecision(a: Allotment | undefined, now: number): 'spend' | 'refuse' | 'reserve' {
  if (!a) return 'reserve';
  if (a.tokens > 0 && now < a.expiresAt) return 'spend';
  return now < a.readyAt ? 'refuse' : 'reserve';
}

/** The allotment after a reservation: the taken tokens (their lease starts now) and when to ask again. */
export function allotmentOf(r: TokenReservation, now: number): Allotment {
  return {
    tokens: r.taken,
    expiresAt: now + TOKEN_LEASE_MS,
    readyAt: r.readyAt,
    nextTokenAt: r.nextTokenAt,
    remaining: r.remaining,
    resetS: r.resetS,
  };
}

/** Retry-After (whole seconds, at least 1) of a request refused from the allotment. */
export function localRetryAfterS(a: Allotment, now: number): number {
  return Math.max(1, Math.ceil((a.nextTokenAt - now) / 1000));
}

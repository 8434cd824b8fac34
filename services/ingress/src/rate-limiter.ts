import { ApiError } from '@flowgate/contracts';
import {
  allotmentDecision,
  allotmentOf,
  localRetryAfterS,
  reserveTokens,
  tokenBatch,
  type Allotment,
  type Bucket,
  type RatePolicy,
  type TokenReservation,
} from '@flowgate/core';
import { KvCas, type KV } from '@flowgate/kit';

/**
 * Rate limits that hold across ingress replicas (ADR 0012): each bucket is one NATS KV key, the
 * one place its tokens exist. A replica does not ask it per request: it reserves a batch of tokens
 * (compare-and-set on the key's revision) and spends them locally for at most a second; when the
 * bucket had nothing to give it refuses locally until a batch can have refilled. Batches are 5 %
 * of the smaller of rate and burst split over the live replicas (packages/core reservation.ts), so
 * small limits (a batch of 1) stay exact, and large ones cost one round trip per batch. Keys idle
 * for an hour expire with the bucket's max age.
 */
export interface LimitCheck {
  /** `workspace` or `trigger`: the RateLimit-Policy name. */
  name: string;
  key: string;
  policy: RatePolicy;
}

export interface Admission {
  headers: Record<string, string>;
}

const MAX_RACES = 8;
/** Bound on one request's turns at an allotment that concurrent requests keep emptying. */
const MAX_TURNS = 1_000;

/** The workspace bucket's settings (FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S / _BURST; 0 = off). */
export interface WorkspaceLimits {
  workspacePerSecond: number;
  workspaceBurst: number;
}

/** A workspace's own bucket set by the operator (null: the deployment's). */
export type WorkspaceRateLimit = { per_second: number; burst: number | null } | null | undefined;

/**
 * The workspace's bucket, shared by its webhooks and event sources: the operator's setting for the
 * workspace, else the deployment's (FLOWGATE_RATE_LIMIT_WORKSPACE_*); null when the limit is off.
 */
export function workspaceLimit(limits: WorkspaceLimits, workspaceId: string, own?: WorkspaceRateLimit): LimitCheck | null {
  const perSecond = own ? own.per_second : limits.workspacePerSecond;
  if (perSecond <= 0) return null;
  const burst = own ? (own.burst ?? Math.max(1, Math.ceil(own.per_second))) : limits.workspaceBurst || limits.workspacePerSecond;
  return { name: 'workspace', key: `ws.${workspaceId}`, policy: { perSecond, burst } };
}

type Outcome = { allowed: true; remaining: number; resetS: number } | { allowed: false; retryAfterS: number; remaining: 0; resetS: number };

interface Held extends Allotment {
  /** The policy the tokens were reserved under (a changed trigger limit starts over). */
  policy: string;
}

/** Held allotments at most (one per bucket key in use); past it the oldest are dropped (their tokens lapse). */
const MAX_ALLOTMENTS = 100_000;

export class RateLimiter {
  /** Reservations of one replica queue per key: only replicas race each other. */
  private readonly cas: KvCas;
  private readonly held = new Map<string, Held>();
  private readonly reserving = new Map<string, Promise<void>>();
  /** Requests of this replica waiting for a reservation, per key. */
  private readonly waiting = new Map<string, number>();

  constructor(
    kv: KV,
    /** Live ingress replicas (replicas.ts), for the batch size. */
    private readonly replicas: () => number = () => 1,
    private readonly now: () => number = Date.now,
  ) {
    this.cas = new KvCas(
      kv,
      MAX_RACES,
      () =>
        new ApiError('rate_limited', 'Too many concurrent requests for this webhook; retry', { retry_after_s: 1 }, { 'Retry-After': '1' }),
    );
  }

  private reserve(check: LimitCheck, policyKey: string): Promise<void> {
    const pending = this.reserving.get(check.key);
    if (pending) return pending;
    const batch = tokenBatch(check.policy, this.replicas());
    const run = this.cas
      .change<TokenReservation>(check.key, (entry) => {
        const stored = entry && entry.operation === 'PUT' ? entry.json<Bucket>() : null;
        // The batch, plus a token for every other request of this replica waiting (spent at once).
        const want = batch + Math.max(0, (this.waiting.get(check.key) ?? 1) - 1);
        const result = reserveTokens(stored, this.now(), check.policy, want, batch);
        return result.taken > 0 ? { write: JSON.stringify(result.bucket), result } : { result };
      })
      .then((result) => {
        if (this.held.size >= MAX_ALLOTMENTS && !this.held.has(check.key)) {
          const oldest = this.held.keys().next();
          if (!oldest.done) this.held.delete(oldest.value);
        }
        this.held.set(check.key, { ...allotmentOf(result, this.now()), policy: policyKey });
      })
      .finally(() => this.reserving.delete(check.key));
    this.reserving.set(check.key, run);
    return run;
  }

  private async take(check: LimitCheck): Promise<Outcome> {
    const policyKey = `${check.policy.perSecond}/${check.policy.burst}`;
    // Until a token is ours or the bucket has none to give: concurrent requests of this replica share each batch.
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const found = this.held.get(check.key);
      const held = found?.policy === policyKey ? found : undefined;
      const now = this.now();
      switch (allotmentDecision(held, now)) {
        case 'spend':
          if (held) {
            held.tokens--;
            return { allowed: true, remaining: held.remaining + held.tokens, resetS: held.resetS };
          }
          break;
        case 'refuse':
          if (held) return { allowed: false, retryAfterS: localRetryAfterS(held, now), remaining: 0, resetS: held.resetS };
          break;
        case 'reserve':
          this.waiting.set(check.key, (this.waiting.get(check.key) ?? 0) + 1);
          try {
            await this.reserve(check, policyKey);
          } finally {
            const left = (this.waiting.get(check.key) ?? 1) - 1;
            if (left > 0) this.waiting.set(check.key, left);
            else this.waiting.delete(check.key);
          }
          break;
      }
    }
    const held = this.held.get(check.key);
    return { allowed: false, retryAfterS: held ? localRetryAfterS(held, this.now()) : 1, remaining: 0, resetS: held?.resetS ?? 1 };
  }

  /** Spends one token of each limit; throws 429 (with headers in details) when one is exhausted. */
  async admit(checks: LimitCheck[]): Promise<Admission> {
    const policies: string[] = [];
    const states: string[] = [];
    for (const check of checks) {
      const window = Math.max(1, Math.round(check.policy.burst / check.policy.perSecond));
      policies.push(`"${check.name}";q=${check.policy.burst};w=${window}`);
      const result = await this.take(check);
      states.push(`"${check.name}";r=${result.remaining};t=${result.resetS}`);
      if (!result.allowed) {
        const headers = {
          'RateLimit-Policy': policies.join(', '),
          RateLimit: states.join(', '),
          'Retry-After': String(result.retryAfterS),
        };
        throw new ApiError(
          'rate_limited',
          `Rate limit "${check.name}" exceeded: ${check.policy.perSecond} requests/s`,
          { limit: check.name, retry_after_s: result.retryAfterS },
          headers,
        );
      }
    }
    return { headers: { 'RateLimit-Policy': policies.join(', '), RateLimit: states.join(', ') } };
  }
}

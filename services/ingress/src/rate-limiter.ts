import { ApiError } from '@flowgate/contracts';
import { takeToken, type Bucket, type RatePolicy, type TakeResult } from '@flowgate/core';
import { KvCas, type KV } from '@flowgate/kit';

/**
 * Rate limits that hold across ingress replicas: each bucket is one NATS KV key, read and written
 * with compare-and-set on its revision (a lost race re-reads and tries again), so every replica
 * spends from the same tokens. Keys idle for an hour expire with the bucket's max age.
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

/** The workspace bucket's settings (FLOWGATE_RATE_LIMIT_WORKSPACE_PER_S / _BURST; 0 = off). */
export interface WorkspaceLimits {
  workspacePerSecond: number;
  workspaceBurst: number;
}

/** The workspace's bucket, shared by its webhooks and event sources; null when the limit is off. */
export function workspaceLimit(limits: WorkspaceLimits, workspaceId: string): LimitCheck | null {
  if (limits.workspacePerSecond <= 0) return null;
  const policy = { perSecond: limits.workspacePerSecond, burst: limits.workspaceBurst || limits.workspacePerSecond };
  return { name: 'workspace', key: `ws.${workspaceId}`, policy };
}

export class RateLimiter {
  /** Requests of one replica take a key's tokens one at a time: only replicas race each other. */
  private readonly cas: KvCas;

  constructor(kv: KV) {
    this.cas = new KvCas(
      kv,
      MAX_RACES,
      () =>
        new ApiError('rate_limited', 'Too many concurrent requests for this webhook; retry', { retry_after_s: 1 }, { 'Retry-After': '1' }),
    );
  }

  private take(check: LimitCheck, now: () => number): Promise<TakeResult> {
    return this.cas.change<TakeResult>(check.key, (entry) => {
      const stored = entry && entry.operation === 'PUT' ? entry.json<Bucket>() : null;
      const result = takeToken(stored, now(), check.policy);
      return result.allowed ? { write: JSON.stringify(result.bucket), result } : { result };
    });
  }

  /** Spends one token of each limit; throws 429 (with headers in details) when one is exhausted. */
  async admit(checks: LimitCheck[], now: () => number = Date.now): Promise<Admission> {
    const policies: string[] = [];
    const states: string[] = [];
    for (const check of checks) {
      const window = Math.max(1, Math.round(check.policy.burst / check.policy.perSecond));
      policies.push(`"${check.name}";q=${check.policy.burst};w=${window}`);
      const result = await this.take(check, now);
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

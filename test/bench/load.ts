import autocannon from 'autocannon';

/** HTTP load with autocannon's programmatic API, reduced to the figures the benchmark reports. */
export interface LoadFigures {
  target: string;
  url: string;
  connections: number;
  /** Measured wall time of the load, seconds. */
  duration_s: number;
  started_at: string;
  finished_at: string;
  requests_sent: number;
  /** 2xx responses. */
  accepted: number;
  /** 2xx responses per second of load. */
  accepted_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  non_2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  status_counts: Record<string, number>;
}

export interface LoadOptions {
  target: string;
  url: string;
  body: string;
  connections: number;
  durationS: number;
  /** Extra request headers (e.g. a webhook signature). */
  headers?: Record<string, string>;
  /** Headers made anew for every request (a Standard Webhooks signature over a fresh webhook-id). */
  headersPerRequest?: () => Record<string, string>;
  /** Requests per second offered over all connections (an open load); absent: as fast as answers come. */
  overallRate?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export async function runLoad(opts: LoadOptions): Promise<LoadFigures> {
  const result = await autocannon({
    title: opts.target,
    url: opts.url,
    method: 'POST',
    headers: { ...JSON_HEADERS, ...opts.headers },
    body: opts.body,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 10,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    ...(opts.headersPerRequest
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, ...opts.headersPerRequest?.() } }),
            },
          ],
        }
      : {}),
  });
  const durationS = (result.finish.getTime() - result.start.getTime()) / 1000 || result.duration;
  const statusCounts: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stats.count ?? 0;
  return {
    target: opts.target,
    url: opts.url,
    connections: opts.connections,
    duration_s: round(durationS, 3),
    started_at: result.start.toISOString(),
    finished_at: result.finish.toISOString(),
    requests_sent: result.requests.sent,
    accepted: result['2xx'],
    accepted_per_s: round(result['2xx'] / durationS, 1),
    latency_ms: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.mean, 2),
    },
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    status_counts: statusCounts,
  };
}

/** A fixed number of requests to warm up connections, JIT and caches; returns the 2xx count. */
export async function warmUp(
  url: string,
  body: string,
  requests: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<number> {
  if (requests <= 0) return 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { ...JSON_HEADERS, ...headers },
    body,
    connections: Math.max(1, Math.min(connections, requests)),
    amount: requests,
    timeout: 10,
  });
  return result['2xx'];
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

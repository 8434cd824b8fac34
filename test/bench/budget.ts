import { request } from '../support/stack';
import { round } from './load';

/**
 * The store budget of a scenario: what the services sent to MongoDB and NATS while it ran.
 *
 * MongoDB: every service counts its commands with the driver's command monitoring
 * (packages/kit/src/mongo.ts): `flowgate_store_round_trips_total{command}` (commands on the wire) and
 * `flowgate_store_commands_total{command, shape}` (statements: each inserted document, each statement
 * of a bulk update / delete, one per find / findAndModify / count / aggregate), shape `insert`,
 * `by_id` (filter is `_id` alone), `scan` (any other filter) or `other` (no filter: getMore, ping …).
 * A store write is a statement of an insert / update / delete / findAndModify command.
 *
 * NATS: messages each service's connection sent to nats-server (`in_msgs` of its connection in
 * nats-server's /connz, named `flowgate-<service>`): publishes, JetStream API and KV requests, acks.
 * Counted at the server, so nothing in the services has to count them; null without a monitoring URL.
 *
 * The bench snapshots every running service before and after a scenario and divides the difference by
 * the webhooks accepted and the executions finished in between.
 */
export interface ServiceBudget {
  mongo_round_trips: number;
  /** Statements by shape. */
  statements: Record<Shape, number>;
  writes: number;
  /** Round trips of write commands (insert / update / delete / findAndModify). */
  write_round_trips: number;
  /** Statements by `command/shape`, for finding where a scan comes from. */
  by_command: Record<string, number>;
  nats_msgs_sent: number | null;
  nats_msgs_received: number | null;
}

export interface PerUnit {
  mongo_round_trips: number;
  mongo_statements: number;
  writes: number;
  scans: number;
  nats_msgs_sent: number | null;
}

export interface StoreBudget {
  scenario: string;
  services: string[];
  accepted: number;
  executions: number;
  by_service: Record<string, ServiceBudget>;
  total: ServiceBudget;
  /** null when nothing was accepted / finished. */
  per_webhook: PerUnit | null;
  per_execution: PerUnit | null;
  /** Write round trips ÷ writes (≤ 0.2 = writes batched five or more to a command); null without writes. */
  round_trips_per_write: number | null;
}

type Shape = 'insert' | 'by_id' | 'scan' | 'other';
const SHAPES: Shape[] = ['insert', 'by_id', 'scan', 'other'];
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify']);

interface Counters {
  roundTrips: Map<string, number>;
  statements: Map<string, number>;
}

interface Snapshot {
  services: Map<string, Counters>;
  /** NATS connection id → name and message counts. */
  nats: Map<number, { name: string; in: number; out: number }> | null;
}

export interface MeteredService {
  name: string;
  opsUrl: string;
}

const LINE = /^(flowgate_store_round_trips_total|flowgate_store_commands_total)\{([^}]*)\} (\S+)$/gm;

/** The two store counters of one /metrics text, keyed `command` and `command/shape`. */
export function parseStoreCounters(text: string): Counters {
  const counters: Counters = { roundTrips: new Map(), statements: new Map() };
  for (const [, name, labelText, value] of text.matchAll(LINE)) {
    const labels = Object.fromEntries([...(labelText ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    const n = Number(value);
    if (name === 'flowgate_store_round_trips_total') counters.roundTrips.set(labels.command ?? '?', n);
    else counters.statements.set(`${labels.command ?? '?'}/${labels.shape ?? '?'}`, n);
  }
  return counters;
}

export class BudgetMeter {
  constructor(
    private readonly services: MeteredService[],
    private readonly natsMonitorUrl: string | null,
  ) {}

  async snapshot(): Promise<Snapshot> {
    const services = new Map<string, Counters>();
    await Promise.all(
      this.services.map(async (s) => {
        const res = await request(`${s.opsUrl}/metrics`);
        if (res.status !== 200) throw new Error(`${s.name} /metrics answered ${res.status}`);
        services.set(s.name, parseStoreCounters(res.text));
      }),
    );
    let nats: Snapshot['nats'] = null;
    if (this.natsMonitorUrl) {
      const res = await request<{ connections?: { cid: number; name?: string; in_msgs: number; out_msgs: number }[] }>(
        `${this.natsMonitorUrl}/connz?limit=4096`,
      );
      nats = new Map();
      for (const c of res.body.connections ?? []) nats.set(c.cid, { name: c.name ?? '', in: c.in_msgs, out: c.out_msgs });
    }
    return { services, nats };
  }

  /** Snapshot now, then `finish` snapshots again and computes the budget between the two. */
  async start(scenario: string): Promise<{ finish(accepted: number, executions: number): Promise<StoreBudget> }> {
    const before = await this.snapshot();
    return {
      finish: async (accepted, executions) => budgetBetween(scenario, before, await this.snapshot(), accepted, executions),
    };
  }
}

function emptyBudget(nats: boolean): ServiceBudget {
  return {
    mongo_round_trips: 0,
    statements: { insert: 0, by_id: 0, scan: 0, other: 0 },
    writes: 0,
    write_round_trips: 0,
    by_command: {},
    nats_msgs_sent: nats ? 0 : null,
    nats_msgs_received: nats ? 0 : null,
  };
}

function budgetBetween(scenario: string, before: Snapshot, after: Snapshot, accepted: number, executions: number): StoreBudget {
  const hasNats = after.nats !== null;
  const byService: Record<string, ServiceBudget> = {};
  const total = emptyBudget(hasNats);
  for (const [service, now] of [...after.services].sort(([a], [b]) => a.localeCompare(b))) {
    const then = before.services.get(service);
    const b = emptyBudget(hasNats);
    for (const [command, n] of now.roundTrips) {
      const d = n - (then?.roundTrips.get(command) ?? 0);
      b.mongo_round_trips += d;
      if (WRITE_COMMANDS.has(command)) b.write_round_trips += d;
    }
    for (const [key, n] of now.statements) {
      const d = n - (then?.statements.get(key) ?? 0);
      if (d === 0) continue;
      const [command = '', shape = ''] = key.split('/');
      if (SHAPES.includes(shape as Shape)) b.statements[shape as Shape] += d;
      if (WRITE_COMMANDS.has(command)) b.writes += d;
      b.by_command[key] = d;
    }
    if (after.nats) {
      for (const [cid, c] of after.nats) {
        if (c.name !== `flowgate-${service}`) continue;
        const prev = before.nats?.get(cid);
        b.nats_msgs_sent = (b.nats_msgs_sent ?? 0) + c.in - (prev?.in ?? 0);
        b.nats_msgs_received = (b.nats_msgs_received ?? 0) + c.out - (prev?.out ?? 0);
      }
    }
    byService[service] = b;
    total.mongo_round_trips += b.mongo_round_trips;
    total.writes += b.writes;
    total.write_round_trips += b.write_round_trips;
    for (const shape of SHAPES) total.statements[shape] += b.statements[shape];
    for (const [key, d] of Object.entries(b.by_command)) total.by_command[`${service}:${key}`] = d;
    if (hasNats) {
      total.nats_msgs_sent = (total.nats_msgs_sent ?? 0) + (b.nats_msgs_sent ?? 0);
      total.nats_msgs_received = (total.nats_msgs_received ?? 0) + (b.nats_msgs_received ?? 0);
    }
  }
  const per = (n: number) => perUnit(total, n);
  return {
    scenario,
    services: [...after.services.keys()].sort(),
    accepted,
    executions,
    by_service: byService,
    total,
    per_webhook: per(accepted),
    per_execution: per(executions),
    round_trips_per_write: total.writes > 0 ? round(total.write_round_trips / total.writes, 3) : null,
  };
}

/** A budget divided by a number of webhooks or executions (null for none). */
export function perUnit(b: ServiceBudget, n: number): PerUnit | null {
  if (n <= 0) return null;
  return {
    mongo_round_trips: round(b.mongo_round_trips / n, 2),
    mongo_statements: round(SHAPES.reduce((sum, s) => sum + b.statements[s], 0) / n, 2),
    writes: round(b.writes / n, 2),
    scans: round(b.statements.scan / n, 2),
    nats_msgs_sent: b.nats_msgs_sent === null ? null : round(b.nats_msgs_sent / n, 2),
  };
}

import { isTerminal } from '@flowgate/core';
import type { Collection } from 'mongodb';
import type { ExecutionDoc, StepExecutionDoc } from './documents';
import { ExecutionProjection, type ProjectionOptions, type Urgency } from './execution-projection';
import { findStepExecutions } from './executions';

/**
 * The live state of executions: one NATS KV key per execution that has not ended, holding the
 * execution document and every step attempt so far. Every state change is a compare-and-set on the
 * key's revision (atomic and replicated, which FerretDB's guarded updates are not), so a runner, a
 * cancel and a timer never both win. MongoDB is a projection written by group commit
 * (execution-projection.ts): a single execution is read fresh from the key, lists lag by at most
 * the projection's lazy delay. Once an execution ended and its final snapshot is durable in MongoDB,
 * the key is purged (the purge marker expires after a day): reads then go to MongoDB.
 */

/** What LiveExecutions needs of a NATS KV bucket (kit's `openKv` gives one). */
export interface LiveKvEntry {
  operation: 'PUT' | 'DEL' | 'PURGE';
  revision: number;
  string(): string;
}

export interface LiveKv {
  get(key: string): Promise<LiveKvEntry | null>;
  keys(filter?: string): Promise<AsyncIterable<string>>;
  /** `previousSeq: 0`: only if the key has no entry at all, not even a delete or purge marker. */
  put(key: string, data: string, opts: { previousSeq: number }): Promise<number>;
  update(key: string, data: string, version: number): Promise<number>;
  purge(key: string, opts?: { previousSeq?: number; ttl?: string }): Promise<void>;
}

export interface LiveExecution {
  /** `revision` is the key's revision (or the stored one when read from MongoDB). */
  doc: ExecutionDoc;
  /** Every step attempt so far, in sequence order, the one in flight included. */
  steps: StepExecutionDoc[];
  /** `live`: read from the KV key; `store`: from MongoDB (ended and retired, or never live). */
  from: 'live' | 'store';
  /** Set by a write that sent this state to MongoDB (a live state read back has not been). */
  projected?: boolean;
}

/** How long a retired execution's purge marker stays (a late duplicate command then finds it ended). */
export const RETIRED_MARKER_TTL = '24h';

const date = (v: Date | string | null | undefined): Date | null => (v === null || v === undefined ? null : new Date(v));

function reviveDoc(doc: ExecutionDoc): ExecutionDoc {
  const out: ExecutionDoc = {
    ...doc,
    created_at: new Date(doc.created_at),
    started_at: date(doc.started_at),
    finished_at: date(doc.finished_at),
    updated_at: new Date(doc.updated_at),
  };
  if (doc.waiting_expires_at !== undefined) out.waiting_expires_at = date(doc.waiting_expires_at);
  if (doc.duration_due_at !== undefined) out.duration_due_at = date(doc.duration_due_at);
  return out;
}

function reviveStep(step: StepExecutionDoc): StepExecutionDoc {
  return { ...step, started_at: new Date(step.started_at), finished_at: date(step.finished_at) };
}

export function encodeLive(doc: ExecutionDoc, steps: readonly StepExecutionDoc[]): string {
  return JSON.stringify({ doc, steps });
}

export function decodeLive(text: string, revision: number): Omit<LiveExecution, 'from'> {
  const raw = JSON.parse(text) as { doc: ExecutionDoc; steps: StepExecutionDoc[] };
  return {
    doc: { ...reviveDoc(raw.doc), revision },
    steps: raw.steps.map(reviveStep),
  };
}

/** Keys are `<workspace>.<execution>`: a workspace's live executions are one key filter away. */
export const liveKey = (workspaceId: string, executionId: string) => `${workspaceId}.${executionId}`;

/** A compare-and-set that lost (the key moved on, or a create found it present). */
function lostRace(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  const text = err instanceof Error ? `${err.message} ${typeof code === 'string' || typeof code === 'number' ? code : ''}` : String(err);
  return /wrong last sequence|key exists|10071/i.test(text);
}

export class LiveExecutions {
  constructor(
    private readonly kv: LiveKv,
    private readonly projection: ExecutionProjection,
    private readonly executions: Collection<ExecutionDoc>,
    private readonly stepExecutions: Collection<StepExecutionDoc>,
  ) {}

  /**
   * Makes an accepted execution live (ingress, at accept); false if it already was, or was and
   * ended. The ingress writes it after the start command's ack, which an executor may have run to
   * its end and retired by then: KV `create` would write over the purge marker, bringing the ended
   * execution back as queued for good (its sync webhook never answered, its status URL stuck at
   * queued, a live execution counted against the workspace's quota). An expected last sequence of
   * 0 refuses any key with a marker too, in the same single round trip.
   */
  async create(doc: ExecutionDoc): Promise<boolean> {
    try {
      await this.kv.put(liveKey(doc.workspace_id, doc._id), encodeLive(doc, []), { previousSeq: 0 });
      return true;
    } catch (err) {
      if (lostRace(err)) return false;
      throw err;
    }
  }

  /**
   * What the live bucket says of an execution, without reading MongoDB: `live` (its state),
   * `retired` (it ended and left; MongoDB has it), or `absent` (never live here: a start not made
   * live yet, or one recorded only in MongoDB by an older version or the scheduler).
   */
  async peek(workspaceId: string, id: string): Promise<{ kind: 'live'; x: LiveExecution } | { kind: 'retired' | 'absent' }> {
    const entry = await this.kv.get(liveKey(workspaceId, id));
    if (!entry) return { kind: 'absent' };
    if (entry.operation !== 'PUT') return { kind: 'retired' };
    return { kind: 'live', x: { ...decodeLive(entry.string(), entry.revision), from: 'live' } };
  }

  /** The execution of a workspace now: its live key, else MongoDB; null if neither has it (in that workspace). */
  async get(workspaceId: string, id: string): Promise<LiveExecution | null> {
    const entry = await this.kv.get(liveKey(workspaceId, id));
    if (entry?.operation === 'PUT') return { ...decodeLive(entry.string(), entry.revision), from: 'live' };
    const doc = await this.executions.findOne({ _id: id });
    if (doc?.workspace_id !== workspaceId) return null;
    return { doc, steps: await findStepExecutions(this.stepExecutions, doc), from: 'store' };
  }

  /**
   * Writes the next state if the execution is still at `current`'s revision; null when another
   * writer got there first (read it again). `durable`: resolves only once MongoDB has it too. An
   * end goes to MongoDB in the next group commit (within the projection's `soonMs`), and the key is
   * retired once MongoDB has it; a crash before that leaves the key, and `recover` (any replica)
   * finishes the job.
   */
  async write(
    current: LiveExecution,
    doc: ExecutionDoc,
    steps: readonly StepExecutionDoc[],
    opts: { durable?: boolean } = {},
  ): Promise<LiveExecution | null> {
    await this.projection.room();
    const value = encodeLive(doc, steps);
    const key = liveKey(doc.workspace_id, doc._id);
    let revision: number;
    try {
      // A first write (from a start command or MongoDB) refuses a purge marker too, as `create` above:
      // two deliveries of one start at once must not let the second bring the first's ended run back.
      revision =
        current.from === 'live'
          ? await this.kv.update(key, value, current.doc.revision)
          : await this.kv.put(key, value, { previousSeq: 0 });
    } catch (err) {
      if (lostRace(err)) return null;
      throw err;
    }
    const next: LiveExecution = { doc: { ...doc, revision }, steps: [...steps], from: 'live', projected: true };
    if (isTerminal(doc.status)) {
      const retired = this.project(next, opts.durable ? 'now' : 'soon');
      if (opts.durable) await retired;
      else retired.catch(() => undefined); // left live: recover() projects and retires it
    } else {
      await this.projection.write(next.doc, next.steps, opts.durable ? 'now' : 'lazy');
    }
    return next;
  }

  /**
   * How many executions of a workspace are live (not ended), counting up to `limit`: the parallel
   * executions quota, fresh on every replica, without a database query.
   */
  async countLive(workspaceId: string, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    let n = 0;
    for await (const key of await this.kv.keys(`${workspaceId}.*`)) {
      void key;
      if (++n >= limit) break;
    }
    return n;
  }

  /** Ids of a workspace's live executions, up to `limit` (deleting a workspace cancels them). */
  async liveIds(workspaceId: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const key of await this.kv.keys(`${workspaceId}.*`)) {
      ids.push(key.slice(workspaceId.length + 1));
      if (ids.length >= limit) break;
    }
    return ids;
  }

  /**
   * Sends this state to MongoDB (`soon`: in the next group commit; it resolves once it is there) and
   * retires an ended execution then.
   */
  async project(x: LiveExecution, urgency: Urgency = 'soon'): Promise<void> {
    await this.projection.write(x.doc, x.steps, urgency);
    if (isTerminal(x.doc.status)) await this.retire(x);
  }

  /**
   * Ended executions whose MongoDB write or retirement never happened (their executor died, or
   * MongoDB was away) and that ended more than `olderThanMs` ago: projected and retired now. Safe on
   * every replica at once. Returns how many it finished.
   */
  async recover(now: Date, olderThanMs = 10_000): Promise<number> {
    let n = 0;
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (entry?.operation !== 'PUT') continue;
      const x: LiveExecution = { ...decodeLive(entry.string(), entry.revision), from: 'live' };
      if (!isTerminal(x.doc.status) || now.getTime() - x.doc.updated_at.getTime() < olderThanMs) continue;
      await this.project(x);
      n++;
    }
    return n;
  }

  /** An ended execution whose final state is durable in MongoDB leaves the live bucket. */
  async retire(x: LiveExecution): Promise<void> {
    if (x.from !== 'live') return;
    try {
      await this.kv.purge(liveKey(x.doc.workspace_id, x.doc._id), { previousSeq: x.doc.revision, ttl: RETIRED_MARKER_TTL });
    } catch (err) {
      if (!lostRace(err)) throw err;
    }
  }
}

/** How long purge markers of retired executions may live: the bucket's `markerTtlMs` (kit openKv). */
export const LIVE_MARKER_TTL_MS = 24 * 3_600_000;

/** The live executions over a KV bucket and the MongoDB collections, with their group commit. */
export function liveExecutions(
  kv: LiveKv,
  c: { executions: Collection<ExecutionDoc>; stepExecutions: Collection<StepExecutionDoc> },
  opts: ProjectionOptions = {},
): { live: LiveExecutions; projection: ExecutionProjection } {
  const projection = new ExecutionProjection(c.executions, c.stepExecutions, opts);
  return { live: new LiveExecutions(kv, projection, c.executions, c.stepExecutions), projection };
}

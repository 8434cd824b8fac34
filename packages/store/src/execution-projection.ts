import { isTerminal } from '@flowgate/core';
import { MongoBulkWriteError, MongoServerError, type AnyBulkWriteOperation, type Collection } from 'mongodb';
import type { ExecutionDoc, StepExecutionDoc } from './documents';
import { usesIdOnlyPushdown } from './executions';

/**
 * Group commit of executions into MongoDB. The live state of an execution is kept elsewhere (NATS KV,
 * see live-executions.ts); this writes its snapshots and step attempts to MongoDB in batches:
 * executions not written yet go in one `insertMany`, step attempts are appended inserts, executions
 * already written are replaced by `_id` (never by an older revision). Snapshots of one execution
 * that arrive before a flush are coalesced, so a short execution is usually one insert.
 *
 * `now` snapshots (parks, slot waits, a caller that must read MongoDB next) are flushed at once,
 * each caller waiting for the flush that carried it; `soon` ones (an end: nobody waits for it, its
 * live key is retired after) within `soonMs`, so the ends of concurrent executions share a flush;
 * `lazy` ones wait up to `lazyMs` (the list API's staleness bound) in case a newer one supersedes
 * them. Only one flush runs at a time; what arrives meanwhile forms the next batch.
 */
export type Urgency = 'now' | 'soon' | 'lazy';

export interface ProjectionOptions {
  /** How long a lazy snapshot may wait for a newer one (default 250 ms). */
  lazyMs?: number;
  /** How long a `soon` snapshot (an end) may wait for others to share its flush (default 25 ms). */
  soonMs?: number;
  /** Most executions per flush (default 500). */
  maxBatch?: number;
  /** Snapshots waiting for MongoDB above which writers wait for room (default 5,000): memory stays bounded while MongoDB is slow or away. */
  maxPending?: number;
  /** Called when a flush fails (its waiters are rejected; snapshots nobody waits for are retried). */
  onError?: (err: unknown) => void;
}

interface Pending {
  doc: ExecutionDoc;
  steps: Map<string, StepExecutionDoc>;
  /** When it must be flushed (epoch ms). */
  dueAt: number;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

/** What the projection already wrote of one execution (this process only). */
interface Written {
  doc: boolean;
  steps: Set<string>;
}

const FINAL_STEP = new Set(['succeeded', 'failed', 'interrupted']);
const WRITTEN_MAX = 50_000;

export class ExecutionProjection {
  private readonly pending = new Map<string, Pending>();
  private readonly written = new Map<string, Written>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires (epoch ms). */
  private timerAt = Infinity;
  /** The earliest `dueAt` pending (maybe earlier than the truth once entries left: recomputed at each flush). */
  private nextDue = Infinity;
  private readonly lazyMs: number;
  private readonly soonMs: number;
  private readonly maxBatch: number;
  private closed = false;

  constructor(
    private readonly executions: Collection<ExecutionDoc>,
    private readonly stepExecutions: Collection<StepExecutionDoc>,
    private readonly opts: ProjectionOptions = {},
  ) {
    this.lazyMs = opts.lazyMs ?? 250;
    this.soonMs = opts.soonMs ?? 25;
    this.maxBatch = opts.maxBatch ?? 500;
  }

  /**
   * Queues a snapshot with the step attempts known so far. Step attempts are written once they are
   * final (or when the execution ended). A `now` or `soon` snapshot resolves once it is in MongoDB.
   */
  write(doc: ExecutionDoc, steps: readonly StepExecutionDoc[], how: Urgency): Promise<void> {
    const now = Date.now();
    const dueAt = how === 'now' ? now : now + (how === 'soon' ? this.soonMs : this.lazyMs);
    const entry = this.pending.get(doc._id);
    const next: Pending = entry ?? { doc, steps: new Map(), dueAt, waiters: [] };
    if (!entry || doc.revision >= entry.doc.revision) next.doc = doc;
    for (const s of steps) next.steps.set(s._id, s);
    next.dueAt = Math.min(next.dueAt, dueAt);
    this.nextDue = Math.min(this.nextDue, next.dueAt);
    this.pending.set(doc._id, next);
    const done = how === 'lazy' ? Promise.resolve() : new Promise<void>((resolve, reject) => next.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  /** Resolves once fewer than `maxPending` snapshots wait (backpressure on the writers of the live state). */
  async room(): Promise<void> {
    const max = this.opts.maxPending ?? 5_000;
    while (this.pending.size >= max && !this.closed) await (this.flushing ?? new Promise((r) => setTimeout(r, 20)));
  }

  /** Writes everything pending now (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.pending.size > 0 || this.flushing) {
      for (const p of this.pending.values()) p.dueAt = 0;
      this.nextDue = 0;
      this.schedule();
      await (this.flushing ?? new Promise((r) => setTimeout(r, 5)));
    }
  }

  async close(): Promise<void> {
    await this.drain().catch(() => undefined);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Flushes what is due if no flush runs, else sets the timer for the next due time: O(1) unless it flushes. */
  private schedule(): void {
    if (this.flushing || this.closed || this.pending.size === 0) return;
    const now = Date.now();
    if (this.nextDue > now) {
      if (this.nextDue < this.timerAt) {
        if (this.timer) clearTimeout(this.timer);
        this.timerAt = this.nextDue;
        this.timer = setTimeout(
          () => {
            this.timer = null;
            this.timerAt = Infinity;
            this.schedule();
          },
          Math.max(1, this.nextDue - now),
        );
      }
      return;
    }
    const batch: Pending[] = [];
    let nextDue = Infinity;
    // A flush takes everything due, and every snapshot someone waits for (an end due a little later
    // rides along: the round trip is paid anyway); lazy ones keep waiting for a newer snapshot.
    for (const p of this.pending.values()) {
      if ((p.dueAt <= now || p.waiters.length > 0) && batch.length < this.maxBatch) batch.push(p);
      else nextDue = Math.min(nextDue, p.dueAt);
    }
    this.nextDue = nextDue;
    if (batch.length === 0) return this.schedule(); // `nextDue` was stale: only the timer is due
    for (const p of batch) this.pending.delete(p.doc._id);
    this.flushing = this.flush(batch).finally(() => {
      this.flushing = null;
      this.schedule();
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      await this.writeBatch(batch);
      for (const p of batch) for (const w of p.waiters) w.resolve();
    } catch (err) {
      this.opts.onError?.(err);
      for (const p of batch) {
        for (const w of p.waiters) w.reject(err);
        // A lazy snapshot is tried again (unless a newer one arrived); one with waiters is theirs to retry.
        if (p.waiters.length === 0 && !this.pending.has(p.doc._id)) {
          this.pending.set(p.doc._id, { ...p, dueAt: 0 });
          this.nextDue = 0;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private writtenOf(id: string): Written {
    let w = this.written.get(id);
    if (!w) {
      if (this.written.size >= WRITTEN_MAX) this.written.clear(); // forgetting only costs a duplicate-key retry
      w = { doc: false, steps: new Set() };
      this.written.set(id, w);
    }
    return w;
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const inserts: ExecutionDoc[] = [];
    const replaces: ExecutionDoc[] = [];
    const steps: StepExecutionDoc[] = [];
    for (const p of batch) {
      const w = this.writtenOf(p.doc._id);
      (w.doc ? replaces : inserts).push(p.doc);
      const ended = isTerminal(p.doc.status);
      for (const s of p.steps.values()) if (!w.steps.has(s._id) && (ended || FINAL_STEP.has(s.status))) steps.push(s);
    }
    const [existing] = await Promise.all([
      insertAll(inserts, (docs) => this.executions.insertMany(docs, { ordered: true })),
      insertAll(steps, (docs) => this.stepExecutions.insertMany(docs, { ordered: true })),
    ]);
    await replaceNewer(this.executions, [...replaces, ...inserts.filter((d) => existing.has(d._id))]);
    for (const p of batch) {
      const w = this.writtenOf(p.doc._id);
      w.doc = true;
      for (const s of steps) if (s.execution_id === p.doc._id) w.steps.add(s._id);
      if (isTerminal(p.doc.status) && !this.pending.has(p.doc._id)) this.written.delete(p.doc._id);
    }
  }
}

/** Inserts documents, ignoring those whose `_id` exists; returns the ids that existed. */
async function insertAll<T extends { _id: string }>(docs: T[], insertMany: (docs: T[]) => Promise<unknown>): Promise<Set<string>> {
  const existing = new Set<string>();
  if (docs.length === 0) return existing;
  try {
    // Ordered: FerretDB's unordered bulk writes hung on one of its backends. A duplicate stops an
    // ordered insert, so the rest is inserted again after it.
    await insertMany(docs);
  } catch (err) {
    const failedAt = duplicateIndex(err);
    if (failedAt === null) throw err;
    const dup = docs[failedAt];
    if (dup) existing.add(dup._id);
    for (const id of await insertAll(docs.slice(failedAt + 1), insertMany)) existing.add(id);
  }
  return existing;
}

function duplicateIndex(err: unknown): number | null {
  if (err instanceof MongoBulkWriteError) {
    const written: unknown = err.writeErrors;
    const errors = (Array.isArray(written) ? written : [written]) as { code?: unknown; index?: unknown }[];
    const first = errors[0];
    if (first && first.code === 11000 && typeof first.index === 'number') return first.index;
    return null;
  }
  if (err instanceof MongoServerError && err.code === 11000) return 0;
  return null;
}

/**
 * Replaces stored executions by newer snapshots. On MongoDB the revision guard is in the filter (the
 * `_id` index finds the document); FerretDB scans for any filter but `{_id}`, so there the stored
 * revisions are read by `_id` first and only older documents are replaced.
 */
async function replaceNewer(executions: Collection<ExecutionDoc>, docs: ExecutionDoc[]): Promise<void> {
  if (docs.length === 0) return;
  let ops: AnyBulkWriteOperation<ExecutionDoc>[];
  if (usesIdOnlyPushdown(executions)) {
    const stored = await Promise.all(docs.map((d) => executions.findOne({ _id: d._id }, { projection: { revision: 1 } })));
    ops = docs
      .filter((d, i) => (stored[i]?.revision ?? -1) < d.revision)
      .map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } }));
  } else {
    ops = docs.map((d) => ({ replaceOne: { filter: { _id: d._id, revision: { $lt: d.revision } }, replacement: d } }));
  }
  if (ops.length > 0) await executions.bulkWrite(ops, { ordered: true });
}

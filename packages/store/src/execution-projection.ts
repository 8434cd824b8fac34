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
 * `durable` snapshots (ends, parks, slot waits: the points where a command is acknowledged) are
 * flushed at once, each caller waiting for the flush that carried it; other snapshots wait up to
 * `lazyMs` (the list API's staleness bound) in case a newer one supersedes them. Only one flush runs
 * at a time; what arrives meanwhile forms the next batch.
 */
export interface ProjectionOptions {
  /** How long a non-durable snapshot may wait for a newer one (default 250 ms). */
  lazyMs?: number;
  /** Most executions per flush (default 500). */
  maxBatch?: number;
  /** Snapshots waiting for MongoDB above which writers wait for room (default 5,000): memory stays bounded while MongoDB is slow or away. */
  maxPending?: number;
  /** Called when a flush fails (its durable waiters are rejected; lazy snapshots are retried). */
  onError?: (err: unknown) => void;
}

interface Pending {
  doc: ExecutionDoc;
  steps: Map<string, StepExecutionDoc>;
  since: number;
  durable: boolean;
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
  private readonly lazyMs: number;
  private readonly maxBatch: number;
  private closed = false;

  constructor(
    private readonly executions: Collection<ExecutionDoc>,
    private readonly stepExecutions: Collection<StepExecutionDoc>,
    private readonly opts: ProjectionOptions = {},
  ) {
    this.lazyMs = opts.lazyMs ?? 250;
    this.maxBatch = opts.maxBatch ?? 500;
  }

  /**
   * Queues a snapshot with the step attempts known so far. Step attempts are written once they are
   * final (or when the execution ended); a durable snapshot resolves once it is in MongoDB.
   */
  write(doc: ExecutionDoc, steps: readonly StepExecutionDoc[], durable: boolean): Promise<void> {
    const entry = this.pending.get(doc._id);
    const next: Pending = entry ?? { doc, steps: new Map(), since: Date.now(), durable: false, waiters: [] };
    if (!entry || doc.revision >= entry.doc.revision) next.doc = doc;
    for (const s of steps) next.steps.set(s._id, s);
    next.durable = next.durable || durable;
    this.pending.set(doc._id, next);
    const done = durable ? new Promise<void>((resolve, reject) => next.waiters.push({ resolve, reject })) : Promise.resolve();
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
    for (const p of this.pending.values()) p.durable = true;
    while (this.pending.size > 0 || this.flushing) {
      this.schedule();
      await (this.flushing ?? new Promise((r) => setTimeout(r, 5)));
    }
  }

  async close(): Promise<void> {
    await this.drain().catch(() => undefined);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.flushing || this.closed) return;
    const now = Date.now();
    const due = [...this.pending.values()].filter((p) => p.durable || now - p.since >= this.lazyMs);
    if (due.length === 0) {
      if (!this.timer && this.pending.size > 0) {
        const oldest = Math.min(...[...this.pending.values()].map((p) => p.since));
        this.timer = setTimeout(
          () => {
            this.timer = null;
            this.schedule();
          },
          Math.max(1, oldest + this.lazyMs - now),
        );
      }
      return;
    }
    const batch = due.slice(0, this.maxBatch);
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
        // A lazy snapshot is tried again (unless a newer one arrived); a durable one is the waiter's to retry.
        if (p.waiters.length === 0 && !this.pending.has(p.doc._id)) this.pending.set(p.doc._id, { ...p, since: Date.now() - this.lazyMs });
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

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arrive, EMPTY_SLOTS, leave, validateDefinition, type SlotGate, type SlotQueue, type WorkflowDefinition } from '@flowgate/core';
import { messageIds, type StartCommand, type TimerCommand } from '@flowgate/contracts';
import type { ExecutionDoc, LiveExecution, StepExecutionDoc } from '@flowgate/store';
import type { LiveState, Messaging, SlotQueues } from '../src/seams';

/**
 * In-memory stand-ins for the runner's collaborators (src/seams.ts), modelling the semantics the
 * runner relies on rather than recording calls only.
 */

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
const FINAL_STEP = new Set(['succeeded', 'failed', 'interrupted']);

/** A frozen clock: `now()` moves only when the test says so. */
export class FakeClock {
  constructor(private t = Date.parse('2026-03-04T05:06:07.000Z')) {}
  readonly now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

interface KvEntry {
  revision: number;
  doc: ExecutionDoc;
  steps: StepExecutionDoc[];
}

/** One committed compare-and-set, as the fake KV saw it. */
export interface WriteLog {
  id: string;
  status: ExecutionDoc['status'];
  revision: number;
  durable: boolean;
  steps: { seq: number; step_id: string; status: StepExecutionDoc['status'] }[];
}

export class FlushFailed extends Error {
  constructor(id: string) {
    super(`MongoDB flush failed (execution ${id})`);
  }
}

/**
 * The live state (store LiveExecutions) over an in-memory "KV bucket" and "MongoDB":
 * - every write is a compare-and-set on the key's revision: from a stale revision (or a create over
 *   a present key) it commits nothing and returns null; revisions grow across the bucket;
 * - an end is flushed to MongoDB at once and the key retired (purged if still at that revision) once
 *   MongoDB has it; `durable` waits for that flush, otherwise a failed flush leaves the key live;
 * - other snapshots: `durable` ones are flushed before the write resolves (a failed flush rejects
 *   the write, though the KV commit stands), lazy ones wait in `pending` for the next flush;
 * - MongoDB never goes back to an older revision; step attempts land once final (all when ended).
 * `beforeWrite` runs before each compare-and-set: throw to kill the executor at that point (nothing
 * committed), or write from "another replica" to win the race. `failFlush` makes flushes fail.
 */
export class FakeLive implements LiveState {
  readonly kv = new Map<string, KvEntry>();
  /** Purge markers of retired executions (the real ones expire after a day). */
  readonly retired = new Set<string>();
  readonly mongo = new Map<string, { doc: ExecutionDoc; steps: Map<string, StepExecutionDoc> }>();
  private readonly pending = new Map<string, LiveExecution>();
  readonly writes: WriteLog[] = [];
  /** Compare-and-sets refused (stale revision). */
  refused = 0;
  flushes = 0;
  private revision = 0;
  private attempts = 0;
  beforeWrite: ((doc: ExecutionDoc, attempt: number) => void | Promise<void>) | null = null;
  failFlush: (doc: ExecutionDoc) => boolean = () => false;

  private static key(workspaceId: string, id: string): string {
    return `${workspaceId}.${id}`;
  }

  /** The ingress's `kv.create` of an accepted, queued execution. */
  create(doc: ExecutionDoc): void {
    const key = FakeLive.key(doc.workspace_id, doc._id);
    if (this.kv.has(key)) throw new Error(`key exists: ${key}`);
    this.kv.set(key, { revision: ++this.revision, doc: structuredClone(doc), steps: [] });
  }

  /** The live key of an execution (a copy), if it has one. */
  liveOf(workspaceId: string, id: string): KvEntry | undefined {
    const e = this.kv.get(FakeLive.key(workspaceId, id));
    return e && structuredClone(e);
  }

  async peek(workspaceId: string, id: string): Promise<{ kind: 'live'; x: LiveExecution } | { kind: 'retired' | 'absent' }> {
    await Promise.resolve();
    const key = FakeLive.key(workspaceId, id);
    const e = this.kv.get(key);
    if (e)
      return {
        kind: 'live',
        x: { doc: { ...structuredClone(e.doc), revision: e.revision }, steps: structuredClone(e.steps), from: 'live' },
      };
    return { kind: this.retired.has(key) ? 'retired' : 'absent' };
  }

  async get(workspaceId: string, id: string): Promise<LiveExecution | null> {
    await Promise.resolve();
    const e = this.kv.get(FakeLive.key(workspaceId, id));
    if (e) return { doc: { ...structuredClone(e.doc), revision: e.revision }, steps: structuredClone(e.steps), from: 'live' };
    const m = this.mongo.get(id);
    if (m?.doc.workspace_id !== workspaceId) return null;
    const steps = [...m.steps.values()].sort((a, b) => a.seq - b.seq);
    return { doc: structuredClone(m.doc), steps: structuredClone(steps), from: 'store' };
  }

  async write(
    current: LiveExecution,
    doc: ExecutionDoc,
    steps: readonly StepExecutionDoc[],
    opts: { durable?: boolean } = {},
  ): Promise<LiveExecution | null> {
    await this.beforeWrite?.(doc, ++this.attempts);
    const key = FakeLive.key(doc.workspace_id, doc._id);
    const present = this.kv.get(key);
    const stale = current.from === 'live' ? present?.revision !== current.doc.revision : present !== undefined;
    if (stale) {
      this.refused++;
      return null;
    }
    const revision = ++this.revision;
    this.kv.set(key, { revision, doc: structuredClone({ ...doc, revision }), steps: structuredClone([...steps]) });
    this.writes.push({
      id: doc._id,
      status: doc.status,
      revision,
      durable: opts.durable ?? false,
      steps: steps.map((s) => ({ seq: s.seq, step_id: s.step_id, status: s.status })),
    });
    const next: LiveExecution = { doc: { ...doc, revision }, steps: [...steps], from: 'live', projected: true };
    if (TERMINAL.has(doc.status)) {
      const retired = this.project(next);
      if (opts.durable) await retired;
      else retired.catch(() => undefined); // left live: recover() projects and retires it
    } else if (opts.durable) {
      this.pending.delete(doc._id);
      this.flush(next);
    } else {
      this.pending.set(doc._id, next);
    }
    return next;
  }

  async project(x: LiveExecution): Promise<void> {
    await Promise.resolve();
    this.pending.delete(x.doc._id);
    this.flush(x);
    if (TERMINAL.has(x.doc.status) && x.from === 'live') {
      const key = FakeLive.key(x.doc.workspace_id, x.doc._id);
      if (this.kv.get(key)?.revision === x.doc.revision) {
        this.kv.delete(key); // purge with previousSeq, leaving a marker
        this.retired.add(key);
      }
    }
  }

  /** The recovery sweep (LiveExecutions.recover): ended executions still live are projected and retired. */
  async recover(): Promise<number> {
    let n = 0;
    for (const e of [...this.kv.values()]) {
      if (!TERMINAL.has(e.doc.status)) continue;
      await this.project({ doc: { ...structuredClone(e.doc), revision: e.revision }, steps: structuredClone(e.steps), from: 'live' });
      n++;
    }
    return n;
  }

  /** Lazy snapshots reach MongoDB (the projection's lazy delay elapsed). */
  settle(): void {
    for (const x of [...this.pending.values()]) {
      this.pending.delete(x.doc._id);
      this.flush(x);
    }
  }

  private flush(x: LiveExecution): void {
    if (this.failFlush(x.doc)) {
      if (!TERMINAL.has(x.doc.status)) this.pending.set(x.doc._id, x); // lazy snapshots are retried
      throw new FlushFailed(x.doc._id);
    }
    this.flushes++;
    const m = this.mongo.get(x.doc._id) ?? { doc: x.doc, steps: new Map<string, StepExecutionDoc>() };
    if (x.doc.revision >= m.doc.revision) m.doc = structuredClone(x.doc);
    const ended = TERMINAL.has(x.doc.status);
    for (const s of x.steps) if (ended || FINAL_STEP.has(s.status)) m.steps.set(s._id, structuredClone(s));
    this.mongo.set(x.doc._id, m);
  }
}

/** Slot queues with the real decisions (core slots.ts) over a Map, keyed like the store's (`<ws>.<wf>[.<gate>]`). */
export class FakeSlots implements SlotQueues {
  readonly queues = new Map<string, SlotQueue>();

  private change<T extends { queue: SlotQueue }>(workspaceId: string, workflowId: string, gate: string, decide: (q: SlotQueue) => T): T {
    const key = gate === '' ? `${workspaceId}.${workflowId}` : `${workspaceId}.${workflowId}.${gate}`;
    const result = decide(this.queues.get(key) ?? EMPTY_SLOTS);
    this.queues.set(key, result.queue);
    return result;
  }

  async arrive(
    workspaceId: string,
    workflowId: string,
    gate: SlotGate,
    executionId: string,
  ): Promise<{ runs: boolean; promoted: string[] }> {
    await Promise.resolve();
    const { runs, promoted } = this.change(workspaceId, workflowId, gate.queue, (q) => arrive(q, executionId, gate.max));
    return { runs, promoted };
  }

  async leave(workspaceId: string, workflowId: string, gate: SlotGate, executionId: string): Promise<string[]> {
    await Promise.resolve();
    return this.change(workspaceId, workflowId, gate.queue, (q) => leave(q, executionId, gate.max)).promoted;
  }

  async all(): Promise<{ workspaceId: string; workflowId: string; gate: string; queue: SlotQueue }[]> {
    await Promise.resolve();
    return [...this.queues].map(([key, queue]) => {
      const [workspaceId = '', workflowId = '', ...rest] = key.split('.');
      return { workspaceId, workflowId, gate: rest.join('.'), queue };
    });
  }
}

export interface PublishedEvent {
  execution_id: string;
  status: ExecutionDoc['status'];
  step_seq: number;
  final_output_json: string | null;
  error: ExecutionDoc['error'];
}

/**
 * JetStream as the runner sees it: events and start commands de-duplicated by message id (a
 * re-publish is counted in `duplicates`, not delivered again), timers as one pending schedule per
 * timer id.
 */
export class FakeMessaging implements Messaging {
  private readonly seen = new Set<string>();
  readonly events: PublishedEvent[] = [];
  readonly starts: { command: StartCommand; msgId: string }[] = [];
  duplicates = 0;
  /** Pending schedules by timer id; `scheduled`: every one ever set. */
  readonly timers = new Map<string, TimerCommand>();
  readonly scheduled: TimerCommand[] = [];
  readonly purges: string[] = [];

  private once(msgId: string): boolean {
    if (this.seen.has(msgId)) {
      this.duplicates++;
      return false;
    }
    this.seen.add(msgId);
    return true;
  }

  async publishEvent(doc: ExecutionDoc): Promise<void> {
    await Promise.resolve();
    if (!this.once(messageIds.executionEvent(doc._id, doc.status, doc.step_seq))) return;
    const { _id, status, step_seq, final_output_json, error } = doc;
    this.events.push({ execution_id: _id, status, step_seq, final_output_json, error });
  }

  async sendStart(command: StartCommand, msgId: string): Promise<void> {
    await Promise.resolve();
    if (this.once(msgId)) this.starts.push({ command: structuredClone(command), msgId });
  }

  async scheduleTimer(command: TimerCommand): Promise<void> {
    await Promise.resolve();
    this.timers.set(command.timer_id, command);
    this.scheduled.push(structuredClone(command));
  }

  async cancelTimer(_workspaceId: string, timerId: string): Promise<void> {
    await Promise.resolve();
    this.timers.delete(timerId);
  }

  async cancelExecutionTimers(_workspaceId: string, executionId: string): Promise<void> {
    await Promise.resolve();
    this.purges.push(executionId);
    for (const id of [...this.timers.keys()]) if (id.startsWith(`${executionId}:`)) this.timers.delete(id);
  }

  statusesOf(executionId: string): ExecutionDoc['status'][] {
    return this.events.filter((e) => e.execution_id === executionId).map((e) => e.status);
  }
}

/** Published workflow versions (DefinitionCache.get). */
export class FakeDefinitions {
  private readonly defs = new Map<string, WorkflowDefinition>();

  add(workflowId: string, version: number, json: unknown): WorkflowDefinition {
    const result = validateDefinition(json);
    if (!result.ok) throw new Error(`invalid definition: ${JSON.stringify(result)}`);
    this.defs.set(`${workflowId}:${version}`, result.definition);
    return result.definition;
  }

  async get(workflowId: string, version: number): Promise<WorkflowDefinition | null> {
    await Promise.resolve();
    return this.defs.get(`${workflowId}:${version}`) ?? null;
  }
}

/**
 * A downstream HTTP service on 127.0.0.1 that records every request (path, Idempotency-Key) and can
 * hold the responses of a path until released.
 */
export class Downstream {
  private server: Server | null = null;
  readonly requests: { path: string; idempotencyKey: string | undefined }[] = [];
  private readonly held = new Map<string, { promise: Promise<void>; release: () => void }>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      const key = req.headers['idempotency-key'];
      this.requests.push({ path, idempotencyKey: Array.isArray(key) ? key[0] : key });
      req.resume();
      void (this.held.get(path)?.promise ?? Promise.resolve()).then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ path, n: this.countOf(path) }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path: string): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}${path}`;
  }

  countOf(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  /** Responses on `path` wait until the returned function is called. */
  hold(path: string): () => void {
    let release = () => undefined as void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.held.set(path, { promise, release });
    return () => {
      this.held.delete(path);
      release();
    };
  }

  async stop(): Promise<void> {
    for (const h of this.held.values()) h.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

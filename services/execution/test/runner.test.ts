import type { StartCommand, TimerCommand } from '@flowgate/contracts';
import { flowKeyToken } from '@flowgate/core';
import { collections, queuedExecution, toJsonText, type Collections, type StepExecutionDoc } from '@flowgate/store';
import { createLogger, WorkspaceLabels } from '@flowgate/kit';
import { MongoClient } from 'mongodb';
import { Registry } from 'prom-client';
import { loadExecutionConfig } from '../src/config';
import { executionMetrics, type ExecutionMetrics } from '../src/metrics';
import { Runner } from '../src/runner';
import type { LiveState, Messaging } from '../src/seams';
import { Downstream, FakeClock, FakeDefinitions, FakeLive, FakeMessaging, FakeSlots } from './fakes';

/**
 * The runner on fakes (test/fakes.ts): a compare-and-set live state with a MongoDB projection that
 * can fail, slot queues, JetStream de-duplication and a frozen clock. Crash points are simulated by
 * making a live write throw (the executor dies before it commits) and handling the same command
 * again on a fresh Runner sharing the state, as a redelivery to another replica would.
 */

const WS = 'ws_unit';
const WF = 'wf_unit';
const config = loadExecutionConfig({});
const logger = createLogger('execution-test', 'silent');
// Never connected: the workflows here use no persisted context, wait tokens or offloaded payloads,
// so a MongoDB command from the runner fails the test (server selection times out at once).
const mongo = new MongoClient('mongodb://127.0.0.1:9/unused', { serverSelectionTimeoutMS: 50 });
const store: Collections = collections(mongo.db('unused'));

interface World {
  clock: FakeClock;
  live: FakeLive;
  slots: FakeSlots;
  messaging: FakeMessaging;
  definitions: FakeDefinitions;
}

function world(): World {
  return {
    clock: new FakeClock(),
    live: new FakeLive(),
    slots: new FakeSlots(),
    messaging: new FakeMessaging(),
    definitions: new FakeDefinitions(),
  };
}

/**
 * One executor replica over the shared fakes. `kill()`: the process is gone, so nothing it had
 * scheduled (a duration timer it was about to set) reaches the shared state any more.
 */
function replica(
  w: World,
  extra: { workspaces?: { isDeleted(workspaceId: string): Promise<boolean> }; labels?: WorkspaceLabels } = {},
): { runner: Runner; metrics: ExecutionMetrics; kill: () => void } {
  let dead = false;
  const alive = async (): Promise<void> => {
    await Promise.resolve();
    if (dead) throw new Error('this executor is dead');
  };
  const live: LiveState = {
    peek: async (workspaceId, id) => (await alive(), w.live.peek(workspaceId, id)),
    get: async (workspaceId, id) => (await alive(), w.live.get(workspaceId, id)),
    write: async (current, doc, steps, opts) => (await alive(), w.live.write(current, doc, steps, opts)),
    project: async (x) => (await alive(), w.live.project(x)),
  };
  const messaging: Messaging = {
    publishEvent: async (doc) => (await alive(), w.messaging.publishEvent(doc)),
    sendStart: async (command, msgId) => (await alive(), w.messaging.sendStart(command, msgId)),
    scheduleTimer: async (command) => (await alive(), w.messaging.scheduleTimer(command)),
    cancelTimer: async (workspaceId, timerId) => (await alive(), w.messaging.cancelTimer(workspaceId, timerId)),
    cancelExecutionTimers: async (workspaceId, id) => (await alive(), w.messaging.cancelExecutionTimers(workspaceId, id)),
  };
  const metrics = executionMetrics(new Registry(), extra.labels ?? new WorkspaceLabels());
  const runner = new Runner({
    store,
    live,
    slots: w.slots,
    messaging,
    definitions: w.definitions,
    config,
    metrics,
    logger,
    now: w.clock.now,
    workspaces: extra.workspaces,
  });
  return { runner, metrics, kill: () => (dead = true) };
}

let seq = 0;

/** An accepted execution as the ingress leaves it (queued live key) and its start command. */
function accept(w: World, body: unknown, opts: { live?: boolean } = {}): StartCommand {
  const workflowVersion = 1;
  const id = `ex_${++seq}`;
  const trigger_input = { method: 'POST', path: '/hooks/wh_unit', query: {}, headers: {}, body };
  const cmd: StartCommand = {
    type: 'start',
    execution_id: id,
    workspace_id: WS,
    workflow_id: WF,
    workflow_version: workflowVersion,
    trigger_input,
    trigger_input_ref: null,
    accepted_at: w.clock.now().toISOString(),
    replay_of: null,
    source: 'webhook',
  };
  if (opts.live === false) return cmd;
  w.live.create(
    queuedExecution({
      _id: id,
      workspace_id: WS,
      workflow_id: WF,
      workflow_version: workflowVersion,
      trigger_input_json: toJsonText(trigger_input),
      on_success_url: null,
      on_failure_url: null,
      replay_of: null,
      source: 'webhook',
      created_at: w.clock.now(),
    }),
  );
  return cmd;
}

const noKeepAlive = () => undefined;

const stepsOf = (steps: Iterable<StepExecutionDoc>) =>
  [...steps].sort((a, b) => a.seq - b.seq).map((s) => ({ seq: s.seq, step_id: s.step_id, status: s.status }));

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `p`, or a rejection if it takes longer than `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The sum of a counter over its labels. */
async function counterValue(c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await c.get()).values.reduce((sum, v) => sum + v.value, 0);
}

describe('execution runner on fakes', () => {
  let downstream: Downstream;

  beforeAll(async () => {
    downstream = await new Downstream().start();
  });

  afterAll(async () => {
    await downstream.stop();
    await mongo.close();
  });

  it('runs a two-step workflow to succeeded, one compare-and-set per transition, one terminal event', async () => {
    const w = world();
    const def = w.definitions.add(WF, 1, {
      name: 'double-then-add',
      steps: [
        { id: 'double', type: 'transform', expression: '{"doubled": trigger.body.n + trigger.body.n}' },
        { id: 'add', type: 'transform', expression: '{"sum": steps.double.output.doubled + 1}' },
      ],
    });
    const cmd = accept(w, { n: 21 });
    const startedAt = w.clock.now();
    const { runner, metrics } = replica(w);

    await expect(runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');

    // Step 1 done (carrying the begin: no write of its own), step 2 done (the end): two writes,
    // each from the revision before it.
    expect(w.live.writes.map(({ status, revision, durable, steps }) => ({ status, revision, durable, steps }))).toEqual([
      { status: 'running', revision: 2, durable: false, steps: [{ seq: 1, step_id: 'double', status: 'succeeded' }] },
      {
        status: 'succeeded',
        revision: 3,
        durable: false,
        steps: [
          { seq: 1, step_id: 'double', status: 'succeeded' },
          { seq: 2, step_id: 'add', status: 'succeeded' },
        ],
      },
    ]);
    expect(w.live.refused).toBe(0);
    await until('the end to reach MongoDB', () => w.live.mongo.get(cmd.execution_id)?.doc.status === 'succeeded');
    const stored = w.live.mongo.get(cmd.execution_id);
    expect(JSON.parse(stored?.doc.final_output_json ?? 'null')).toEqual({ sum: 43 });
    expect(stored?.doc.started_at).toEqual(startedAt);
    expect(stored?.doc.finished_at).toEqual(startedAt);
    expect(stored?.doc.duration_due_at).toEqual(new Date(startedAt.getTime() + def.max_workflow_duration_seconds * 1000));
    expect(stepsOf(stored?.steps.values() ?? [])).toEqual([
      { seq: 1, step_id: 'double', status: 'succeeded' },
      { seq: 2, step_id: 'add', status: 'succeeded' },
    ]);
    expect(w.live.liveOf(WS, cmd.execution_id)).toBeUndefined(); // retired once MongoDB has the end
    // Events: a run shorter than a second announces its end only, once.
    expect(w.messaging.statusesOf(cmd.execution_id)).toEqual(['succeeded']);
    expect(w.messaging.duplicates).toBe(0);
    expect(w.messaging.events[0]?.final_output_json).toBe('{"sum":43}');
    // A short run never sets (nor purges) a duration timer; its slot (max 1 by default) is given back.
    expect([...w.messaging.timers.keys()]).toEqual([]);
    expect(w.messaging.purges).toEqual([]);
    expect(w.slots.queues.get(`${WS}.${WF}`)).toEqual({ running: [], waiting: [] });
    expect(await counterValue(metrics.started)).toBe(1);
    expect((await metrics.finished.get()).values).toEqual([
      expect.objectContaining({ labels: { workspace_id: WS, status: 'succeeded' }, value: 1 }),
    ]);
  });

  describe('replay from a chosen step', () => {
    const steps = [
      { id: 'a', type: 'transform', expression: '{"v": "computed again"}' },
      { id: 'b', type: 'transform', expression: '{"from_a": steps.a.output.v}' },
      { id: 'c', type: 'transform', expression: '{"b": steps.b.output.from_a, "a": steps.a.output.v}' },
    ];
    /** An ended original in MongoDB (retired): a succeeded with `{"v": "original"}`, b failed. */
    function original(w: World): string {
      const id = `ex_orig_${++seq}`;
      const at = w.clock.now();
      const doc = {
        ...queuedExecution({
          _id: id,
          workspace_id: WS,
          workflow_id: WF,
          workflow_version: 1,
          trigger_input_json: toJsonText({ method: 'POST', path: '/hooks/wh_unit', query: {}, headers: {}, body: {} }),
          on_success_url: null,
          on_failure_url: null,
          replay_of: null,
          created_at: at,
        }),
        status: 'failed' as const,
        step_seq: 2,
      };
      const record = (n: number, step_id: string, status: StepExecutionDoc['status'], output: unknown): StepExecutionDoc => ({
        _id: `${id}:${n}`,
        workspace_id: WS,
        execution_id: id,
        seq: n,
        step_id,
        type: 'transform',
        attempt: 1,
        status,
        input_json: null,
        output_json: output === undefined ? null : toJsonText(output),
        error: status === 'failed' ? { code: 'expression_failed', message: 'boom', step_id } : null,
        started_at: at,
        finished_at: at,
      });
      const records = [record(1, 'a', 'succeeded', { v: 'original' }), record(2, 'b', 'failed', undefined)];
      w.live.mongo.set(id, { doc, steps: new Map(records.map((r) => [r._id, r])) });
      w.live.retired.add(`${WS}.${id}`);
      return id;
    }

    it('begins at the step with the earlier outputs carried over (not run again) and shown as carried_over records', async () => {
      const w = world();
      w.definitions.add(WF, 1, { name: 'three', steps });
      const from = original(w);
      const cmd: StartCommand = { ...accept(w, {}, { live: false }), replay_of: from, replay_from_step: 'b' };
      const { runner, metrics } = replica(w);
      await expect(runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
      await until('the end to reach MongoDB', () => w.live.mongo.get(cmd.execution_id)?.doc.status === 'succeeded');
      const stored = w.live.mongo.get(cmd.execution_id);
      expect(JSON.parse(stored?.doc.final_output_json ?? 'null')).toEqual({ b: 'original', a: 'original' });
      expect(stored?.doc.order).toEqual(['a', 'b', 'c']);
      expect(stored?.doc.replay_from_step).toBe('b');
      expect(stepsOf(stored?.steps.values() ?? [])).toEqual([
        { seq: 1, step_id: 'a', status: 'carried_over' },
        { seq: 2, step_id: 'b', status: 'succeeded' },
        { seq: 3, step_id: 'c', status: 'succeeded' },
      ]);
      expect(stored?.steps.get(`${cmd.execution_id}:1`)?.output_json).toBe('{"v":"original"}');
      // The original is untouched; the replay is counted as one start.
      expect(w.live.mongo.get(from)?.doc.status).toBe('failed');
      expect(await counterValue(metrics.started)).toBe(1);
    });

    it('a start without replay_from_step runs from the first step as before', async () => {
      const w = world();
      w.definitions.add(WF, 1, { name: 'three', steps });
      const from = original(w);
      const cmd: StartCommand = { ...accept(w, {}, { live: false }), replay_of: from };
      await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
      await until('the end to reach MongoDB', () => w.live.mongo.get(cmd.execution_id)?.doc.status === 'succeeded');
      const stored = w.live.mongo.get(cmd.execution_id);
      expect(JSON.parse(stored?.doc.final_output_json ?? 'null')).toEqual({ b: 'computed again', a: 'computed again' });
      expect(stepsOf(stored?.steps.values() ?? []).map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    });

    it('fails at once, running nothing, when the original never reached the step or is gone', async () => {
      const w = world();
      w.definitions.add(WF, 1, { name: 'three', steps });
      const from = original(w);
      const { runner } = replica(w);
      const notReached: StartCommand = { ...accept(w, {}, { live: false }), replay_of: from, replay_from_step: 'c' };
      const gone: StartCommand = { ...accept(w, {}, { live: false }), replay_of: 'ex_missing', replay_from_step: 'b' };
      await expect(runner.handleStart(notReached, noKeepAlive)).resolves.toBe('ack');
      await expect(runner.handleStart(gone, noKeepAlive)).resolves.toBe('ack');
      await until('both ends to reach MongoDB', () =>
        [notReached, gone].every((c) => w.live.mongo.get(c.execution_id)?.doc.status === 'failed'),
      );
      expect(w.live.mongo.get(notReached.execution_id)?.doc.error?.code).toBe('replay_step_not_reached');
      expect(w.live.mongo.get(gone.execution_id)?.doc.error?.code).toBe('replay_source_not_found');
      for (const c of [notReached, gone]) expect(w.live.mongo.get(c.execution_id)?.steps.size).toBe(0);
      expect(w.messaging.statusesOf(notReached.execution_id)).toEqual(['failed']);
    });
  });

  it('counts executions past the workspace bound under _other', async () => {
    const w = world();
    w.definitions.add(WF, 1, { name: 'bounded', steps: [{ id: 'one', type: 'transform', expression: '{"n": trigger.body.n}' }] });
    const { runner, metrics } = replica(w, { labels: new WorkspaceLabels(0) });
    await expect(runner.handleStart(accept(w, { n: 1 }), noKeepAlive)).resolves.toBe('ack');
    expect((await metrics.started.get()).values).toEqual([expect.objectContaining({ labels: { workspace_id: '_other' }, value: 1 })]);
    expect((await metrics.finished.get()).values).toEqual([
      expect.objectContaining({ labels: { workspace_id: '_other', status: 'succeeded' }, value: 1 }),
    ]);
  });

  it('a start not live yet begins from its command; an ingress create that lands first makes it begin again from the key', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'from-the-command',
      max_concurrent_executions: 0,
      steps: [{ id: 'echo', type: 'transform', expression: '{"v": trigger.body.v}' }],
    });
    const cmd = accept(w, { v: 'from command' }, { live: false });
    expect(await w.live.peek(WS, cmd.execution_id)).toEqual({ kind: 'absent' });
    // Right before the runner's create, the ingress makes the execution live (its create wins).
    w.live.beforeWrite = (doc, attempt) => {
      if (attempt !== 1) return;
      w.live.create(
        queuedExecution({
          _id: doc._id,
          workspace_id: WS,
          workflow_id: WF,
          workflow_version: 1,
          trigger_input_json: toJsonText(cmd.trigger_input),
          on_success_url: null,
          on_failure_url: null,
          replay_of: null,
          created_at: new Date(cmd.accepted_at),
        }),
      );
    };
    const { runner, metrics } = replica(w);
    await expect(runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');

    expect(w.live.refused).toBe(1); // the runner's create over the present key
    // Begun again from the ingress's key (revision 1): its one step's result ends it in one write.
    expect(w.live.writes.map((x) => ({ status: x.status, revision: x.revision }))).toEqual([{ status: 'succeeded', revision: 2 }]);
    expect(await counterValue(metrics.started)).toBe(1);
    await until('the end to reach MongoDB', () => w.live.mongo.get(cmd.execution_id)?.doc.status === 'succeeded');
    expect(w.live.mongo.get(cmd.execution_id)?.doc.final_output_json).toBe('{"v":"from command"}');
    expect(await w.live.peek(WS, cmd.execution_id)).toEqual({ kind: 'retired' });
    // A late duplicate of the start finds it retired, reads it from MongoDB, and changes nothing.
    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
    expect(w.live.writes.length).toBe(1);
    // Never written as running: the end is its only state change.
    expect(w.messaging.statusesOf(cmd.execution_id)).toEqual(['succeeded']);
  });

  it('a start with neither a live key nor a MongoDB document is created live from its command', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'from-the-command',
      max_concurrent_executions: 0,
      steps: [{ id: 'echo', type: 'transform', expression: '{"v": trigger.body.v}' }],
    });
    const cmd = accept(w, { v: 'only in the command' }, { live: false });
    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
    expect(w.live.refused).toBe(0);
    // The create, carrying the begin and its one step's result.
    expect(w.live.writes.map((x) => ({ status: x.status, revision: x.revision }))).toEqual([{ status: 'succeeded', revision: 1 }]);
    await until('the end to reach MongoDB', () => w.live.mongo.get(cmd.execution_id)?.doc.status === 'succeeded');
    expect(w.live.mongo.get(cmd.execution_id)?.doc).toEqual(
      expect.objectContaining({
        final_output_json: '{"v":"only in the command"}',
        created_at: new Date(cmd.accepted_at),
        source: 'webhook',
      }),
    );
  });

  it('a start that never became live, of a workspace being deleted, runs nothing; a live one runs (the deletion cancels it)', async () => {
    const w = world();
    w.definitions.add(WF, 1, { name: 'doomed', max_concurrent_executions: 0, steps: [{ id: 'echo', type: 'transform', expression: '1' }] });
    const asked: string[] = [];
    const workspaces = {
      isDeleted: (id: string) => {
        asked.push(id);
        return Promise.resolve(true);
      },
    };
    const dropped = accept(w, {}, { live: false });
    await expect(replica(w, { workspaces }).runner.handleStart(dropped, noKeepAlive)).resolves.toEqual({ term: 'workspace_deleted' });
    expect(w.live.writes).toEqual([]);
    expect(w.messaging.events).toEqual([]);
    expect(asked).toEqual([WS]);
    const live = accept(w, {});
    await expect(replica(w, { workspaces }).runner.handleStart(live, noKeepAlive)).resolves.toBe('ack');
    expect(w.messaging.statusesOf(live.execution_id)).toEqual(['succeeded']);
  });

  it('crash after an http step ran, before its checkpoint: completed steps do not run again, the interrupted one runs once more', async () => {
    const w = world();
    const def = w.definitions.add(WF, 1, {
      name: 'two-calls',
      max_concurrent_executions: 0,
      steps: [
        { id: 'first', type: 'http', request: { method: 'POST', url: downstream.url('/crash/first') } },
        { id: 'second', type: 'http', request: { method: 'POST', url: downstream.url('/crash/second') } },
        { id: 'shape', type: 'transform', expression: '{"first": steps.first.output.body.n, "second": steps.second.output.body.n}' },
      ],
    });
    const cmd = accept(w, { order: 7 });
    const id = cmd.execution_id;
    // The executor dies right before the write that records `second` as done.
    w.live.beforeWrite = (doc) => {
      const done = JSON.parse(doc.outputs_json) as Record<string, unknown>;
      if ('second' in done) throw new Error('executor killed');
    };

    const first = replica(w);
    await expect(first.runner.handleStart(cmd, noKeepAlive)).rejects.toThrow('executor killed');
    first.kill();
    expect(downstream.countOf('/crash/first')).toBe(1);
    expect(downstream.countOf('/crash/second')).toBe(1);
    const left = w.live.liveOf(WS, id);
    expect(left?.doc.status).toBe('running');
    expect(stepsOf(left?.steps ?? [])).toEqual([
      { seq: 1, step_id: 'first', status: 'succeeded' },
      { seq: 2, step_id: 'second', status: 'running' },
    ]);

    // The command is redelivered to another replica.
    w.live.beforeWrite = null;
    w.clock.advance(5_000);
    const writesBefore = w.live.writes.length;
    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');

    expect(downstream.countOf('/crash/first')).toBe(1);
    expect(downstream.countOf('/crash/second')).toBe(2);
    expect(downstream.requests.filter((r) => r.path === '/crash/second').map((r) => r.idempotencyKey)).toEqual([
      `${id}:second`,
      `${id}:second`,
    ]);
    // interrupted, second in flight, second done, shape done (the end)
    expect(w.live.writes.slice(writesBefore).map((x) => x.status)).toEqual(['running', 'running', 'running', 'succeeded']);
    await until('the end to reach MongoDB', () => w.live.mongo.get(id)?.doc.status === 'succeeded');
    const stored = w.live.mongo.get(id);
    expect(stepsOf(stored?.steps.values() ?? [])).toEqual([
      { seq: 1, step_id: 'first', status: 'succeeded' },
      { seq: 2, step_id: 'second', status: 'interrupted' },
      { seq: 3, step_id: 'second', status: 'succeeded' },
      { seq: 4, step_id: 'shape', status: 'succeeded' },
    ]);
    expect(stored?.steps.get(`${id}:2`)?.finished_at).toEqual(w.clock.now());
    expect(JSON.parse(stored?.doc.final_output_json ?? 'null')).toEqual({ first: 1, second: 2 });
    expect(w.messaging.statusesOf(id)).toEqual(['succeeded']);
    // The redelivery set the duration timer the dead executor may not have set; the end purged it.
    const startedAt = stored?.doc.started_at?.getTime() ?? 0;
    expect(startedAt).toBe(w.clock.now().getTime() - 5_000);
    expect(w.messaging.scheduled).toEqual([
      {
        type: 'timer',
        timer_id: `${id}:duration`,
        kind: 'duration_timeout',
        workspace_id: WS,
        execution_id: id,
        due_at: new Date(startedAt + def.max_workflow_duration_seconds * 1000).toISOString(),
      },
    ]);
    expect(w.messaging.purges).toEqual([id]);
    expect(w.messaging.timers.size).toBe(0);
  });

  it('consecutive http steps: one write per step (a result rides with the next in-flight record); a crash at that write re-runs only the step it would have recorded', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'three-calls',
      max_concurrent_executions: 0,
      steps: ['a', 'b', 'c'].map((id) => ({ id, type: 'http', request: { method: 'POST', url: downstream.url(`/chain/${id}`) } })),
    });
    const cmd = accept(w, {});
    const id = cmd.execution_id;
    // The executor dies at the write that would record `a` done and `b` in flight.
    w.live.beforeWrite = (doc) => {
      const done = JSON.parse(doc.outputs_json) as Record<string, unknown>;
      if ('a' in done) throw new Error('executor killed');
    };
    const first = replica(w);
    await expect(first.runner.handleStart(cmd, noKeepAlive)).rejects.toThrow('executor killed');
    first.kill();
    expect(stepsOf(w.live.liveOf(WS, id)?.steps ?? [])).toEqual([{ seq: 1, step_id: 'a', status: 'running' }]);

    w.live.beforeWrite = null;
    const writesBefore = w.live.writes.length;
    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
    expect(['a', 'b', 'c'].map((s) => downstream.countOf(`/chain/${s}`))).toEqual([2, 1, 1]);
    // a interrupted; a in flight; a done + b in flight; b done + c in flight; c done (the end).
    expect(w.live.writes.slice(writesBefore).map((x) => x.steps.map((st) => `${st.step_id}:${st.status}`).join(' '))).toEqual([
      'a:interrupted',
      'a:interrupted a:running',
      'a:interrupted a:succeeded b:running',
      'a:interrupted a:succeeded b:succeeded c:running',
      'a:interrupted a:succeeded b:succeeded c:succeeded',
    ]);
    expect(w.live.writes.at(-1)?.status).toBe('succeeded');
  });

  it('crash during a flush: the end stays in the live state, a redelivery projects it, nothing is lost, no step re-runs', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'call-then-shape',
      max_concurrent_executions: 0,
      steps: [
        { id: 'call', type: 'http', request: { url: downstream.url('/flush/call') } },
        { id: 'shape', type: 'transform', expression: '{"status": steps.call.output.status, "n": steps.call.output.body.n}' },
      ],
    });
    const cmd = accept(w, {});
    const id = cmd.execution_id;
    w.live.failFlush = () => true; // MongoDB away: every flush fails

    // The end is committed in the live state (the command's promise): the runner acknowledges it.
    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
    await new Promise((r) => setTimeout(r, 20)); // the detached flush of the end has failed by now
    expect(w.live.liveOf(WS, id)?.doc.status).toBe('succeeded');
    expect(w.live.mongo.has(id)).toBe(false);
    expect(w.live.flushes).toBe(0);
    expect(w.messaging.statusesOf(id)).toEqual(['succeeded']);

    // MongoDB is back; the same command arrives again (a redelivery, on another replica).
    w.live.failFlush = () => false;
    const writesBefore = w.live.writes.length;
    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');

    expect(w.live.writes.length).toBe(writesBefore); // no new transition
    expect(downstream.countOf('/flush/call')).toBe(1); // no step ran again
    await until('the end to reach MongoDB', () => w.live.mongo.get(id)?.doc.status === 'succeeded');
    const stored = w.live.mongo.get(id);
    expect(stored?.doc.status).toBe('succeeded');
    expect(JSON.parse(stored?.doc.final_output_json ?? 'null')).toEqual({ status: 200, n: 1 });
    expect(stepsOf(stored?.steps.values() ?? [])).toEqual([
      { seq: 1, step_id: 'call', status: 'succeeded' },
      { seq: 2, step_id: 'shape', status: 'succeeded' },
    ]);
    expect(w.live.liveOf(WS, id)).toBeUndefined(); // retired
    expect(w.messaging.statusesOf(id)).toEqual(['succeeded']); // announced again, de-duplicated
    expect(w.messaging.duplicates).toBe(1);
    expect(await w.live.recover()).toBe(0); // nothing left for the sweep
  });

  it('the recovery sweep projects an end whose flush failed, without a redelivery', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'one-transform',
      max_concurrent_executions: 0,
      steps: [{ id: 'only', type: 'transform', expression: '{"v": trigger.body.v}' }],
    });
    const cmd = accept(w, { v: 'kept' });
    w.live.failFlush = (doc) => doc.status === 'succeeded';

    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');
    await new Promise((r) => setTimeout(r, 20));
    expect(w.live.liveOf(WS, cmd.execution_id)?.doc.status).toBe('succeeded');
    expect(w.live.mongo.get(cmd.execution_id)).toBeUndefined(); // its running snapshots were lazy, never flushed

    w.live.failFlush = () => false;
    expect(await w.live.recover()).toBe(1);
    expect(w.live.mongo.get(cmd.execution_id)?.doc.final_output_json).toBe('{"v":"kept"}');
    expect(w.live.liveOf(WS, cmd.execution_id)).toBeUndefined();
  });

  it('a cancel that wins the race against the next write stops the runner: cancelled, no further step', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'call-then-more',
      max_concurrent_executions: 0,
      steps: [
        { id: 'call', type: 'http', request: { url: downstream.url('/cancel/call') } },
        { id: 'more', type: 'http', request: { url: downstream.url('/cancel/more') } },
      ],
    });
    const cmd = accept(w, {});
    const id = cmd.execution_id;
    const other = replica(w).runner; // the replica that serves the cancel
    let cancelled: Awaited<ReturnType<Runner['endExecution']>> = null;
    // Right before the runner records `call` as done, a cancel on another replica commits first.
    w.live.beforeWrite = async (doc) => {
      const done = JSON.parse(doc.outputs_json) as Record<string, unknown>;
      if (!('call' in done) || cancelled) return;
      w.live.beforeWrite = null;
      cancelled = await other.endExecution(WS, id, 'cancelled', { code: 'cancelled', message: 'execution cancelled' });
    };

    await expect(replica(w).runner.handleStart(cmd, noKeepAlive)).resolves.toBe('ack');

    expect(cancelled).toEqual(expect.objectContaining({ _id: id, status: 'cancelled' }));
    expect(w.live.refused).toBe(1); // the runner's write, from the revision before the cancel
    // `call` in flight (carrying the begin), then the cancel.
    expect(w.live.writes.map((x) => x.status)).toEqual(['running', 'cancelled']);
    expect(downstream.countOf('/cancel/call')).toBe(1);
    expect(downstream.countOf('/cancel/more')).toBe(0);
    await until('the end to reach MongoDB', () => w.live.mongo.get(id)?.doc.status === 'cancelled');
    const stored = w.live.mongo.get(id);
    expect(stored?.doc.error).toEqual({ code: 'cancelled', message: 'execution cancelled' });
    expect(stored?.doc.final_output_json).toBeNull();
    // The attempt in flight ended with the execution; its result was never recorded.
    expect([...(stored?.steps.values() ?? [])].map((s) => ({ step_id: s.step_id, status: s.status, error: s.error?.code }))).toEqual([
      { step_id: 'call', status: 'failed', error: 'cancelled' },
    ]);
    expect(w.messaging.statusesOf(id)).toEqual(['cancelled']);
  });

  it('max_concurrent_executions 1: a second start waits (ack, slot_wait), the first one’s end promotes it', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'one-at-a-time',
      max_concurrent_executions: 1,
      steps: [
        { id: 'call', type: 'http', request: { url: downstream.url('/slots/call?n={{trigger.body.n}}') } },
        { id: 'shape', type: 'transform', expression: '{"n": trigger.body.n}' },
      ],
    });
    const a = accept(w, { n: 1 });
    const b = accept(w, { n: 2 });
    const releaseA = downstream.hold('/slots/call?n=1');
    const one = replica(w);
    const two = replica(w);

    const runningA = one.runner.handleStart(a, noKeepAlive);
    await until('A to call downstream', () => downstream.countOf('/slots/call?n=1') === 1);
    await expect(two.runner.handleStart(b, noKeepAlive)).resolves.toBe('ack');
    const waitingB = w.live.liveOf(WS, b.execution_id);
    expect(waitingB?.doc).toEqual(expect.objectContaining({ status: 'queued', slot_wait: true, started_at: null }));
    expect(w.live.writes.filter((x) => x.id === b.execution_id).map((x) => ({ status: x.status, durable: x.durable }))).toEqual([
      // Lazy since the slot queues moved to NATS KV (4c05502): promotion no longer reads MongoDB.
      // ADR 0014 still lists slot waits among the durable writes.
      { status: 'queued', durable: false },
    ]);
    expect(w.live.mongo.has(b.execution_id)).toBe(false);
    w.live.settle(); // the projection's lazy delay elapsed
    expect(w.live.mongo.get(b.execution_id)?.doc).toEqual(expect.objectContaining({ status: 'queued', slot_wait: true }));
    expect(w.slots.queues.get(`${WS}.${WF}`)).toEqual({ running: [a.execution_id], waiting: [b.execution_id] });
    expect(w.messaging.starts).toEqual([]);
    expect(downstream.countOf('/slots/call?n=2')).toBe(0);
    expect((await two.metrics.slotWaits.get()).values).toEqual([expect.objectContaining({ labels: { workspace_id: WS }, value: 1 })]);
    expect(await counterValue(one.metrics.slotWaits)).toBe(0);

    releaseA();
    await expect(runningA).resolves.toBe('ack');
    expect(w.live.mongo.get(a.execution_id)?.doc.status ?? w.live.liveOf(WS, a.execution_id)?.doc.status).toBe('succeeded');
    expect(w.slots.queues.get(`${WS}.${WF}`)).toEqual({ running: [b.execution_id], waiting: [] });
    expect(w.messaging.starts.map((s) => ({ msgId: s.msgId, id: s.command.execution_id, body: s.command.trigger_input.body }))).toEqual([
      { msgId: `${b.execution_id}:promoted`, id: b.execution_id, body: { n: 2 } },
    ]);

    const promoted = w.messaging.starts[0]?.command;
    if (!promoted) throw new Error('no promoted start');
    await expect(replica(w).runner.handleStart(promoted, noKeepAlive)).resolves.toBe('ack');
    await until('B to end in MongoDB', () => w.live.mongo.get(b.execution_id)?.doc.status === 'succeeded');
    expect(w.live.mongo.get(b.execution_id)?.doc.final_output_json).toBe('{"n":2}');
    expect(w.live.mongo.get(b.execution_id)?.doc.slot_wait).toBe(false);
    expect(downstream.countOf('/slots/call?n=2')).toBe(1);
    expect(w.slots.queues.get(`${WS}.${WF}`)).toEqual({ running: [], waiting: [] });
  });

  it('keyed concurrency: a busy key waits without holding a workflow place, other keys run, the end promotes in order', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'per-customer',
      max_concurrent_executions: 2,
      concurrency: { key: 'trigger.body.customer', limit: 1 },
      steps: [
        { id: 'call', type: 'http', request: { url: downstream.url('/keyed/call?c={{trigger.body.customer}}&n={{trigger.body.n}}') } },
        { id: 'shape', type: 'transform', expression: '{"n": trigger.body.n}' },
      ],
    });
    const a = accept(w, { customer: 'acme', n: 1 });
    const b = accept(w, { customer: 'acme', n: 2 });
    const c = accept(w, { customer: 'other', n: 3 });
    const releaseA = downstream.hold('/keyed/call?c=acme&n=1');
    const runningA = replica(w).runner.handleStart(a, noKeepAlive);
    await until('A to call downstream', () => downstream.countOf('/keyed/call?c=acme&n=1') === 1);

    await expect(replica(w).runner.handleStart(b, noKeepAlive)).resolves.toBe('ack');
    expect(w.live.liveOf(WS, b.execution_id)?.doc).toEqual(
      expect.objectContaining({ status: 'queued', slot_wait: true, concurrency_keys: ['acme'] }),
    );
    const acmeQueue = `${WS}.${WF}.k0.${flowKeyToken('acme')}`;
    expect(w.slots.queues.get(acmeQueue)).toEqual({ running: [a.execution_id], waiting: [b.execution_id] });
    // B waits on its key only: the workflow's second place is free, and another customer takes it.
    expect(w.slots.queues.get(`${WS}.${WF}`)).toEqual({ running: [a.execution_id], waiting: [] });
    await expect(replica(w).runner.handleStart(c, noKeepAlive)).resolves.toBe('ack');
    await until('C to end', () => w.live.mongo.get(c.execution_id)?.doc.status === 'succeeded');
    expect(w.live.mongo.get(c.execution_id)?.doc.concurrency_keys).toEqual(['other']);
    expect(downstream.countOf('/keyed/call?c=acme&n=2')).toBe(0);

    releaseA();
    await expect(runningA).resolves.toBe('ack');
    expect(w.slots.queues.get(acmeQueue)).toEqual({ running: [b.execution_id], waiting: [] });
    expect(w.messaging.starts.map((s) => s.msgId)).toEqual([`${b.execution_id}:promoted`]);
    const promoted = w.messaging.starts[0]?.command;
    if (!promoted) throw new Error('no promoted start');
    await expect(replica(w).runner.handleStart(promoted, noKeepAlive)).resolves.toBe('ack');
    await until('B to end in MongoDB', () => w.live.mongo.get(b.execution_id)?.doc.status === 'succeeded');
    expect(downstream.countOf('/keyed/call?c=acme&n=2')).toBe(1);
    for (const queue of [acmeQueue, `${WS}.${WF}`, `${WS}.${WF}.k0.${flowKeyToken('other')}`])
      expect(w.slots.queues.get(queue)).toEqual({ running: [], waiting: [] });
  });

  it('keyed concurrency: the sweep does not resend a start to one holding a key place while it waits for a workflow place', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'stacked',
      max_concurrent_executions: 1,
      concurrency: { key: 'trigger.body.customer', limit: 1 },
      steps: [{ id: 'x', type: 'transform', expression: '1' }],
    });
    const a = accept(w, { customer: 'a' });
    const b = accept(w, { customer: 'b' });
    await w.slots.arrive(WS, WF, { queue: '', max: 1 }, a.execution_id); // A holds the workflow's one place
    const { runner } = replica(w);
    await expect(runner.handleStart(b, noKeepAlive)).resolves.toBe('ack');
    expect(w.slots.queues.get(`${WS}.${WF}.k0.${flowKeyToken('b')}`)).toEqual({ running: [b.execution_id], waiting: [] });
    expect(w.slots.queues.get(`${WS}.${WF}`)).toEqual({ running: [a.execution_id], waiting: [b.execution_id] });
    w.clock.advance(60_000);
    await runner.promoteAll(30_000);
    expect(w.messaging.starts.filter((s) => s.command.execution_id === b.execution_id)).toEqual([]);
  });

  it('a redelivered start of a waiting execution stays waiting: no second write, counted once', async () => {
    const w = world();
    w.definitions.add(WF, 1, { name: 'capped', max_concurrent_executions: 1, steps: [{ id: 'x', type: 'transform', expression: '1' }] });
    const a = accept(w, {});
    const b = accept(w, {});
    await w.slots.arrive(WS, WF, { queue: '', max: 1 }, a.execution_id); // A holds the slot
    const { runner, metrics } = replica(w);
    await expect(runner.handleStart(b, noKeepAlive)).resolves.toBe('ack');
    expect(w.live.liveOf(WS, b.execution_id)?.doc.slot_wait).toBe(true);
    const writes = w.live.writes.length;
    await expect(runner.handleStart(b, noKeepAlive)).resolves.toBe('ack');
    expect(await counterValue(metrics.slotWaits)).toBe(1);
    expect(w.live.writes.length).toBe(writes);
  });

  it('a duration timeout timer ends a running execution as timed_out and aborts its step in flight', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'stuck-call',
      max_concurrent_executions: 0,
      max_workflow_duration_seconds: 60,
      steps: [
        { id: 'call', type: 'http', timeout_s: 30, request: { url: downstream.url('/timeout/call') } },
        { id: 'after', type: 'transform', expression: '"unreachable"' },
      ],
    });
    const release = downstream.hold('/timeout/call');
    const cmd = accept(w, {});
    const id = cmd.execution_id;
    const { runner, metrics } = replica(w);
    const running = runner.handleStart(cmd, noKeepAlive);
    await until('the call to be in flight', () => downstream.countOf('/timeout/call') === 1);
    const dueAt = w.live.liveOf(WS, id)?.doc.duration_due_at;
    expect(dueAt).toEqual(new Date(w.clock.now().getTime() + 60_000));

    w.clock.advance(60_250);
    const timer: TimerCommand = {
      type: 'timer',
      timer_id: `${id}:duration`,
      kind: 'duration_timeout',
      workspace_id: WS,
      execution_id: id,
      due_at: (dueAt ?? new Date(0)).toISOString(),
    };
    await expect(runner.handleTimer(timer, noKeepAlive)).resolves.toBe('ack');
    // The in-flight call is aborted, not waited for (its own timeout is 30 s).
    await expect(within(2_000, running)).resolves.toBe('ack');
    release();

    await until('the end to reach MongoDB', () => w.live.mongo.get(id)?.doc.status === 'timed_out');
    const stored = w.live.mongo.get(id);
    expect(stored?.doc.error).toEqual({
      code: 'workflow_timed_out',
      message: 'execution exceeded max_workflow_duration_seconds (60)',
    });
    expect(stored?.doc.finished_at).toEqual(w.clock.now());
    expect([...(stored?.steps.values() ?? [])].map((s) => ({ step_id: s.step_id, status: s.status, error: s.error?.code }))).toEqual([
      { step_id: 'call', status: 'failed', error: 'workflow_timed_out' },
    ]);
    // `call` in flight (carrying the begin), then the timeout.
    expect(w.live.writes.map((x) => x.status)).toEqual(['running', 'timed_out']);
    expect(w.live.refused).toBe(1); // the aborted attempt's own write
    expect(w.messaging.statusesOf(id)).toEqual(['timed_out']);
    const lag = (await metrics.timerLag.get()).values.find(
      (v) => v.metricName === 'flowgate_timer_fire_lag_seconds_sum' && v.labels.kind === 'duration_timeout',
    );
    expect(lag?.value).toBe(0.25);

    // A late duplicate of the timer finds the execution ended: nothing changes.
    await expect(replica(w).runner.handleTimer(timer, noKeepAlive)).resolves.toBe('ack');
    expect(w.live.writes.length).toBe(2);
  });

  it('crash before the first write of a begun run: it stays queued; the redelivery begins it again, counted once, announced running after a second', async () => {
    const w = world();
    w.definitions.add(WF, 1, {
      name: 'one-call',
      max_concurrent_executions: 0,
      steps: [{ id: 'call', type: 'http', request: { method: 'POST', url: downstream.url('/begin/call') } }],
    });
    const cmd = accept(w, {});
    const id = cmd.execution_id;
    // The executor dies at the write that would carry the begin and the in-flight record.
    w.live.beforeWrite = () => {
      throw new Error('executor killed');
    };
    const first = replica(w);
    await expect(first.runner.handleStart(cmd, noKeepAlive)).rejects.toThrow('executor killed');
    first.kill();
    expect(w.live.liveOf(WS, id)?.doc.status).toBe('queued');
    expect(downstream.countOf('/begin/call')).toBe(0);
    expect(await counterValue(first.metrics.started)).toBe(0);
    expect(w.messaging.statusesOf(id)).toEqual([]);

    w.live.beforeWrite = null;
    const second = replica(w);
    const release = downstream.hold('/begin/call');
    const run = second.runner.handleStart(cmd, noKeepAlive);
    // Still running after a second: `running` is announced (with the duration timer), once.
    await until('the running event', () => w.messaging.statusesOf(id).length > 0, 3_000);
    expect(w.messaging.statusesOf(id)).toEqual(['running']);
    await until('the duration timer', () => w.messaging.timers.has(`${id}:duration`));
    release();
    await expect(run).resolves.toBe('ack');
    expect(downstream.countOf('/begin/call')).toBe(1);
    expect(w.live.writes.map((x) => ({ status: x.status, steps: x.steps.map((st) => st.status) }))).toEqual([
      { status: 'running', steps: ['running'] }, // begun, `call` in flight: one write
      { status: 'succeeded', steps: ['succeeded'] },
    ]);
    expect(await counterValue(second.metrics.started)).toBe(1);
    expect(w.messaging.statusesOf(id)).toEqual(['running', 'succeeded']);
  });
});

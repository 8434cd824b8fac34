import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  createSubjects,
  loadSchedulerProto,
  type SchedulerServiceClient,
  type Subjects,
  type TimerCommand,
  type Timer__Output,
} from '@flowgate/contracts';
import {
  cancelExecutionTimers,
  cancelTimer,
  ensureDurableConsumer,
  ensureStreams,
  grpc,
  scheduledMessageId,
  scheduleMessage,
  scheduleTimer,
  SCHEDULER_HEADER,
} from '@flowgate/kit';
import { startNats, type LocalServer } from '../../scripts/local-servers';
import { sleep, Stack } from '../support/stack';

/**
 * Timers as JetStream message schedules (ADR 0013), against the real nats-server: the commands
 * stream gains its schedule subject space in place; a scheduled timer command reaches the executor's
 * consumer once, when due; a cancelled one never does; the same timer set twice fires once; a
 * schedule survives a server restart. Tolerances are generous: this checks correctness, not speed.
 */
const EARLY_TOLERANCE_MS = 50;
const LATE_TOLERANCE_MS = 5_000;
const CONSUMER = 'execution';

interface Arrival {
  subject: string;
  command: TimerCommand;
  msgId: string | undefined;
  scheduler: string | undefined;
  at: number;
}

/** Subjects of a prefix of its own, its streams set up as the services do, plus the executor's consumer. */
async function setUp(jsm: JetStreamManager, prefix: string): Promise<Subjects> {
  const subjects = createSubjects(prefix);
  await ensureStreams(jsm, subjects);
  await ensureDurableConsumer(jsm, {
    stream: subjects.commandsStream,
    durable: CONSUMER,
    filterSubjects: [subjects.commandsAll],
    ackWaitMs: 30_000,
    maxDeliver: 10,
  });
  return subjects;
}

async function tearDown(jsm: JetStreamManager, subjects: Subjects): Promise<void> {
  for (const stream of [subjects.commandsStream, subjects.eventsStream]) await jsm.streams.delete(stream).catch(() => false);
}

/** Pulls what the executor's consumer receives (and acks it) until `untilMs` from now. */
async function collect(nc: NatsConnection, subjects: Subjects, untilMs: number): Promise<Arrival[]> {
  const consumer = await jetstream(nc).consumers.get(subjects.commandsStream, CONSUMER);
  const out: Arrival[] = [];
  const deadline = Date.now() + untilMs;
  while (Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: 100, expires: Math.max(1_000, Math.min(2_000, deadline - Date.now())) });
    for await (const msg of batch) {
      out.push({
        subject: msg.subject,
        command: msg.json<TimerCommand>(),
        msgId: scheduledMessageId(msg.headers),
        scheduler: msg.headers?.get(SCHEDULER_HEADER),
        at: Date.now(),
      });
      await msg.ackAck();
    }
  }
  return out;
}

function timer(executionId: string, slot: string, dueAt: Date): TimerCommand {
  return {
    type: 'timer',
    timer_id: `${executionId}:${slot}`,
    kind: slot === 'duration' ? 'duration_timeout' : 'delay',
    workspace_id: 'ws1',
    execution_id: executionId,
    due_at: dueAt.toISOString(),
  };
}

const pendingSchedules = async (jsm: JetStreamManager, subjects: Subjects): Promise<number> => {
  const info = await jsm.streams.info(subjects.commandsStream, { subjects_filter: subjects.schedulesAll });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
};

describe('message schedules (shared nats-server)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let subjects: Subjects;

  beforeAll(async () => {
    const url = process.env.FLOWGATE_TEST_NATS_URL;
    if (!url) throw new Error('FLOWGATE_TEST_NATS_URL is not set: run through jest');
    nc = await connect({ servers: url });
    jsm = await jetstreamManager(nc);
    subjects = await setUp(jsm, `tms${process.pid}`);
  });

  afterAll(async () => {
    await tearDown(jsm, subjects);
    await nc?.close();
  });

  it('adds the schedule subject space to an existing commands stream in place, keeping its consumer', async () => {
    const old = createSubjects(`tmsold${process.pid}`);
    // The stream as earlier versions created it.
    await jsm.streams.add({
      name: old.commandsStream,
      subjects: [old.commandsAll],
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(120_000),
    });
    await jsm.consumers.add(old.commandsStream, {
      durable_name: CONSUMER,
      ack_policy: AckPolicy.Explicit,
      filter_subjects: [old.commandsAll],
    });
    await jetstream(nc).publish(old.command('start', 'ws1'), '{}');
    try {
      await ensureStreams(jsm, old);
      const info = await jsm.streams.info(old.commandsStream);
      expect(info.config.allow_msg_schedules).toBe(true);
      expect(info.config.subjects).toEqual([old.commandsAll, old.schedulesAll]);
      expect(info.state.messages).toBe(1);
      expect((await jsm.consumers.info(old.commandsStream, CONSUMER)).num_pending).toBe(1);
      await ensureStreams(jsm, old); // idempotent
    } finally {
      await tearDown(jsm, old);
    }
  });

  it('delivers a timer scheduled 1 s ahead to the executor consumer once, when due', async () => {
    const due = new Date(Date.now() + 1_000);
    const command = timer('ex-once', 'duration', due);
    const { msgId } = await scheduleTimer(jetstream(nc), subjects, command);
    expect(msgId).toBe(`ex-once:duration:${command.due_at}`);
    expect(await pendingSchedules(jsm, subjects)).toBe(1);

    const arrivals = (await collect(nc, subjects, 3_500)).filter((a) => a.command.execution_id === 'ex-once');
    expect(arrivals).toHaveLength(1);
    const [arrival] = arrivals;
    expect(arrival?.subject).toBe(subjects.command('timer', 'ws1'));
    expect(arrival?.command).toEqual(command);
    expect(arrival?.msgId).toBe(msgId);
    expect(arrival?.scheduler).toBe(subjects.timerSchedule('ws1', command.timer_id));
    expect(arrival?.at).toBeGreaterThanOrEqual(due.getTime() - EARLY_TOLERANCE_MS);
    expect(arrival?.at).toBeLessThanOrEqual(due.getTime() + LATE_TOLERANCE_MS);
    expect(await pendingSchedules(jsm, subjects)).toBe(0);
  });

  it('never delivers a cancelled timer; cancelling twice or after nothing is pending reports false', async () => {
    const due = new Date(Date.now() + 1_000);
    const kept = timer('ex-cancel', 'wait:1', due);
    const cancelled = timer('ex-cancel', 'duration', due);
    await scheduleTimer(jetstream(nc), subjects, kept);
    await scheduleTimer(jetstream(nc), subjects, cancelled);
    expect(await cancelTimer(jsm, subjects, 'ws1', cancelled.timer_id)).toBe(true);
    expect(await cancelTimer(jsm, subjects, 'ws1', cancelled.timer_id)).toBe(false);

    const arrivals = (await collect(nc, subjects, 3_000)).filter((a) => a.command.execution_id === 'ex-cancel');
    expect(arrivals.map((a) => a.command.timer_id)).toEqual([kept.timer_id]);
    expect(await cancelTimer(jsm, subjects, 'ws1', kept.timer_id)).toBe(false);
  });

  it('cancels every timer of one execution in one call, and no other', async () => {
    const due = new Date(Date.now() + 1_000);
    const js = jetstream(nc);
    await scheduleTimer(js, subjects, timer('ex-end', 'duration', due));
    await scheduleTimer(js, subjects, timer('ex-end', 'wait:2', due));
    await scheduleTimer(js, subjects, timer('ex-end2', 'duration', due));
    expect(await cancelExecutionTimers(jsm, subjects, 'ws1', 'ex-end')).toBe(2);
    const arrivals = (await collect(nc, subjects, 3_000)).filter((a) => a.command.execution_id.startsWith('ex-end'));
    expect(arrivals.map((a) => a.command.timer_id)).toEqual(['ex-end2:duration']);
  });

  it('setting the same timer twice gives one; setting it again for later moves it', async () => {
    const js = jetstream(nc);
    const due = new Date(Date.now() + 1_000);
    const twice = timer('ex-twice', 'duration', due);
    await scheduleTimer(js, subjects, twice);
    await scheduleTimer(js, subjects, twice);
    const moved = timer('ex-moved', 'duration', due);
    await scheduleTimer(js, subjects, moved);
    const later = { ...moved, due_at: new Date(due.getTime() + 1_500).toISOString() };
    await scheduleTimer(js, subjects, later);
    expect(await pendingSchedules(jsm, subjects)).toBe(2);

    const arrivals = (await collect(nc, subjects, 4_500)).filter((a) => ['ex-twice', 'ex-moved'].includes(a.command.execution_id));
    expect(arrivals.filter((a) => a.command.execution_id === 'ex-twice')).toHaveLength(1);
    const movedArrivals = arrivals.filter((a) => a.command.execution_id === 'ex-moved');
    expect(movedArrivals.map((a) => a.command.due_at)).toEqual([later.due_at]);
    expect(movedArrivals[0]?.at).toBeGreaterThanOrEqual(Date.parse(later.due_at) - EARLY_TOLERANCE_MS);
  });

  it('a timer cancelled and set again for the same time still fires (no stale de-duplication)', async () => {
    const js = jetstream(nc);
    const command = timer('ex-again', 'duration', new Date(Date.now() + 1_000));
    await scheduleTimer(js, subjects, command);
    expect(await cancelTimer(jsm, subjects, 'ws1', command.timer_id)).toBe(true);
    await scheduleTimer(js, subjects, command);
    const arrivals = (await collect(nc, subjects, 3_000)).filter((a) => a.command.execution_id === 'ex-again');
    expect(arrivals).toHaveLength(1);
  });

  it('passes extra headers and a generic payload through to the target', async () => {
    const js = jetstream(nc);
    const due = new Date(Date.now() + 500);
    const payload: TimerCommand = timer('ex-generic', 'wait:9', due);
    await scheduleMessage(js, {
      scheduleSubject: `${subjects.prefix}.sched.custom.one`,
      targetSubject: subjects.command('timer', 'ws1'),
      at: due,
      payload: JSON.stringify(payload),
      msgId: 'custom-1',
      headers: { 'X-Kind': 'custom' },
    });
    const arrivals = (await collect(nc, subjects, 2_500)).filter((a) => a.command.execution_id === 'ex-generic');
    expect(arrivals.map((a) => a.msgId)).toEqual(['custom-1']);
  });
});

describe('message schedules across a nats-server restart', () => {
  let server: LocalServer | undefined;
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowgate-sched-restart-'));
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a schedule stored before the server stops fires once after it is back, even if it fell due while down', async () => {
    server = await startNats(dir);
    let nc = await connect({ servers: server.url });
    let jsm = await jetstreamManager(nc);
    const subjects = await setUp(jsm, 'tmsrestart');
    const dueDown = timer('ex-down', 'duration', new Date(Date.now() + 1_500));
    const dueAfter = timer('ex-after', 'duration', new Date(Date.now() + 6_000));
    await scheduleTimer(jetstream(nc), subjects, dueDown);
    await scheduleTimer(jetstream(nc), subjects, dueAfter);
    await nc.close();
    const port = server.port;
    await server.stop();
    await sleep(2_500); // the first one falls due while the server is down
    server = await startNats(dir, { port });
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    try {
      const arrivals = await collect(nc, subjects, 8_000);
      expect(arrivals.map((a) => a.command.execution_id).sort()).toEqual(['ex-after', 'ex-down']);
      const after = arrivals.find((a) => a.command.execution_id === 'ex-after');
      expect(after?.at).toBeGreaterThanOrEqual(Date.parse(dueAfter.due_at) - EARLY_TOLERANCE_MS);
      expect(after?.at).toBeLessThanOrEqual(Date.parse(dueAfter.due_at) + LATE_TOLERANCE_MS);
      expect(await pendingSchedules(jsm, subjects)).toBe(0);
    } finally {
      await nc.close();
    }
  });
});

/** A timer as earlier versions stored it (packages/store's TimerDoc). */
interface LegacyTimer {
  _id: string;
  workspace_id: string;
  execution_id: string;
  kind: TimerCommand['kind'];
  due_at: Date;
  status: 'pending';
  created_at: Date;
}

describe('the scheduler beside message schedules (an upgrade in progress)', () => {
  let stack: Stack;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let subjects: Subjects;
  let client: SchedulerServiceClient;

  beforeAll(async () => {
    stack = await Stack.start('message-schedules', { services: ['scheduler'] });
    nc = await connect({ servers: stack.natsUrl });
    jsm = await jetstreamManager(nc);
    subjects = await setUp(jsm, stack.prefix); // the streams as the scheduler made them, plus the executor's consumer
    client = new (loadSchedulerProto().flowgate.v1.SchedulerService)(
      `127.0.0.1:${stack.ports.schedulerGrpc}`,
      grpc.credentials.createInsecure(),
    );
  });

  afterAll(async () => {
    client?.close();
    await nc?.close();
    await stack?.stop();
  });

  const listTimers = (executionId = '') =>
    new Promise<Timer__Output[]>((resolve, reject) =>
      client.ListTimers({ workspaceId: 'ws1', executionId, limit: 100 }, (err, res) =>
        err || !res ? reject(err ?? new Error('no response')) : resolve(res.timers),
      ),
    );

  it('fires what remains in the timers collection and the message schedules alike, to the same command subject', async () => {
    const info = await jsm.streams.info(subjects.commandsStream);
    expect(info.config.allow_msg_schedules).toBe(true);
    const due = new Date(Date.now() + 1_500);
    await (await stack.db()).collection<LegacyTimer>('timers').insertOne({
      _id: 'ex-legacy:wait:1',
      workspace_id: 'ws1',
      execution_id: 'ex-legacy',
      kind: 'delay',
      due_at: due,
      status: 'pending',
      created_at: new Date(),
    });
    await scheduleTimer(jetstream(nc), subjects, timer('ex-new', 'wait:1', due));
    const arrivals = (await collect(nc, subjects, 5_000)).filter((a) => ['ex-legacy', 'ex-new'].includes(a.command.execution_id));
    expect(arrivals.map((a) => a.command.timer_id).sort()).toEqual(['ex-legacy:wait:1', 'ex-new:wait:1']);
    for (const a of arrivals) {
      expect(a.subject).toBe(subjects.command('timer', 'ws1'));
      expect(a.at).toBeGreaterThanOrEqual(due.getTime() - EARLY_TOLERANCE_MS);
    }
  });

  it('ListTimers shows pending timers from both places, sorted by due time', async () => {
    const soon = new Date(Date.now() + 3_600_000);
    await (await stack.db()).collection<LegacyTimer>('timers').insertOne({
      _id: 'ex-list:duration',
      workspace_id: 'ws1',
      execution_id: 'ex-list',
      kind: 'duration_timeout',
      due_at: new Date(soon.getTime() + 1_000),
      status: 'pending',
      created_at: new Date(),
    });
    const js = jetstream(nc);
    await scheduleTimer(js, subjects, timer('ex-list', 'wait:2', soon));
    await scheduleTimer(js, subjects, timer('ex-list', 'wait:3', new Date(soon.getTime() + 2_000)));
    await scheduleTimer(js, subjects, timer('ex-other', 'duration', new Date(soon.getTime() + 500)));

    const ofExecution = await listTimers('ex-list');
    expect(ofExecution.map((t) => [t.id, t.kind, t.status])).toEqual([
      ['ex-list:wait:2', 'delay', 'pending'],
      ['ex-list:duration', 'duration_timeout', 'pending'],
      ['ex-list:wait:3', 'delay', 'pending'],
    ]);
    expect(ofExecution[0]?.dueAt).toBe(soon.toISOString());
    expect((await listTimers()).map((t) => t.id)).toEqual(['ex-list:wait:2', 'ex-other:duration', 'ex-list:duration', 'ex-list:wait:3']);

    expect(await cancelExecutionTimers(jsm, subjects, 'ws1', 'ex-list')).toBe(2);
    expect((await listTimers('ex-list')).map((t) => t.id)).toEqual(['ex-list:duration']);
  });
});

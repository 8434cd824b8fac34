import { createSubjects } from '@flowgate/contracts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStreams, natsReady, publishJsonWithin } from '../src';

/** Readiness asks JetStream (the commands stream's leader), not just the connection; kept a moment. */
describe('NATS readiness and the publish that answers accepted or not', () => {
  let nc: NatsConnection;
  const subjects = createSubjects(`fgtready${process.pid}`);

  beforeAll(async () => {
    nc = await connect({ servers: String(process.env.FLOWGATE_TEST_NATS_URL).split(',') });
  });

  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(subjects.commandsStream).catch(() => undefined);
    await jsm.streams.delete(subjects.eventsStream).catch(() => undefined);
    await nc.close();
  });

  it('is ready only while the stream answers, and keeps an answer for the cache time', async () => {
    let clock = 0;
    const ready = natsReady(nc, subjects.commandsStream, { cacheMs: 1_000, now: () => clock });
    // The stream does not exist yet: JetStream cannot take a command.
    expect(await ready()).toBe(false);
    await ensureStreams(await jetstreamManager(nc), subjects);
    expect(await ready()).toBe(false);
    clock += 1_001;
    expect(await ready()).toBe(true);
    await (await jetstreamManager(nc)).streams.delete(subjects.commandsStream);
    clock += 500;
    expect(await ready()).toBe(true);
    clock += 501;
    expect(await ready()).toBe(false);
    await ensureStreams(await jetstreamManager(nc), subjects);
    clock += 1_001;
    const concurrent = await Promise.all([ready(), ready(), ready()]);
    expect(concurrent).toEqual([true, true, true]);
  });

  it('publishes again under the same message id until the budget is spent: a stored first publish is a duplicate, not a failure', async () => {
    await ensureStreams(await jetstreamManager(nc), subjects);
    const js = jetstream(nc);
    const subject = subjects.command('start', 'default');
    const first = await publishJsonWithin(js, subject, { n: 1 }, 'ready-msg-1', 2_000);
    expect(first).toMatchObject({ duplicate: false, attempts: 1 });
    expect(await publishJsonWithin(js, subject, { n: 1 }, 'ready-msg-1', 2_000)).toMatchObject({ duplicate: true, seq: first.seq });
    // No stream takes the subject: every attempt fails until the budget is gone, then the error is thrown.
    const started = Date.now();
    await expect(
      publishJsonWithin(js, `nostream${process.pid}.none`, {}, 'ready-msg-2', 1_200, { attemptMs: 200, pauseMs: 100 }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });
});

import { createSubjects } from '@flowgate/contracts';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { checkPlacement, ensureStreams, openKv, urlSetsOption } from '../src';
import { placementError } from '../src/nats-placement';

describe('NATS placement settings', () => {
  it('refuses more than one replica on a server that is not clustered, naming the variable', () => {
    expect(checkPlacement({ replicas: 1, storage: 'file' }, {})).toEqual({ replicas: 1, storage: 'file' });
    expect(checkPlacement({ replicas: 3, storage: 'file' }, { cluster: 'c1' })).toEqual({ replicas: 3, storage: 'file' });
    expect(() => checkPlacement({ replicas: 3, storage: 'file' }, {})).toThrow(/FLOWGATE_NATS_REPLICAS=3 needs a NATS cluster/);
    expect(() => checkPlacement({ replicas: 3, storage: 'file' }, undefined)).toThrow(/not clustered/);
  });

  it("turns JetStream's placement refusals into errors that name FLOWGATE_NATS_REPLICAS", () => {
    const three = { replicas: 3, storage: 'file' as const };
    expect(placementError('stream S', three, new Error('insufficient resources')).message).toMatch(
      /stream S: FLOWGATE_NATS_REPLICAS=3 is more than the NATS cluster can place \(insufficient resources\)/,
    );
    const other = new Error('something else');
    expect(placementError('stream S', three, other)).toBe(other);
    expect(placementError('stream S', { replicas: 1, storage: 'file' }, new Error('insufficient resources')).message).toBe(
      'insufficient resources',
    );
  });

  it("honours the connection string's own options", () => {
    expect(urlSetsOption('mongodb://a:1,b:2/db?replicaSet=rs0&retryWrites=true&w=majority', 'retryWrites')).toBe(true);
    expect(urlSetsOption('mongodb://a/db?RETRYWRITES=false', 'retryWrites')).toBe(true);
    expect(urlSetsOption('mongodb://a/db?w=majority', 'retryWrites')).toBe(false);
    expect(urlSetsOption('mongodb://a/db', 'retryWrites')).toBe(false);
  });

  describe('against the test nats-server (one node)', () => {
    let nc: NatsConnection;
    beforeAll(async () => {
      nc = await connect({ servers: process.env.FLOWGATE_TEST_NATS_URL });
    });
    afterAll(async () => {
      await nc?.close();
    });

    it('opens one bucket created by two services at once with different TTLs (the loser opens the one created)', async () => {
      const bucket = `race${Date.now()}`;
      const jsm = await jetstreamManager(nc);
      try {
        const opened = await Promise.all([openKv(nc, bucket, { ttlMs: 15_000 }), openKv(nc, bucket, { ttlMs: 3_000 })]);
        expect(opened).toHaveLength(2);
      } finally {
        await jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
      }
    });

    it('creates streams and buckets with the storage asked for, and refuses to switch an existing one', async () => {
      const prefix = `placement${Date.now()}`;
      const subjects = createSubjects(prefix);
      const jsm = await jetstreamManager(nc);
      try {
        await ensureStreams(jsm, subjects, { replicas: 1, storage: 'memory' });
        expect((await jsm.streams.info(subjects.commandsStream)).config.storage).toBe('memory');
        await expect(ensureStreams(jsm, subjects, { replicas: 1, storage: 'file' })).rejects.toThrow(
          /is stored as memory but FLOWGATE_NATS_STORAGE=file/,
        );
        await openKv(nc, `${prefix}_KV`, { placement: { replicas: 1, storage: 'memory' } });
        expect((await jsm.streams.info(`KV_${prefix}_KV`)).config.storage).toBe('memory');
        await expect(openKv(nc, `${prefix}_KV`, { placement: { replicas: 1, storage: 'file' } })).rejects.toThrow(
          /KV bucket .* is stored as memory but FLOWGATE_NATS_STORAGE=file/,
        );
        // Three replicas on one server: JetStream refuses, and the error says which setting.
        await expect(openKv(nc, `${prefix}_R3`, { placement: { replicas: 3, storage: 'file' } })).rejects.toThrow(
          /FLOWGATE_NATS_REPLICAS=3/,
        );
      } finally {
        for (const name of [subjects.commandsStream, subjects.eventsStream, `KV_${prefix}_KV`])
          await jsm.streams.delete(name).catch(() => undefined);
      }
    });
  });
});

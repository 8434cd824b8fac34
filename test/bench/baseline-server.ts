import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import express from 'express';
import { createSubjects } from '@flowgate/contracts';
import { ensureStreams, jetStreamClients, publishJson } from '@flowgate/kit';
import { runChild, serveAsChild } from './child-server';

/**
 * The benchmark's baseline, run as its own process by baseline-process.ts: the least an accepting
 * webhook endpoint can do with the same durability promise as Flowgate's ingress. A bare express
 * handler parses the small JSON body, publishes one message to a JetStream work-queue stream created
 * exactly like Flowgate's command stream (`ensureStreams` with the `benchbase` prefix), waits for the
 * ack and answers 202. Nothing consumes the messages.
 *
 * Input: BENCH_NATS_URL. Output: `{ type: 'ready', port }` over the IPC channel once listening.
 * Stops on SIGTERM / SIGINT or when the parent goes away, deleting its streams on the way out.
 */
async function main(): Promise<void> {
  const natsUrl = process.env.BENCH_NATS_URL;
  if (!natsUrl) throw new Error('BENCH_NATS_URL is not set');
  const subjects = createSubjects('benchbase');
  const nc = await connect({ servers: natsUrl, name: 'flowgate-bench-baseline' });
  const { js, jsm } = await jetStreamClients(nc);
  await ensureStreams(jsm, subjects);
  const subject = subjects.command('start', 'bench');

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.post('/', async (req, res) => {
    const id = randomUUID();
    try {
      await publishJson(js, subject, { type: 'start', execution_id: id, accepted_at: new Date().toISOString(), body: req.body }, id);
    } catch (err) {
      res.status(503).json({ error: { code: 'dependency_unavailable', message: (err as Error).message } });
      return;
    }
    res.status(202).json({ execution_id: id, status: 'queued' });
  });

  const server = createServer(app);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  serveAsChild('baseline-server.ts', port, async () => {
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
    for (const stream of [subjects.commandsStream, subjects.eventsStream]) await jsm.streams.delete(stream).catch(() => false);
    await nc.drain().catch(() => undefined);
  });
}

runChild('baseline server', main);

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import express from 'express';
import { MongoClient } from 'mongodb';
import { request } from 'undici';
import { createSubjects } from '@flowgate/contracts';
import { ensureDurableConsumer, ensureStreams, jetStreamClients, publishJson, type JsMsg } from '@flowgate/kit';
import { runChild, serveAsChild } from './child-server';

/**
 * The bare durable pipeline, run as its own process by baseline-process.ts: the least a durable
 * one-step http workflow engine can do on these servers, the ceiling for Flowgate's end-to-end work.
 *
 * - Accept: `POST /<name>` publishes one message to a JetStream work-queue stream (created exactly like
 *   Flowgate's command stream: `ensureStreams` with the `benchdur` prefix), waits for the ack and
 *   answers 202 with the execution id.
 * - Execute: one durable pull consumer; per message the same HTTP POST to the same downstream the
 *   1-step http scenario's step makes (undici, like Flowgate's http step), then one result document
 *   for MongoDB, written in batches (insertMany, flushed after FLUSH_MS or FLUSH_DOCS documents, one
 *   flush at a time: a group commit). Each message is acked only after its batch is written; then a
 *   terminal event is published on the events subject the bench's closed loop listens to.
 *
 * Input: BENCH_NATS_URL, BENCH_MONGO_URL (its own database), BENCH_DOWNSTREAM_URL. Output: `{ type:
 * 'ready', port }` over the IPC channel. Stops on SIGTERM / SIGINT or when the parent goes away.
 */
const PREFIX = 'benchdur';
const FLUSH_MS = 5;
const FLUSH_DOCS = 64;
const MAX_IN_FLIGHT = 256;

interface Command {
  execution_id: string;
  name: string;
  accepted_at: string;
  body: { order_id?: string };
}

interface ResultDoc {
  _id: string;
  name: string;
  status: 'succeeded' | 'failed';
  output_json: string;
  created_at: Date;
  finished_at: Date;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const downstream = required('BENCH_DOWNSTREAM_URL');
  const subjects = createSubjects(PREFIX);
  const nc = await connect({ servers: required('BENCH_NATS_URL'), name: 'flowgate-bench-durable' });
  const { js, jsm } = await jetStreamClients(nc);
  await ensureStreams(jsm, subjects);
  const mongo = await new MongoClient(required('BENCH_MONGO_URL'), { retryWrites: false }).connect();
  const results = mongo.db().collection<ResultDoc>('results');
  const startSubject = subjects.command('start', 'bench');
  const doneSubject = subjects.executionEvent('bench', 'succeeded');

  // Accept.
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1mb' }));
  app.post('/:name', async (req, res) => {
    const id = randomUUID();
    const command: Command = { execution_id: id, name: String(req.params.name), accepted_at: new Date().toISOString(), body: req.body };
    try {
      await publishJson(js, startSubject, command, id);
    } catch (err) {
      res.status(503).json({ error: { code: 'dependency_unavailable', message: (err as Error).message } });
      return;
    }
    res.status(202).json({ execution_id: id, status: 'queued' });
  });

  // Execute, with a group commit of the results.
  const durable = 'bare';
  await ensureDurableConsumer(jsm, {
    stream: subjects.commandsStream,
    durable,
    filterSubjects: [subjects.commandsAll],
    ackWaitMs: 30_000,
    maxDeliver: 10,
    maxAckPending: MAX_IN_FLIGHT,
  });
  let pending: { doc: ResultDoc; msg: JsMsg }[] = [];
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flush = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      const at = new Date();
      for (const p of batch) p.doc.finished_at = at;
      try {
        await results.insertMany(
          batch.map((p) => p.doc),
          { ordered: false },
        );
      } catch (err) {
        // A duplicate (a redelivery of a written one) is written already; anything else goes again.
        const written = (err as { code?: number }).code === 11000;
        for (const p of batch) if (!written) p.msg.nak(1_000);
        if (!written) continue;
      }
      for (const p of batch) {
        p.msg.ack();
        nc.publish(doneSubject, JSON.stringify({ execution_id: p.doc._id, status: p.doc.status }));
      }
    }
  };
  // One flush at a time; documents that arrive meanwhile go in the next one, right after it.
  const startFlush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    flushing = flush().finally(() => {
      flushing = null;
      if (pending.length > 0) schedule();
    });
  };
  const schedule = () => {
    if (flushing) return;
    if (pending.length >= FLUSH_DOCS) startFlush();
    else timer ??= setTimeout(startFlush, FLUSH_MS);
  };
  const execute = async (msg: JsMsg): Promise<void> => {
    const command = msg.json<Command>();
    let status: ResultDoc['status'] = 'succeeded';
    let output = '';
    try {
      const res = await request(`${downstream}/${command.name}/s1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ order: command.body.order_id ?? '' }),
      });
      output = await res.body.text();
      if (res.statusCode >= 300) status = 'failed';
    } catch (err) {
      status = 'failed';
      output = JSON.stringify({ error: (err as Error).message });
    }
    const doc: ResultDoc = {
      _id: command.execution_id,
      name: command.name,
      status,
      output_json: output,
      created_at: new Date(command.accepted_at),
      finished_at: new Date(),
    };
    pending.push({ doc, msg });
    schedule();
  };
  const consumer = await js.consumers.get(subjects.commandsStream, durable);
  const messages = await consumer.consume({ max_messages: MAX_IN_FLIGHT });
  void (async () => {
    for await (const msg of messages) void execute(msg);
  })();

  const server = createServer(app);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  serveAsChild('durable-server.ts', port, async () => {
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
    await messages.close().catch(() => undefined);
    await flushing;
    for (const stream of [subjects.commandsStream, subjects.eventsStream]) await jsm.streams.delete(stream).catch(() => false);
    await nc.drain().catch(() => undefined);
    await mongo.close().catch(() => undefined);
  });
}

runChild('durable pipeline', main);

import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startBaselineServer } from './baseline-process';
import { peakRssMb } from './resources';
import { closedLoop, pipelineFigures, TerminalEvents, type PipelineFigures } from './e2e';

/**
 * The bare durable pipeline scenario (durable-server.ts in its own process): the same closed loop,
 * concurrency and duration as the 1-step http e2e scenario, on the same servers and downstream, in a
 * database of its own (dropped afterwards). Its executions/s is the ceiling Flowgate's 1-step figure
 * is a ratio to.
 */
export async function runDurableBaseline(opts: {
  natsUrl: string;
  mongoUrl: string;
  downstreamUrl: string;
  logFile: string;
  concurrency: number;
  durationS: number;
  warmupExecutions: number;
  executionTimeoutMs: number;
  log: (line: string) => void;
}): Promise<PipelineFigures & { peak_rss_mb: number | null }> {
  const url = new URL(opts.mongoUrl);
  url.pathname = `/bench_durable_${randomBytes(4).toString('hex')}`;
  const server = await startBaselineServer(opts.natsUrl, opts.logFile, 30_000, {
    script: 'durable-server.ts',
    env: { BENCH_MONGO_URL: url.toString(), BENCH_DOWNSTREAM_URL: opts.downstreamUrl },
  });
  const events = await TerminalEvents.open(opts.natsUrl, 'benchdur');
  const mongo = await new MongoClient(url.toString()).connect();
  try {
    if (opts.warmupExecutions > 0) {
      const warm = await closedLoop({
        events,
        url: `${server.url}warm1`,
        concurrency: Math.min(opts.concurrency, opts.warmupExecutions),
        amount: opts.warmupExecutions,
        executionTimeoutMs: opts.executionTimeoutMs,
      });
      if (warm.lost > 0 || warm.rejected > 0) throw new Error(`bare durable pipeline warm-up: ${JSON.stringify(warm)}`);
    }
    const startedAt = new Date();
    const loop = await closedLoop({
      events,
      url: `${server.url}http1`,
      concurrency: opts.concurrency,
      durationS: opts.durationS,
      executionTimeoutMs: opts.executionTimeoutMs,
    });
    const loadS = (Date.now() - startedAt.getTime()) / 1000;
    const docs = await mongo.db().collection('results').find({ name: 'http1' }).toArray();
    const figures = pipelineFigures({ scenario: 'bare durable pipeline', concurrency: opts.concurrency, loadS, startedAt }, loop, docs);
    opts.log(
      `bare durable pipeline: ${figures.executions_per_s} executions/s, p50 ${figures.latency_ms.p50} ms, p99 ${figures.latency_ms.p99} ms`,
    );
    return { ...figures, peak_rss_mb: peakRssMb(server.pid ?? null) };
  } finally {
    await events.close();
    await server.stop();
    await mongo
      .db()
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
  }
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from 'mongodb';
import { startNats, type LocalServer } from '../../scripts/local-servers';
import { request, Stack, type ServiceName } from '../support/stack';
import { waitForCompletion, type Completion } from './completion';
import { httpStepsWorkflow, runScenario, type E2eFigures } from './e2e';
import { round, runLoad, warmUp, type LoadFigures } from './load';
import { pidCpuSeconds } from './process-cpu';
import type { Teardown } from './teardown';

/**
 * What a 202 costs to make power-loss proof (issue "Beyond one machine"): the async accept scenario
 * (a one-transform workflow, autocannon for the accept duration, the executor running what is
 * accepted) and the 1-step http e2e, each on a fresh Flowgate of ingress + execution, against a
 * fresh nats-server of nats-server's default (JetStream writes each message to its file before the
 * ack, fsyncs in the background every 2 minutes) and then against one started with
 * `jetstream { sync_interval: always }` (an fsync of every write before the ack). Both servers are
 * new and alike but for that line, on the same disk, beside the same FerretDB: the ratio always ÷
 * default is the price of the stronger promise. The filesystem of the store is reported (on tmpfs
 * an fsync costs nothing and the ratio says nothing).
 */
export interface SyncSide {
  sync_interval: 'default' | 'always';
  /** What nats-server reports in /varz (jetstream.config.sync_always). */
  server_sync_always: boolean | null;
  accept: LoadFigures & { end_to_end: Completion; nats_cpu_ms_per_webhook: number | null };
  e2e: (E2eFigures & { nats_cpu_ms_per_execution: number | null }) | null;
}

export interface SyncAlwaysFigures {
  /** Filesystem type of the JetStream store directory (ext4, xfs, tmpfs, overlay …). */
  store_fs: string | null;
  default: SyncSide;
  always: SyncSide;
  /** always ÷ default accepted/s. */
  ratio_accepted_per_s: number | null;
  /** always ÷ default 1-step executions/s. */
  ratio_e2e_executions_per_s: number | null;
}

export interface SyncAlwaysOptions {
  dataDir: string;
  env: Partial<Record<ServiceName, Record<string, string>>>;
  downstreamUrl: string | null;
  body: string;
  connections: number;
  durationS: number;
  warmupRequests: number;
  /** 0: no e2e part. */
  e2eDurationS: number;
  e2eConcurrency: number;
  e2eWarmup: number;
  drainTimeoutMs: number;
  teardown: Teardown;
  log: (line: string) => void;
}

const SERVICES: ServiceName[] = ['ingress', 'execution'];
const TRANSFORM = { max_concurrent_executions: 0, steps: [{ id: 't', type: 'transform', expression: '{"ok": true}' }] };

/** The filesystem type of the mount a path is on (the longest mount point it starts with). */
export function filesystemOf(path: string): string | null {
  try {
    let best: { point: string; type: string } | null = null;
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, point, type] = line.split(' ');
      if (!point || !type) continue;
      const inside = path === point || path.startsWith(point.endsWith('/') ? point : `${point}/`);
      if (inside && (!best || point.length > best.point.length)) best = { point, type };
    }
    return best?.type ?? null;
  } catch {
    return null;
  }
}

async function serverSyncAlways(nats: LocalServer): Promise<boolean | null> {
  if (!nats.monitorUrl) return null;
  const varz = (await request<{ jetstream?: { config?: { sync_always?: boolean } } }>(`${nats.monitorUrl}/varz`)).body;
  return varz.jetstream?.config?.sync_always === true;
}

async function runSide(opts: SyncAlwaysOptions, mode: SyncSide['sync_interval']): Promise<SyncSide> {
  const nats = await startNats(join(opts.dataDir, `nats-sync-${mode}`), mode === 'always' ? { syncInterval: 'always' } : {});
  opts.teardown.add(`stop nats-server (sync ${mode})`, () => nats.stop());
  try {
    const serverSync = await serverSyncAlways(nats);
    /** A fresh Flowgate (ingress + execution) on this nats-server, stopped once whatever happens. */
    const fresh = async (name: string): Promise<{ stack: Stack; db: Db; stop: () => Promise<void> }> => {
      const stack = await Stack.start(name, { services: [], env: opts.env, natsUrl: nats.url });
      let stopping: Promise<void> | undefined;
      const stop = () => (stopping ??= stack.stop());
      opts.teardown.add(`stop flowgate ${name}`, stop);
      for (const s of SERVICES) await stack.startService(s);
      return { stack, db: await stack.db(), stop };
    };
    const natsCpu = () => pidCpuSeconds(nats.process.pid);
    const perUnit = (before: number | null, after: number | null, units: number) =>
      before === null || after === null || units === 0 ? null : round(((after - before) * 1000) / units, 3);

    // Accept.
    const acceptFlowgate = await fresh(`bench-sync-${mode}-accept`);
    let accept: SyncSide['accept'];
    try {
      const measured = await acceptFlowgate.stack.deploy({ name: `sync-${mode}-accept`, ...TRANSFORM });
      const warm = await acceptFlowgate.stack.deploy({ name: `sync-${mode}-warm`, ...TRANSFORM });
      await warmUp(warm.async, opts.body, opts.warmupRequests, opts.connections);
      opts.log(`sync ${mode}: accept, ${opts.durationS} s × ${opts.connections} connections …`);
      const before = natsCpu();
      const load = await runLoad({
        target: `flowgate async, sync_interval ${mode}`,
        url: measured.async,
        body: opts.body,
        connections: opts.connections,
        durationS: opts.durationS,
      });
      const after = natsCpu();
      const endToEnd = await waitForCompletion(acceptFlowgate.db, {
        workflowId: measured.id,
        accepted: load.accepted,
        loadStartedAt: new Date(load.started_at),
        loadFinishedAt: new Date(load.finished_at),
        timeoutMs: opts.drainTimeoutMs,
      });
      accept = { ...load, end_to_end: endToEnd, nats_cpu_ms_per_webhook: perUnit(before, after, load.accepted) };
      opts.log(`sync ${mode}: ${load.accepted_per_s} accepted/s, p50 ${load.latency_ms.p50} ms, p99 ${load.latency_ms.p99} ms`);
    } finally {
      await acceptFlowgate.stop();
    }

    // 1-step http e2e.
    let e2e: SyncSide['e2e'] = null;
    if (opts.e2eDurationS > 0 && opts.downstreamUrl) {
      const e2eFlowgate = await fresh(`bench-sync-${mode}-e2e`);
      try {
        const workflow = await e2eFlowgate.stack.deploy(httpStepsWorkflow(`sync${mode}1`, 1, opts.downstreamUrl));
        const warmup = await e2eFlowgate.stack.deploy(httpStepsWorkflow(`sync${mode}warm1`, 1, opts.downstreamUrl));
        let before: number | null = null;
        const figures = await runScenario({
          stack: e2eFlowgate.stack,
          db: e2eFlowgate.db,
          scenario: `1-step http, sync_interval ${mode}`,
          workflow,
          warmup,
          steps: 1,
          concurrency: opts.e2eConcurrency,
          durationS: opts.e2eDurationS,
          warmupExecutions: opts.e2eWarmup,
          executionTimeoutMs: opts.drainTimeoutMs,
          meter: null,
          beforeMeasure: () => {
            before = natsCpu();
            return Promise.resolve();
          },
          log: opts.log,
        });
        e2e = { ...figures, nats_cpu_ms_per_execution: perUnit(before, natsCpu(), figures.completed) };
      } finally {
        await e2eFlowgate.stop();
      }
    }
    return { sync_interval: mode, server_sync_always: serverSync, accept, e2e };
  } finally {
    await nats.stop();
  }
}

export async function runSyncAlways(opts: SyncAlwaysOptions): Promise<SyncAlwaysFigures> {
  const storeFs = filesystemOf(opts.dataDir);
  if (storeFs === 'tmpfs') opts.log(`sync_interval: the store is on tmpfs (${opts.dataDir}): an fsync costs nothing there`);
  const side = await runSide(opts, 'default');
  const always = await runSide(opts, 'always');
  const ratio = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined && y > 0 ? round(x / y, 3) : null);
  return {
    store_fs: storeFs,
    default: side,
    always,
    ratio_accepted_per_s: ratio(always.accept.accepted_per_s, side.accept.accepted_per_s),
    ratio_e2e_executions_per_s: ratio(always.e2e?.executions_per_s, side.e2e?.executions_per_s),
  };
}

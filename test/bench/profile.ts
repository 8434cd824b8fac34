import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, startNats } from '../../scripts/local-servers';
import { Stack, type ServiceName } from '../support/stack';
import { httpStepsWorkflow, runScenario, startDownstream } from './e2e';
import { runLoad, warmUp } from './load';
import { intEnv } from './env';
import { statCpuSeconds } from './process-cpu';
import { stackPeakRss } from './resources';

/**
 * `pnpm bench:profile`: one e2e scenario (BENCH_PROFILE_STEPS http steps, 1 by default) on a fresh
 * ingress + execution whose processes run under `--cpu-prof`, or with BENCH_PROFILE_SCENARIO=accept
 * the async accept scenario (a one-transform workflow, BENCH_CONNECTIONS autocannon connections for
 * BENCH_E2E_DURATION_S, the executor running what is accepted); the .cpuprofile files land in
 * BENCH_PROFILE_DIR (.test-results/profiles; BENCH_PROFILE_CPU=0: no profiler). It also prints the CPU
 * time every process on the machine spent per execution during the measured part (/proc), so the
 * share of nats-server, FerretDB, the services and the load generator is visible. Open the profiles in
 * Chrome DevTools or speedscope. A tool for finding where the hot path spends CPU, not a figure:
 * `pnpm bench` measures.
 */
/** utime + stime (s) and command of every process now. */
function processCpu(): Map<number, { name: string; cpuS: number }> {
  const out = new Map<number, { name: string; cpuS: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const name = cmd.find((a) => /dist\/\w+\.js$|nats-server|ferretdb|profile\.ts/.test(a)) ?? cmd[0] ?? '?';
      out.set(Number(entry), { name: name.split('/').pop() ?? name, cpuS: statCpuSeconds(stat) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const steps = intEnv('BENCH_PROFILE_STEPS', 1, 1);
  const durationS = intEnv('BENCH_E2E_DURATION_S', 20, 1);
  const outDir = process.env.BENCH_PROFILE_DIR || join(process.cwd(), '.test-results', 'profiles');
  mkdirSync(outDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'flowgate-profile-'));
  const nats = await startNats(join(dataDir, 'nats'));
  const mongo = await startFerretDb(join(dataDir, 'ferretdb'));
  process.env.FLOWGATE_TEST_NATS_URL = nats.url;
  process.env.FLOWGATE_TEST_MONGO_URL = mongo.url;
  process.env.FLOWGATE_TEST_DATA_DIR = dataDir;
  const services: ServiceName[] = ['ingress', 'execution'];
  if (process.env.BENCH_PROFILE_CPU !== '0')
    process.env.FLOWGATE_TEST_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${outDir} ${process.env.FLOWGATE_TEST_NODE_ARGS ?? ''}`;
  const env = Object.fromEntries(services.map((s) => [s, { LOG_LEVEL: 'info' }]));
  const stack = await Stack.start('bench-profile', { services: [], env });
  const downstream = await startDownstream();
  try {
    for (const s of services) await stack.startService(s);
    const db = await stack.db();
    let before = processCpu();
    let completed: number;
    if (process.env.BENCH_PROFILE_SCENARIO === 'accept') {
      const transform = { max_concurrent_executions: 0, steps: [{ id: 't', type: 'transform', expression: '{"ok": true}' }] };
      const workflow = await stack.deploy({ name: 'accept', ...transform });
      const body = JSON.stringify({ event: 'order.created', order_id: 'B-1001', amount: 42.5 });
      const connections = intEnv('BENCH_CONNECTIONS', 32, 1);
      await warmUp(workflow.async, body, 200, connections);
      before = processCpu();
      const figures = await runLoad({ target: 'accept (profiled)', url: workflow.async, body, connections, durationS });
      completed = figures.accepted;
      log(`accept (profiled): ${figures.accepted_per_s} accepted/s, p50 ${figures.latency_ms.p50} ms`);
    } else {
      const workflow = await stack.deploy(httpStepsWorkflow(`http${steps}`, steps, downstream.url));
      const warmup = await stack.deploy(httpStepsWorkflow(`warm${steps}`, steps, downstream.url));
      const figures = await runScenario({
        stack,
        db,
        scenario: `${steps}-step http (profiled)`,
        workflow,
        warmup,
        steps,
        concurrency: intEnv('BENCH_E2E_CONCURRENCY', 16, 1),
        durationS,
        warmupExecutions: 20,
        executionTimeoutMs: 60_000,
        meter: null,
        beforeMeasure: () => {
          before = processCpu();
          return Promise.resolve();
        },
        log,
      });
      completed = figures.completed;
    }
    const after = processCpu();
    const byName = new Map<string, number>();
    for (const [pid, p] of after) byName.set(p.name, (byName.get(p.name) ?? 0) + p.cpuS - (before.get(pid)?.cpuS ?? 0));
    for (const [name, cpuS] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8))
      log(`  ${name}: ${((cpuS * 1000) / Math.max(1, completed)).toFixed(2)} ms CPU per execution`);
    log(`  peak RSS (MB): ${JSON.stringify(stackPeakRss(stack, services))}`);
    log(`${completed} executions; profiles in ${outDir}`);
  } finally {
    for (const s of services) await stack.stopService(s);
    await stack.stop();
    await downstream.stop();
    await nats.stop();
    await mongo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});

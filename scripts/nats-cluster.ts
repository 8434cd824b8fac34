import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { binary, freePort, launch, waitForPort } from './local-servers';

/**
 * A NATS cluster on this machine, for the cluster tests (ADR 0024): `nodes` pinned nats-server
 * processes on loopback, each with its own client, route and monitoring port and its own JetStream
 * store, joined by a `cluster { routes }` block. A node can be SIGKILLed and restarted with the same
 * configuration and data, as a machine of a real cluster would come back.
 */
export interface ClusterNode {
  /** The server name JetStream reports as a stream's leader (n1, n2, …). */
  name: string;
  port: number;
  url: string;
  monitorUrl: string;
  configFile: string;
  process: ChildProcess | undefined;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  url: string;
  isRunning(index: number): boolean;
  /** SIGKILLs a node; resolves once the process is gone. */
  kill(index: number): Promise<void>;
  /** Starts a killed node again with its configuration and data; resolves when it listens. */
  restart(index: number): Promise<void>;
  /** The index of the node leading a stream (a KV bucket's stream is `KV_<bucket>`), once there is one. */
  leaderOf(stream: string, timeoutMs?: number): Promise<number>;
  /** Until JetStream answers (a meta leader is elected) through the running nodes. */
  waitForJetStream(timeoutMs?: number): Promise<void>;
  /** A client connection to the running nodes (closed by `stop`). */
  client(): Promise<NatsConnection>;
  stop(): Promise<void>;
}

const CLUSTER_NAME = 'flowgate-test';

export async function startNatsCluster(dir: string, opts: { nodes?: number } = {}): Promise<NatsCluster> {
  const count = opts.nodes ?? 3;
  const routePorts: number[] = [];
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < count; i++) routePorts.push(await freePort());
  for (let i = 0; i < count; i++) {
    const name = `n${i + 1}`;
    const nodeDir = join(dir, name);
    mkdirSync(nodeDir, { recursive: true });
    const port = await freePort();
    const monitorPort = await freePort();
    const configFile = join(nodeDir, 'nats.conf');
    writeFileSync(
      configFile,
      [
        `server_name: ${name}`,
        `listen: "127.0.0.1:${port}"`,
        `http: "127.0.0.1:${monitorPort}"`,
        'max_payload: 8MB',
        `jetstream { store_dir: "${join(nodeDir, 'jetstream')}", max_memory_store: 256MB, max_file_store: 8GB }`,
        'cluster {',
        `  name: ${CLUSTER_NAME}`,
        `  listen: "127.0.0.1:${routePorts[i]}"`,
        `  routes: [${routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')}]`,
        '}',
        '',
      ].join('\n'),
    );
    nodes.push({
      name,
      port,
      url: `nats://127.0.0.1:${port}`,
      monitorUrl: `http://127.0.0.1:${monitorPort}`,
      configFile,
      process: undefined,
    });
  }

  const spawnNode = async (node: ClusterNode) => {
    const child = launch(
      `nats-server ${node.name}`,
      binary('nats-server'),
      ['-c', node.configFile],
      join(dir, node.name, 'nats-server.log'),
    );
    node.process = child;
    await waitForPort(node.port, 15_000, child);
  };
  const running = () => nodes.filter((n) => n.process && n.process.exitCode === null && n.process.signalCode === null);
  const clients: NatsConnection[] = [];
  const client = async () => {
    const nc = await connect({ servers: running().map((n) => n.url), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    clients.push(nc);
    return nc;
  };
  const kill = async (index: number) => {
    const child = nodes[index]?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await gone;
  };

  await Promise.all(nodes.map(spawnNode));
  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    isRunning: (index) => running().includes(nodes[index] as ClusterNode),
    kill,
    restart: async (index) => {
      const node = nodes[index];
      if (!node) throw new Error(`no node ${index}`);
      await spawnNode(node);
    },
    async waitForJetStream(timeoutMs = 30_000) {
      const nc = await connect({ servers: running().map((n) => n.url), timeout: 2_000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1_000, checkAPI: false });
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          try {
            // A meta leader alone is not enough (a node answers before its routes are up): a stream
            // on every running node is placed, then removed.
            const probe = `CLUSTER_PROBE_${Date.now()}`;
            await jsm.streams.add({
              name: probe,
              subjects: [`cluster-probe.${probe}`],
              num_replicas: running().length,
              storage: StorageType.Memory,
            });
            await jsm.streams.delete(probe);
            return;
          } catch (err) {
            if (Date.now() > deadline) throw new Error(`JetStream not available after ${timeoutMs} ms: ${(err as Error).message}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      } finally {
        await nc.close();
      }
    },
    async leaderOf(stream, timeoutMs = 30_000) {
      const nc = await connect({ servers: running().map((n) => n.url), timeout: 2_000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1_000, checkAPI: false });
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          try {
            const leader = (await jsm.streams.info(stream)).cluster?.leader;
            const index = nodes.findIndex((n) => n.name === leader);
            if (index >= 0 && running().includes(nodes[index] as ClusterNode)) return index;
          } catch {
            // no leader yet
          }
          if (Date.now() > deadline) throw new Error(`stream ${stream} has no leader after ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await nc.close();
      }
    },
    client,
    async stop() {
      await Promise.all(clients.map((nc) => nc.close().catch(() => undefined)));
      await Promise.all(nodes.map((_, i) => kill(i)));
    },
  };
  try {
    await cluster.waitForJetStream();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startFerretDb, startNats, type LocalServer } from '../../scripts/local-servers';

/**
 * Once per jest run: bundle the services (tests run the same dist/*.js that ships) and provide real
 * servers. NATS_URL / MONGO_URL point the tests at existing servers (a real MongoDB ≥ 6, a NATS
 * cluster); else, with a Docker engine, testcontainers starts `nats` and `mongo` images; else the
 * pinned nats-server and FerretDB from .tools/bin run locally. Each test file then isolates itself
 * with its own database and subject prefix (test/support/stack.ts).
 */
declare global {
  var __FLOWGATE_SERVERS__: { stop(): Promise<void> }[] | undefined;
}

function dockerReachable(): boolean {
  return existsSync('/var/run/docker.sock') || Boolean(process.env.DOCKER_HOST);
}

async function startContainers(): Promise<{ nats: string; mongo: string; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const nats = await new GenericContainer('nats:2.15')
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  const mongo = await new GenericContainer('mongo:7')
    .withExposedPorts(27017)
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
    .start();
  return {
    nats: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
    mongo: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`,
    stop: async () => {
      await nats.stop();
      await mongo.stop();
    },
  };
}

export default async function globalSetup(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const stops: { stop(): Promise<void> }[] = [];
  let nats = process.env.NATS_URL;
  let mongo = process.env.MONGO_URL;
  if ((!nats || !mongo) && dockerReachable() && process.env.FLOWGATE_TEST_DOCKER !== '0') {
    try {
      const containers = await startContainers();
      stops.push(containers);
      nats ??= containers.nats;
      mongo ??= containers.mongo;
    } catch (err) {
      process.stderr.write(`testcontainers unavailable (${(err as Error).message}); using local binaries\n`);
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'flowgate-test-'));
  const local: Promise<LocalServer>[] = [];
  if (!nats) local.push(startNats(join(dataDir, 'nats')).then((s) => ((nats = s.url), s)));
  if (!mongo) local.push(startFerretDb(join(dataDir, 'ferretdb')).then((s) => ((mongo = s.url), s)));
  stops.push(...(await Promise.all(local)));
  process.env.FLOWGATE_TEST_NATS_URL = nats;
  process.env.FLOWGATE_TEST_MONGO_URL = mongo;
  process.env.FLOWGATE_TEST_DATA_DIR = dataDir;
  globalThis.__FLOWGATE_SERVERS__ = stops;
}

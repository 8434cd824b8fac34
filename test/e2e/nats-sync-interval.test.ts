import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { createSubjects } from '@flowgate/contracts';
import { ensureStreams, jetStreamClients, publishJson } from '@flowgate/kit';
import { startNats, type LocalServer } from '../../scripts/local-servers';
import { request } from '../support/stack';

/**
 * What a 202 promises on the embedded default (ADR 0025), against the real nats-server: commands
 * JetStream acknowledged survive a SIGKILL of nats-server with its default sync interval (they are
 * in the file, if not yet fsynced); `startNats` sets `sync_interval: always` when asked (nats-server
 * reports it) and refuses a value that is no sync interval. A power loss is not simulated here.
 */
const COMMANDS = 300;

describe('nats-server sync interval (the promise of an acknowledged command)', () => {
  let dir: string;
  let server: LocalServer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowgate-sync-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const syncAlways = async (s: LocalServer) =>
    (await request<{ jetstream?: { config?: { sync_always?: boolean } } }>(`${s.monitorUrl}/varz`)).body.jetstream?.config?.sync_always ===
    true;

  it('keeps every acknowledged command across a SIGKILL of nats-server with the default sync interval', async () => {
    server = await startNats(dir);
    expect(await syncAlways(server)).toBe(false);
    const subjects = createSubjects('fgtsync');
    let nc = await connect({ servers: server.url });
    let { js, jsm } = await jetStreamClients(nc);
    await ensureStreams(jsm, subjects);
    for (let i = 0; i < COMMANDS; i++) await publishJson(js, subjects.command('start', 'ws1'), { execution_id: `ex-${i}` }, `ex-${i}`);
    await nc.close();
    const { port, process: child } = server;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    server = await startNats(dir, { port });
    nc = await connect({ servers: server.url });
    ({ js, jsm } = await jetStreamClients(nc));
    try {
      const info = await jsm.streams.info(subjects.commandsStream);
      expect(info.state.messages).toBe(COMMANDS);
    } finally {
      await nc.close();
    }
  });

  it('starts nats-server with sync_interval: always when asked, and refuses a value that is none', async () => {
    server = await startNats(dir, { syncInterval: 'always' });
    expect(await syncAlways(server)).toBe(true);
    await expect(startNats(join(dir, 'other'), { syncInterval: 'always }\nlisten: 0.0.0.0:4222 #' })).rejects.toThrow(/sync_interval/);
  });
});

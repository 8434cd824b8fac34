import { randomBytes, randomUUID } from 'node:crypto';
import { createSubjects, type Subjects } from '@flowgate/contracts';
import type { ApiKeyScope } from '@flowgate/core';
import {
  connectNats,
  createLogger,
  createRegistry,
  ensureStreams,
  jetStreamClients,
  randomToken,
  SecretBox,
  sha256Hex,
  type JetStreamManager,
  type NatsConnection,
} from '@flowgate/kit';
import { collections, ensureIndexes, type Collections } from '@flowgate/store';
import type { Express } from 'express';
import { MongoClient } from 'mongodb';
import request from 'supertest';
import { OpenApiChecker } from '../../../../test/support/openapi-check';
import { createApp, openApiDocument } from '../../src/app';
import { loadIngressConfig } from '../../src/config';
import type { RouteTable } from '../../src/http/route';
import { wireIngress, type IngressWiring } from '../../src/wiring';
import { FakeExecutionClient, FakeSchedulerClient } from './fake-grpc-clients';

/**
 * The ingress app in-process for route tests: the real MongoDB-wire server and NATS of the test
 * run (its own database and subject prefix), fakes only for the gRPC services. `call` sends a
 * request through supertest and checks the answer against `/openapi.json`; `problems` collects
 * every mismatch.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (test/support/global-setup.ts provides it)`);
  return value;
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  /** A path no route serves: its answer is not checked against the document. */
  undocumented?: boolean;
}

export class RouteApp {
  readonly checker = new OpenApiChecker(openApiDocument);
  readonly problems: string[] = [];
  /** A key of the test workspace with the operator scope (in an installation: the bootstrap key). */
  operatorKey = '';
  private constructor(
    readonly app: Express,
    readonly edgeTable: RouteTable,
    readonly managementTable: RouteTable,
    readonly store: Collections,
    readonly wiring: IngressWiring,
    readonly executions: FakeExecutionClient,
    readonly scheduler: FakeSchedulerClient,
    readonly adminKey: string,
    readonly workspaceId: string,
    /** The run's subjects (its own prefix) and a JetStream manager, to look at what the routes published. */
    readonly subjects: Subjects,
    readonly jsm: JetStreamManager,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(name: string, env: Record<string, string> = {}): Promise<RouteApp> {
    const id = randomBytes(4).toString('hex');
    const prefix = `fgr${id}`;
    const mongoUrl = new URL(required('FLOWGATE_TEST_MONGO_URL'));
    mongoUrl.pathname = `/fgr_${name.replace(/[^A-Za-z0-9]/g, '_').slice(0, 30)}_${id}`;
    const config = loadIngressConfig({
      FLOWGATE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      FLOWGATE_NATS_PREFIX: prefix,
      FLOWGATE_PUBLIC_URL: 'http://ingress.test',
      ...env,
    });
    const logger = createLogger('ingress-route-test', 'silent');
    const mongo = await MongoClient.connect(mongoUrl.toString());
    const store = collections(mongo.db());
    await ensureIndexes(store);
    const nc: NatsConnection = await connectNats(required('FLOWGATE_TEST_NATS_URL'), `route-test-${name}`, logger);
    const { js, jsm } = await jetStreamClients(nc);
    const subjects = createSubjects(prefix);
    await ensureStreams(jsm, subjects);
    const executions = new FakeExecutionClient();
    const scheduler = new FakeSchedulerClient();
    const box = new SecretBox(config.FLOWGATE_ENCRYPTION_KEY);
    const wiring = await wireIngress(
      { store, nc, js, subjects, logger, registry: createRegistry('ingress'), box, executions, scheduler },
      config,
    );
    const { app, edge, management } = createApp({
      metrics: wiring.metrics,
      logger,
      maxHeaderCount: config.FLOWGATE_MAX_HEADER_COUNT,
      edge: wiring.edge,
      management: wiring.management,
    });
    const workspaceId = `ws_${id}`;
    const cleanup = async () => {
      for (const stop of wiring.stops) await stop.run();
      for await (const stream of jsm.streams.list())
        if (stream.config.name.includes(prefix.toUpperCase())) await jsm.streams.delete(stream.config.name);
      await nc.drain();
      await mongo.db().dropDatabase();
      await mongo.close();
    };
    if (!edge || !management) throw new Error('both sub-apps are mounted');
    const routeApp = new RouteApp(app, edge, management, store, wiring, executions, scheduler, '', workspaceId, subjects, jsm, cleanup);
    const adminKey = await routeApp.apiKey(['admin']);
    // An installation's operator key is the bootstrap key alone; the route tests make one of their own workspace.
    const operatorKey = await routeApp.apiKey(['operator']);
    return Object.assign(routeApp, { adminKey, operatorKey });
  }

  /** A new API key of the test workspace with these scopes. */
  async apiKey(scopes: ApiKeyScope[], workspaceId = this.workspaceId): Promise<string> {
    const key = randomToken('fgk_', 32);
    await this.store.apiKeys.insertOne({
      _id: `key_${randomUUID().replace(/-/g, '')}`,
      workspace_id: workspaceId,
      name: `test ${scopes.join(' ')}`,
      key_hash: sha256Hex(key),
      key_prefix: key.slice(0, 12),
      scopes,
      created_at: new Date(),
      last_used_at: null,
      revoked_at: null,
    });
    return key;
  }

  /** One request (the admin key unless `key` says otherwise), its answer checked against the document. */
  async call(method: string, path: string, opts: CallOptions = {}): Promise<request.Response> {
    const agent = request(this.app);
    let req = agent[method.toLowerCase() as 'get'](path);
    const key = opts.key === undefined ? this.adminKey : opts.key;
    if (key !== null) req = req.set('authorization', `Bearer ${key}`);
    for (const [name, value] of Object.entries(opts.headers ?? {})) req = req.set(name, value);
    if (opts.body !== undefined) req = typeof opts.body === 'string' ? req.send(opts.body) : req.send(opts.body as object);
    const res = await req;
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers as Record<string, string | string[]>))
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    if (!opts.undocumented) this.problems.push(...this.checker.check(method, path, { status: res.status, headers, text: res.text }));
    return res;
  }

  async stop(): Promise<void> {
    await this.cleanup();
  }
}

/**
 * One RouteApp for a describe block: started before its tests, stopped after them, and after each
 * test every answer seen must have matched the document. Returns a getter (the app exists once
 * beforeAll ran).
 */
export function routeAppPerSuite(name: string, env: Record<string, string> = {}): () => RouteApp {
  let routes: RouteApp | undefined;
  beforeAll(async () => {
    routes = await RouteApp.start(name, env);
  });
  afterAll(async () => {
    await routes?.stop();
  });
  afterEach(() => {
    expect(routes?.problems.splice(0)).toEqual([]);
  });
  return () => {
    if (!routes) throw new Error(`${name}: the route app is not started`);
    return routes;
  };
}

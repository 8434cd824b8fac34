import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { deliveryOf } from '../support/callbacks';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack, type ApiResponse } from '../support/stack';

/**
 * Workspace isolation, black-box over HTTP. Two workspaces, A and B, each hold workflows,
 * executions (finished, waiting for a webhook or an approval, queued behind a concurrency cap),
 * deliveries, trigger and source secrets, context, a schedule, a source, a parameter capture, a
 * staging environment, a rotated callback secret, extra API keys and shares (one of its workflows
 * shared with a partner workspace, one of the partner's shared with it, with context of its own on
 * it) and dead letters (timer commands for executions it does not have, published straight to
 * JetStream: the one thing not made over HTTP). With B's admin key every
 * management operation of the served OpenAPI document is called with every id of A that fits its
 * parameters (path, query, JSON body, `Last-Event-ID`, cursors made from A's list pages, the
 * `/v1/triggers?token=` lookup with A's tokens). The suite walks the document, so an operation added
 * later is probed without editing this file (an id parameter it cannot place fails the suite).
 *
 * Each probe must answer exactly as the same request with a made-up id of the same shape (same
 * status, same body once the id echoed back is swapped), with a 404 when A's id is in the path and a
 * refusal or an empty page otherwise; no answer may hold any id, token, secret, name or context
 * value of A (the value the probe itself sent aside: an echo of the caller's input tells B nothing).
 * Afterwards A reads back exactly as before.
 *
 * The webhook-edge routes (`/hooks/…`, `/sources/{token}`, `/resume/…`, `/approvals/…`) take no API
 * key: their token is the credential. For them the suite checks that A's resume and approval tokens
 * act on A's waits only and leave B's untouched.
 */

type Json = Record<string, unknown>;
type Kind =
  | 'workflow'
  | 'execution'
  | 'delivery'
  | 'apiKey'
  | 'source'
  | 'sourceSecret'
  | 'triggerSecret'
  | 'workspace'
  | 'share'
  | 'deadLetter'
  | 'bulkJob'
  | 'token'
  | 'cursor'
  | 'eventId';

interface ParamDoc {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Json;
}
interface OperationDoc {
  parameters?: ParamDoc[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  security?: Record<string, string[]>[];
}

/** Everything a workspace was given, as its own admin key sees it. */
interface World {
  tag: string;
  /** In every name and context value of the workspace: finding it in an answer is a leak. */
  marker: string;
  workspaceId: string;
  key: string;
  ids: Record<Exclude<Kind, 'cursor' | 'eventId'>, string[]>;
  cursors: string[];
  eventIds: string[];
  /** Secret values (API keys, trigger / source / callback secrets) never shown again. */
  secrets: string[];
  resumeToken: string;
  approveUrl: string;
  waitingExecution: string;
  approvalExecution: string;
  /** The workflow with a trigger secret (B's stands in where a probe mixes B's workflow with A's secret id). */
  guardedWorkflow: string;
  source: { id: string; url: string; secret: string; subscribers: string[] };
  /** The async webhook URL of the workflow whose runs finish at once. */
  doneHook: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
/**
 * Values of a `{version}` path parameter (/v1/workflows/{id}/versions/{version}/…): a published
 * version number is no id of a workspace (every published workflow has a v1), so it is not swapped
 * for a made-up one; it goes beside A's workflow ids, and the answer must be an unknown workflow's.
 */
const VERSION_NUMBERS = ['1'];
const HEX = '0123456789abcdef';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** How long an SSE probe is read before it is cut (the stream of a finished execution ends at once). */
const SSE_READ_MS = 2_000;

describe('workspace isolation', () => {
  let stack: Stack;
  let receiver: Receiver;
  let doc: { paths: Record<string, Partial<Record<(typeof METHODS)[number], OperationDoc>>> };
  let a: World;
  let b: World;
  let nc: NatsConnection;

  beforeAll(async () => {
    receiver = await new Receiver(() => ({ status: 204 })).start();
    stack = await Stack.start('workspace-isolation');
    const served = await request(`${stack.ingressUrl}/openapi.json`);
    expect(served.status).toBe(200);
    doc = served.body;
    nc = await connect({ servers: stack.natsUrl });
    // A first, then B: every item of B is newer than anything a cursor of A points at.
    a = await populate('a');
    b = await populate('b');
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await receiver?.stop();
  });

  /** One HTTP call; an SSE answer is read for SSE_READ_MS, then cut. */
  const send = async (
    key: string,
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const controller = new AbortController();
    // A stream is cut after SSE_READ_MS (headers or not); anything else gets 30 s.
    const stream = /\/events$/.test(path.split('?')[0] ?? '');
    const timer = setTimeout(() => controller.abort(), stream ? SSE_READ_MS : 30_000);
    let text = '';
    let res: Response;
    try {
      res = await fetch(`${stack.ingressUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: controller.signal,
      });
    } catch {
      clearTimeout(timer);
      // Status 0: fails every expectation with a readable line instead of a bare AbortError.
      return { status: 0, headers: new Headers(), body: null, text: `no answer within ${stream ? SSE_READ_MS : 30_000} ms` };
    }
    const sse = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
    try {
      const decoder = new TextDecoder();
      for await (const chunk of res.body ?? []) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      if (!sse) text = `${text} (cut: no end of the answer within 30000 ms)`;
    } finally {
      clearTimeout(timer);
    }
    let body: unknown = text;
    try {
      body = text && !sse ? JSON.parse(text) : text;
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body, text };
  };

  const ok = (res: ApiResponse, status: number, what: string): ApiResponse => {
    if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
    return res;
  };

  const tokenOf = (url: string): string => new URL(url).pathname.split('/')[2] ?? '';

  /** Builds a workspace with one of everything through the public API (its own admin key). */
  async function populate(tag: string): Promise<World> {
    const marker = `iso${tag.toUpperCase()}${randomBytes(5).toString('hex')}`;
    const ws = ok(await stack.api('POST', '/v1/workspaces', { name: `${marker}-workspace` }), 201, 'create workspace').body;
    const minted = ok(
      await stack.api('POST', `/v1/workspaces/${ws.id}/api-keys`, { name: `${marker}-admin`, scopes: ['admin'] }),
      201,
      'mint admin key',
    ).body;
    const key = String(minted.key);
    const call = (method: string, path: string, body?: unknown) => send(key, method, path, { body });
    const workflows: string[] = [];
    const tokens: string[] = [];
    const deploy = async (name: string, definition: Json): Promise<{ id: string; async: string }> => {
      const created = ok(await call('POST', '/v1/workflows', { name: `${marker}-${name}`, ...definition }), 201, `create ${name}`);
      ok(await call('POST', `/v1/workflows/${created.body.id}/publish`), 201, `publish ${name}`);
      workflows.push(created.body.id);
      const urls = created.body.triggers.production as { async: string };
      // The lookup takes a token or a whole webhook URL: both are tried.
      tokens.push(tokenOf(urls.async), urls.async);
      return { id: created.body.id, async: urls.async };
    };
    const fire = async (url: string, body: unknown = { marker }): Promise<string> => {
      const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return String(ok(res, 202, `fire ${url}`).body.execution_id);
    };
    const until = async (id: string, status: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await call('GET', `/v1/executions/${id}`);
        if (res.status === 200 && res.body.status === status) return res.body;
        if (Date.now() > deadline) throw new Error(`execution ${id} is not ${status}: ${res.text}`);
        await sleep(100);
      }
    };

    // Finished executions with deliveries, context, a staging environment.
    const done = await deploy('done', {
      on_success_url: receiver.url(`/${tag}`),
      max_concurrent_executions: 0,
      steps: [{ id: 'answer', type: 'transform', expression: `{"marker": "${marker}", "got": trigger.body}` }],
    });
    const finished = [await fire(done.async), await fire(done.async)];
    for (const id of finished) await until(id, 'succeeded');
    const deliveries: string[] = [];
    for (const id of finished) deliveries.push(String((await deliveryOf(stack, id, undefined, { apiKey: key })).id));
    ok(await call('PATCH', `/v1/workflows/${done.id}/context`, { region: `${marker}-context` }), 200, 'context');
    ok(await call('PUT', `/v1/workflows/${done.id}/environments/staging`, { version: 1 }), 200, 'staging');
    const staged = ok(await call('GET', `/v1/workflows/${done.id}`), 200, 'read done').body;
    tokens.push(tokenOf(String(staged.triggers.staging.async)));

    // Waits: a second webhook, an approval, and a run queued behind a parked one (cap 1).
    const wait = await deploy('wait', {
      max_concurrent_executions: 0,
      steps: [{ id: 'wait', type: 'wait_for_webhook', expires_in_s: 600 }],
    });
    const waiting = await fire(wait.async);
    const parked = await until(waiting, 'waiting');
    const resumeToken = tokenOf(String(parked.waiting_payload.resume_url));
    const approval = await deploy('approval', {
      max_concurrent_executions: 0,
      steps: [{ id: 'review', type: 'approval', message: `${marker} approve?`, expires_in_s: 600 }],
    });
    const approvalExecution = await fire(approval.async);
    const reviewed = await until(approvalExecution, 'waiting');
    const approveUrl = String(reviewed.waiting_payload.approve_url);
    const approvalToken = tokenOf(approveUrl);
    const queue = await deploy('queue', {
      max_concurrent_executions: 1,
      steps: [{ id: 'hold', type: 'wait_for_webhook', expires_in_s: 600 }],
    });
    const holder = await fire(queue.async);
    await until(holder, 'waiting');
    const queued = await fire(queue.async);
    await until(queued, 'queued');

    // Trigger secrets, a schedule (yearly: it never fires during the test), a capture window.
    const guarded = await deploy('guarded', { trigger: { webhook: { auth: { type: 'bearer' } } }, steps: [transform(marker)] });
    const triggerSecret = ok(await call('POST', `/v1/workflows/${guarded.id}/trigger/secrets`, {}), 201, 'trigger secret').body;
    await deploy('cron', { trigger: { schedule: { cron: '0 0 1 1 *', timezone: 'UTC' } }, steps: [transform(marker)] });
    const captured = await deploy('capture', { steps: [transform(marker)] });
    ok(await call('POST', `/v1/workflows/${captured.id}/parameters/capture`, { window_s: 600 }), 201, 'capture');

    // A source with a secret and two subscribers (so its subscriptions page has a cursor).
    const source = ok(
      await call('POST', '/v1/sources', { name: `${marker}-source`, auth: { type: 'hmac', prefix: 'sha256=' } }),
      201,
      'source',
    ).body;
    tokens.push(tokenOf(String(source.url)));
    const sourceSecret = ok(await call('POST', `/v1/sources/${source.id}/secrets`, {}), 201, 'source secret').body;
    const subscribers: string[] = [];
    for (const n of [1, 2])
      subscribers.push((await deploy(`subscriber-${n}`, { trigger: { source: { source_id: source.id } }, steps: [transform(marker)] })).id);

    // Shares with a partner workspace of its own (never B): out (its done workflow) and in (with its own context on it).
    const partnerWs = ok(await stack.api('POST', '/v1/workspaces', { name: `${marker}-partner` }), 201, 'partner').body;
    const partnerKey = String(
      ok(await stack.api('POST', `/v1/workspaces/${partnerWs.id}/api-keys`, { name: 'partner', scopes: ['admin'] }), 201, 'partner key')
        .body.key,
    );
    const asPartner = (method: string, path: string, body?: unknown) => send(partnerKey, method, path, { body });
    const shareOut = ok(await call('POST', `/v1/workflows/${done.id}/shares`, { workspace_id: partnerWs.id }), 201, 'share out').body;
    const partnerFlow = ok(
      await asPartner('POST', '/v1/workflows?publish=true', { name: `${marker}-partner-flow`, steps: [transform(marker)] }),
      201,
      'partner workflow',
    ).body;
    const shareIn = ok(await asPartner('POST', `/v1/workflows/${partnerFlow.id}/shares`, { workspace_id: ws.id }), 201, 'share in').body;
    ok(await call('PATCH', `/v1/shared-workflows/${shareIn.id}/context`, { region: `${marker}-shared-context` }), 200, 'shared context');
    const received = ok(await call('GET', '/v1/shared-workflows'), 200, 'shared workflows').body.data as { webhook: { async: string } }[];
    for (const r of received) tokens.push(tokenOf(r.webhook.async));

    // Keys and the callback signing secret.
    const extra = ok(await call('POST', '/v1/api-keys', { name: `${marker}-reader`, scopes: ['executions:read'] }), 201, 'key').body;
    const rotated = ok(await call('POST', '/v1/callback-secret/rotate', {}), 201, 'rotate').body;
    // A bulk job (a cancel whose filter matches nothing: it ends at once).
    const bulk = ok(
      await call('POST', '/v1/executions/bulk', { action: 'cancel', filter: { created_before: '2000-01-01T00:00:00Z' } }),
      202,
      'bulk job',
    ).body;

    // Two dead letters: timer commands for executions the workspace does not have (so its page has a cursor).
    for (let n = 0; n < 2; n++) {
      const timer = { type: 'timer', timer_id: `${randomUUID()}:delay`, kind: 'delay', workspace_id: ws.id, execution_id: randomUUID() };
      await jetstream(nc).publish(
        stack.subjects.command('timer', String(ws.id)),
        JSON.stringify({ ...timer, due_at: new Date().toISOString() }),
        {
          msgID: randomUUID(),
        },
      );
    }
    const deadline = Date.now() + 30_000;
    let deadLetters: string[] = [];
    while (deadLetters.length < 2) {
      if (Date.now() > deadline) throw new Error(`${tag}: the dead letters were not recorded`);
      await sleep(100);
      deadLetters = (ok(await call('GET', '/v1/dead-letters'), 200, 'dead letters').body.data as { id: string }[]).map((d) => d.id);
    }

    // Cursors from A's list pages, event ids from A's stream.
    const cursors: string[] = [];
    for (const path of [
      '/v1/executions?limit=1',
      '/v1/deliveries?limit=1',
      `/v1/sources/${source.id}/subscriptions?limit=1`,
      '/v1/dead-letters?limit=1',
    ]) {
      const cursor = ok(await call('GET', path), 200, path).body.next_cursor;
      if (typeof cursor !== 'string') throw new Error(`${path} has no next_cursor`);
      cursors.push(cursor);
    }
    const events = await send(key, 'GET', `/v1/executions/${finished[0]}/events`);
    const eventIds = [...events.text.matchAll(/^id: ?(.+)$/gm)].map((m) => (m[1] ?? '').trim());
    if (eventIds.length === 0) throw new Error(`no event ids in ${events.text}`);

    return {
      tag,
      marker,
      workspaceId: String(ws.id),
      key,
      ids: {
        workflow: workflows,
        execution: [...finished, waiting, approvalExecution, holder, queued],
        delivery: deliveries,
        apiKey: [String(minted.id), String(extra.id)],
        source: [String(source.id)],
        sourceSecret: [String(sourceSecret.id)],
        triggerSecret: [String(triggerSecret.id)],
        workspace: [String(ws.id)],
        share: [String(shareOut.id), String(shareIn.id)],
        deadLetter: deadLetters,
        bulkJob: [String(bulk.id)],
        token: [...tokens, resumeToken, approvalToken],
      },
      cursors,
      eventIds,
      secrets: [key, String(extra.key), String(triggerSecret.secret), String(sourceSecret.secret), String(rotated.secret)],
      resumeToken,
      approveUrl,
      waitingExecution: waiting,
      approvalExecution,
      guardedWorkflow: guarded.id,
      source: { id: String(source.id), url: String(source.url), secret: String(sourceSecret.secret), subscribers },
      doneHook: done.async,
    };
  }

  /** Everything A's key reads of A (and the operator of A's workspace), with the clocks of key use left out. */
  async function snapshot(w: World): Promise<Record<string, { status: number; body: unknown }>> {
    const paths = [
      '/v1/workflows',
      '/v1/executions?limit=100',
      '/v1/deliveries?limit=100',
      '/v1/dead-letters?limit=100',
      '/v1/api-keys',
      '/v1/sources',
      '/v1/workspace',
      '/v1/workspace/egress',
      '/v1/workspace/quotas',
      '/v1/callback-secret',
      '/v1/shared-workflows',
      ...w.ids.workflow.flatMap((id) =>
        ['', '/context', '/schedule', '/trigger/secrets', '/parameters/capture', '/shares', '/versions'].map(
          (s) => `/v1/workflows/${id}${s}`,
        ),
      ),
      ...w.ids.share.map((id) => `/v1/shared-workflows/${id}/context`),
      ...w.ids.execution.map((id) => `/v1/executions/${id}`),
      ...w.ids.delivery.map((id) => `/v1/deliveries/${id}`),
      ...w.ids.deadLetter.map((id) => `/v1/dead-letters/${id}`),
      ...w.ids.apiKey.map((id) => `/v1/api-keys/${id}`),
      ...w.ids.source.flatMap((id) => ['', '/secrets', '/subscriptions'].map((s) => `/v1/sources/${id}${s}`)),
      ...w.ids.token.map((t) => `/v1/triggers?token=${encodeURIComponent(t)}`),
    ];
    const out: Record<string, { status: number; body: unknown }> = {};
    for (const path of paths) {
      const res = await send(w.key, 'GET', path);
      out[path] = { status: res.status, body: withoutKeyClocks(res.body) };
    }
    const operatorView = await stack.api('GET', `/v1/workspaces/${w.workspaceId}`);
    out.operator = { status: operatorView.status, body: operatorView.body };
    return out;
  }

  /** What an answer must not hold of A: its ids and tokens, secrets, names and context (all carry its marker). */
  const secretsOf = (w: World, snap: unknown): string[] => {
    const text = JSON.stringify(snap);
    const harvested = [
      ...text.matchAll(/\b(?:wf|src|key|wt|so|ws|sec|whsec|fgk)_[A-Za-z0-9_-]{6,}/g),
      ...text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g),
    ].map((m) => m[0]);
    const values = [...Object.values(w.ids).flat(), ...w.cursors, ...w.secrets, ...harvested, w.marker];
    return [...new Set(values)].filter((v) => v.length >= 8);
  };

  it("B's admin key reaches nothing of A through any operation of the OpenAPI document", async () => {
    const before = await snapshot(a);
    const secretsOfA = secretsOf(a, before);
    // What the leak check looks for: every id, token and secret of A (a short list would check little).
    expect(secretsOfA.length).toBeGreaterThanOrEqual(40);
    expect(secretsOfA).toEqual(expect.arrayContaining([a.marker, ...a.secrets, ...a.ids.token, ...a.ids.execution]));
    const forged = new Map<string, string>();
    /** A made-up value of the same shape as `value` (an id that does not exist). */
    const forge = (value: string): string => {
      const known = forged.get(value);
      if (known) return known;
      // A webhook URL: same origin, another token.
      if (/^https?:\/\//.test(value)) return value.replace(/\/hooks\/([^/?]+)/, (_m, t: string) => `/hooks/${forge(t)}`);
      const prefix = /^[a-z]+_/.exec(value)?.[0] ?? '';
      const dot = value.indexOf('.');
      const head = value.slice(prefix.length, dot === -1 ? undefined : dot);
      const tail = dot === -1 ? '' : value.slice(dot);
      const pick = (set: string) => set[randomBytes(1)[0]! % set.length] ?? 'x';
      const made = prefix + [...head].map((c) => (HEX.includes(c) ? pick(HEX) : ALNUM.includes(c) ? pick(ALNUM) : c)).join('') + tail;
      forged.set(value, made);
      return made;
    };

    const aValues = (kind: Kind): string[] => (kind === 'cursor' ? a.cursors : kind === 'eventId' ? a.eventIds : a.ids[kind]);
    /** B's own item of a kind, mixed with A's ids of other parameters (B's workflow with A's secret id …). */
    const bValue = (kind: Kind): string | undefined => {
      if (kind === 'cursor' || kind === 'eventId' || kind === 'token') return undefined;
      if (kind === 'workflow') return b.guardedWorkflow;
      return b.ids[kind][0];
    };

    /** The kind of id a parameter takes; an id-like parameter of no known kind fails the suite. */
    const kindOf = (path: string, p: ParamDoc): Kind | undefined => {
      if (p.in === 'header') return p.name.toLowerCase() === 'last-event-id' ? 'eventId' : undefined;
      if (p.name === 'cursor') return 'cursor';
      if (p.name === 'token') return 'token';
      if (p.name === 'secret_id') return path.startsWith('/v1/sources/') ? 'sourceSecret' : 'triggerSecret';
      if (p.name === 'share_id') return 'share';
      const byName: Record<string, Kind> = {
        workflow_id: 'workflow',
        execution_id: 'execution',
        delivery_id: 'delivery',
        source_id: 'source',
        api_key_id: 'apiKey',
        workspace_id: 'workspace',
        job_id: 'bulkJob',
      };
      if (byName[p.name]) return byName[p.name];
      if (p.in === 'path' && p.name === 'id') {
        const resource = path.split('/')[2] ?? '';
        const byResource: Record<string, Kind> = {
          workflows: 'workflow',
          executions: 'execution',
          deliveries: 'delivery',
          'dead-letters': 'deadLetter',
          'api-keys': 'apiKey',
          sources: 'source',
          workspaces: 'workspace',
        };
        const kind = byResource[resource];
        if (!kind) throw new Error(`${path}: no kind of id known for {id} under /v1/${resource}`);
        return kind;
      }
      if (p.in === 'path' && p.name === 'version') return undefined; // VERSION_NUMBERS, beside A's workflow id
      if (p.in === 'path' && !Array.isArray(p.schema?.enum)) throw new Error(`${path}: path parameter {${p.name}} of no known kind`);
      if (/(^|_)id$/.test(p.name)) throw new Error(`${path}: query parameter ${p.name} of no known kind`);
      return undefined;
    };

    /** JSON bodies: the ones that take ids name them (slots), the rest are valid as they are. */
    const bodies: Record<string, { slots?: Record<string, Kind>; make: (v: Record<string, string>) => unknown }> = {
      'POST /v1/workflows': { slots: { source_id: 'source' }, make: (v) => subscriberOf(b.marker, v.source_id ?? '') },
      'PUT /v1/workflows/{id}': { slots: { source_id: 'source' }, make: (v) => subscriberOf(b.marker, v.source_id ?? '') },
      'PATCH /v1/workflows/{id}': { make: () => ({ retention_days: 7 }) },
      'PATCH /v1/workflows/{id}/trigger': { make: () => ({ enabled: false }) },
      'PATCH /v1/workflows/{id}/context': { make: () => ({ region: `${b.marker}-probe` }) },
      'PUT /v1/workflows/{id}/environments/staging': { make: () => ({ version: 1 }) },
      'POST /v1/workflows/{id}/parameters/capture': { make: () => ({ window_s: 60 }) },
      'POST /v1/workflows/{id}/test': { make: () => ({ body: { n: 1 } }) },
      'POST /v1/workflows/{id}/trigger/secrets': { make: () => ({}) },
      'POST /v1/workflows/{id}/versions/{version}/retire': { make: () => ({}) },
      'POST /v1/workflows/{id}/versions/{version}/restore': { make: () => ({}) },
      'POST /v1/parameters/infer': { make: () => ({ order_id: 'A1' }) },
      'POST /v1/callback-secret/rotate': { make: () => ({}) },
      'PATCH /v1/workspace': { make: () => ({ name: `${b.marker}-renamed` }) },
      'PUT /v1/workspace/egress': { make: () => ({ allow_cidrs: ['10.0.0.0/8'] }) },
      'PUT /v1/workspace/quotas': { make: () => ({ executions_per_day: 5 }) },
      'POST /v1/workspaces': { make: () => ({ name: `${b.marker}-new` }) },
      'PATCH /v1/workspaces/{id}': { make: () => ({ name: `${b.marker}-renamed` }) },
      'POST /v1/workspaces/{id}/api-keys': { make: () => ({ name: 'probe', scopes: ['admin'] }) },
      'POST /v1/api-keys': { make: () => ({ name: `${b.marker}-probe`, scopes: ['workflows:read'] }) },
      'POST /v1/sources': { make: () => ({ name: `${b.marker}-probe` }) },
      'PATCH /v1/sources/{id}': { make: () => ({ name: `${b.marker}-probe` }) },
      'POST /v1/sources/{id}/secrets': { make: () => ({}) },
      // Sharing names another workspace on purpose (not a probe of A's): a workspace that does not exist.
      'POST /v1/workflows/{id}/shares': { make: () => ({ workspace_id: 'ws_000000000000000000000000' }) },
      'PATCH /v1/shared-workflows/{share_id}/context': { make: () => ({ region: `${b.marker}-probe` }) },
      // A dry run: B's filter naming A's workflow counts nothing, as an unknown id does (and B's executions stay as they are).
      'POST /v1/executions/bulk': {
        slots: { workflow_id: 'workflow' },
        make: (v) => ({ action: 'cancel', filter: { workflow_id: v.workflow_id }, dry_run: true }),
      },
    };

    interface Slot {
      name: string;
      where: 'path' | 'query' | 'header' | 'body';
      kind?: Kind;
      required: boolean;
      /** Fixed values (enums): every one is tried. */
      values?: string[];
    }
    interface Probe {
      op: string;
      path: string;
      query: Record<string, string>;
      headers: Record<string, string>;
      body: unknown;
      hasBody: boolean;
      /** A's values sent (path ones apart). */
      sent: string[];
      inPath: boolean;
      /** A's values only in the JSON body (a definition naming A's source). */
      inBodyOnly: boolean;
      /** Whether a made-up value answers the same (not for cursors and event ids, whose answers depend on their content). */
      comparable: boolean;
    }

    const failures: string[] = [];
    const probesPerOperation = new Map<string, number>();
    let probes = 0;
    let idFree = 0;

    const build = (path: string, method: string, slots: Slot[], choice: Map<Slot, string>, swap: (v: string) => string): Probe => {
      let concrete = path;
      const query: Record<string, string> = {};
      const headers: Record<string, string> = {};
      const bodyValues: Record<string, string> = {};
      for (const [slot, value] of choice) {
        const v = swap(value);
        if (slot.where === 'path') concrete = concrete.replace(`{${slot.name}}`, encodeURIComponent(v));
        else if (slot.where === 'query') query[slot.name] = v;
        else if (slot.where === 'header') headers[slot.name] = v;
        else bodyValues[slot.name] = v;
      }
      const template = bodies[`${method.toUpperCase()} ${path}`];
      const op = doc.paths[path]?.[method as (typeof METHODS)[number]];
      const hasBody = op?.requestBody !== undefined;
      const body = template
        ? template.make(bodyValues)
        : hasBody
          ? sample(op?.requestBody?.content?.['application/json']?.schema)
          : undefined;
      const sentOfA = [...choice.entries()].filter(([, v]) => isA(v)).map(([, v]) => swap(v));
      return {
        op: `${method.toUpperCase()} ${path}`,
        path: concrete,
        query,
        headers,
        body,
        hasBody,
        sent: sentOfA,
        inPath: [...choice.entries()].some(([s, v]) => s.where === 'path' && isA(v)),
        inBodyOnly: [...choice.entries()].every(([s, v]) => !isA(v) || s.where === 'body'),
        comparable: [...choice.entries()].every(([s, v]) => !isA(v) || (s.kind !== 'cursor' && s.kind !== 'eventId')),
      };
    };
    const aSet = new Set([...Object.values(a.ids).flat(), ...a.cursors, ...a.eventIds.map((e) => `event:${e}`)]);
    const isA = (v: string) => aSet.has(v) || aSet.has(`event:${v}`);

    const fire = (p: Probe) => {
      const qs = new URLSearchParams(p.query).toString();
      return send(b.key, p.op.split(' ')[0] ?? 'GET', `${p.path}${qs ? `?${qs}` : ''}`, {
        headers: p.headers,
        ...(p.hasBody || p.body !== undefined ? { body: p.body } : {}),
      });
    };

    const schemaRefs = (doc as unknown as { components?: { schemas?: Record<string, Json> } }).components?.schemas ?? {};
    /** A minimal valid JSON value of a schema (required properties only), for bodies no template names. */
    const sample = (schema: Json | undefined, depth = 0): unknown => {
      if (!schema || depth > 8) return {};
      const ref = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined;
      if (ref) return sample(schemaRefs[ref], depth + 1);
      if ('const' in schema) return schema.const;
      if (Array.isArray(schema.enum)) return schema.enum[0];
      if ('default' in schema) return schema.default;
      const alt = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
      if (alt?.length) return sample(alt.find((s) => s.type !== 'null') ?? alt[0], depth + 1);
      const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
      if (type === 'string') return 'x'.repeat(Math.max(Number(schema.minLength ?? 1), 1));
      if (type === 'integer' || type === 'number') return Number(schema.minimum ?? 1);
      if (type === 'boolean') return true;
      if (type === 'array') return Array.from({ length: Number(schema.minItems ?? 0) }, () => sample(schema.items as Json, depth + 1));
      const props = (schema.properties ?? {}) as Record<string, Json>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.map((k) => [k, sample(props[k], depth + 1)]));
    };

    /** Status and body; what a successful write makes anew (ids, webhook tokens, clocks, version counters) masked. */
    const normalised = (res: ApiResponse) =>
      `${res.status} ${
        res.status < 300
          ? res.text
              .replace(/"(id|created_at|updated_at)":"[^"]*"/g, '"$1":"…"')
              .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '…')
              .replace(/"(\w*version)":\d+/g, '"$1":0')
              .replace(/\b(wh|wf)_[A-Za-z0-9_-]{8,}/g, '$1_…')
          : res.text
      }`;
    const leakIn = (res: ApiResponse, sent: string[]): string | undefined => {
      let text = res.text;
      // The values the probe sent, echoed back ("Workflow wf_… not found"), are not A's to leak.
      for (const v of [...sent].sort((x, y) => y.length - x.length)) text = text.split(v).join('');
      return secretsOfA.find((s) => text.includes(s));
    };

    for (const [path, item] of Object.entries(doc.paths)) {
      // The webhook edge takes no API key (the token is the credential): see the test below.
      if (!path.startsWith('/v1/')) continue;
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const name = `${method.toUpperCase()} ${path}`;
        const operatorScope = (op.security ?? []).some((s) => (s.apiKey ?? []).includes('operator'));
        const slots: Slot[] = [];
        for (const p of op.parameters ?? []) {
          const kind = kindOf(path, p);
          if (kind) slots.push({ name: p.name, where: p.in, kind, required: p.required === true || p.in === 'path' });
          else if (p.in === 'path')
            slots.push({
              name: p.name,
              where: 'path',
              required: true,
              values: p.name === 'version' ? VERSION_NUMBERS : ((p.schema?.enum ?? []) as string[]),
            });
          else if (p.required) throw new Error(`${name}: required ${p.in} parameter ${p.name} of no known kind`);
        }
        for (const [slotName, kind] of Object.entries(bodies[name]?.slots ?? {}))
          slots.push({ name: slotName, where: 'body', kind, required: true });
        if (op.requestBody && !bodies[name]) console.log(`${name}: no body template, a sample of its schema is sent`);

        // Required slots: every A value (and B's own item when other slots carry A's); optional ones one at a time.
        const required = slots.filter((s) => s.required);
        const optional = slots.filter((s) => !s.required);
        const idSlots = slots.filter((s) => s.kind).length;
        const choicesOf = (s: Slot): string[] => {
          if (s.values) return s.values;
          const kind = s.kind as Kind;
          const mine = bValue(kind);
          return [...aValues(kind), ...(idSlots > 1 && mine ? [mine] : [])];
        };
        let combos: Map<Slot, string>[] = [new Map()];
        for (const s of required) combos = combos.flatMap((c) => choicesOf(s).map((v) => new Map([...c, [s, v]])));
        const withOptional = combos.flatMap((c) => [
          c,
          ...optional.flatMap((s) => aValues(s.kind as Kind).map((v) => new Map([...c, [s, v]]))),
        ]);
        const foreign = withOptional.filter((c) => [...c.values()].some(isA));

        if (idSlots === 0) {
          // No id to give: called once with B's key; the answer holds nothing of A.
          const res = await fire(build(path, method, slots, combos[0] ?? new Map(), (v) => v));
          idFree++;
          const leak = leakIn(res, []);
          if (leak) failures.push(`${name}: answer holds A's ${leak}: ${res.text.slice(0, 300)}`);
          if (res.status >= 500) failures.push(`${name}: ${res.status} ${res.text.slice(0, 300)}`);
          continue;
        }
        for (const choice of foreign) {
          const probe = build(path, method, slots, choice, (v) => v);
          const res = await fire(probe);
          probes++;
          probesPerOperation.set(name, (probesPerOperation.get(name) ?? 0) + 1);
          const label = `${name} ${probe.path}${Object.keys(probe.query).length ? `?${new URLSearchParams(probe.query).toString()}` : ''}${
            probe.headers['Last-Event-ID'] ? ` Last-Event-ID: ${probe.headers['Last-Event-ID']}` : ''
          }`;
          const leak = leakIn(res, probe.sent);
          if (leak) failures.push(`${label}: answer holds A's ${leak}: ${res.text.slice(0, 300)}`);
          const data = (res.body as { data?: unknown } | null)?.data;
          if (operatorScope) {
            // Operator routes refuse a workspace admin key for its scope, whatever the id: that tells B nothing of A.
            const error = (res.body as { error?: { code?: string; details?: { required_scope?: string } } } | null)?.error;
            if (res.status !== 403 || error?.code !== 'forbidden' || error.details?.required_scope !== 'operator')
              failures.push(`${label}: expected 403 forbidden (operator scope), got ${res.status} ${res.text.slice(0, 300)}`);
          } else if (probe.inPath) {
            if (res.status !== 404) failures.push(`${label}: expected 404, got ${res.status} ${res.text.slice(0, 300)}`);
          } else if (probe.inBodyOnly || (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
            // A definition may name a source id that is not the workspace's (it is checked by shape only): it then subscribes
            // to nothing, exactly as for an unknown id (compared below; the fan-out test shows A's source never starts it).
            // B's own execution streamed from a Last-Event-ID of A: B's events only (the leak check above).
          } else if (res.status < 400 && !(res.status === 200 && Array.isArray(data) && data.length === 0)) {
            failures.push(`${label}: expected a refusal or an empty page, got ${res.status} ${res.text.slice(0, 300)}`);
          }
          if (!probe.comparable) continue;
          // The same request with made-up ids of the same shape must answer the same (the echoed id swapped).
          const control = await fire(build(path, method, slots, choice, (v) => (isA(v) ? forge(v) : v)));
          let swapped = normalised(res);
          for (const v of probe.sent) swapped = swapped.split(v).join(forge(v));
          const expected = normalised(control);
          if (swapped !== expected) {
            let at = 0;
            while (swapped[at] === expected[at]) at++;
            const around = (t: string) => t.slice(Math.max(0, at - 120), at + 180);
            failures.push(`${label}: answers unlike an unknown id:\n  A's:     …${around(swapped)}\n  unknown: …${around(expected)}`);
          }
        }
      }
    }

    // Every id-taking management operation got probes (a broken walk of the document fails here).
    const idOperations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, item]) =>
        METHODS.filter(
          (m) => item[m] && (/\{/.test(path) || (item[m]?.parameters ?? []).some((p) => /(^|_)id$|^token$|^cursor$/.test(p.name))),
        ).map((m) => `${m.toUpperCase()} ${path}`),
      );
    expect(idOperations.filter((op) => !probesPerOperation.has(op))).toEqual([]);
    expect(idOperations.length).toBeGreaterThanOrEqual(40);
    expect(failures).toEqual([]);

    // Nothing of A changed.
    expect(await snapshot(a)).toEqual(before);
    expect(probes).toBeGreaterThanOrEqual(250);
    console.log(
      `workspace isolation: ${probes} (route × foreign id) probes over ${probesPerOperation.size} operations, ` +
        `${idFree} id-free operations called with B's key; none leaked`,
    );
  }, 300_000);

  it("A's resume and approval tokens act on A's waits only; B's waits stay parked and still resume", async () => {
    const read = async (w: World, id: string) => ok(await send(w.key, 'GET', `/v1/executions/${id}`), 200, `read ${id}`).body;
    const bWaitBefore = await read(b, b.waitingExecution);
    const bApprovalBefore = await read(b, b.approvalExecution);
    expect([bWaitBefore.status, bApprovalBefore.status]).toEqual(['waiting', 'waiting']);

    const post = (url: string, body: unknown) =>
      request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(`${stack.ingressUrl}/resume/${a.resumeToken}`, { from: 'a' })).status).toBe(202);
    expect((await post(a.approveUrl, { comment: 'a' })).status).toBe(202);
    const done = async (w: World, id: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const e = await read(w, id);
        if (e.status === 'succeeded' || Date.now() > deadline) return e;
        await sleep(100);
      }
    };
    expect((await done(a, a.waitingExecution)).status).toBe('succeeded');
    expect((await done(a, a.approvalExecution)).status).toBe('succeeded');

    // B's waits did not move: same state, same tokens.
    expect(await read(b, b.waitingExecution)).toEqual(bWaitBefore);
    expect(await read(b, b.approvalExecution)).toEqual(bApprovalBefore);
    // A's used tokens are gone; B's still resume B's waits.
    expect((await post(`${stack.ingressUrl}/resume/${a.resumeToken}`, {})).status).toBeGreaterThanOrEqual(400);
    expect((await post(`${stack.ingressUrl}/resume/${b.resumeToken}`, { from: 'b' })).status).toBe(202);
    expect((await post(b.approveUrl, { comment: 'b' })).status).toBe(202);
    expect((await done(b, b.waitingExecution)).status).toBe('succeeded');
    expect((await done(b, b.approvalExecution)).status).toBe('succeeded');
  });

  it("A's source starts A's subscribers only, never a workflow of B that names A's source id", async () => {
    const created = ok(await send(b.key, 'POST', '/v1/workflows', { body: subscriberOf(b.marker, a.source.id) }), 201, 'B subscriber');
    const intruder = String(created.body.id);
    ok(await send(b.key, 'POST', `/v1/workflows/${intruder}/publish`), 201, 'publish B subscriber');
    const subscriptions = ok(await send(a.key, 'GET', `/v1/sources/${a.source.id}/subscriptions?limit=100`), 200, 'subscriptions');
    expect((subscriptions.body.data as { id: string }[]).map((s) => s.id).sort()).toEqual([...a.source.subscribers].sort());

    const body = JSON.stringify({ type: 'probe' });
    const signature = `sha256=${createHmac('sha256', a.source.secret).update(body).digest('hex')}`;
    const fanned = await request(a.source.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
      body,
    });
    expect(fanned.status).toBe(202);
    const started = fanned.body.executions as { workflow_id: string; execution_id: string }[];
    expect(started.map((e) => e.workflow_id).sort()).toEqual([...a.source.subscribers].sort());
    for (const e of started) {
      expect((await send(a.key, 'GET', `/v1/executions/${e.execution_id}`)).status).toBe(200);
      expect((await send(b.key, 'GET', `/v1/executions/${e.execution_id}`)).status).toBe(404);
    }
    await sleep(1_000);
    expect((await send(b.key, 'GET', `/v1/executions?workflow_id=${intruder}`)).body.data).toEqual([]);
  });

  it("an Idempotency-Key A used answers B's webhook with a run of B's own, never A's execution", async () => {
    const post = (url: string) =>
      request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `shared-${a.marker}` },
        body: JSON.stringify({ n: 1 }),
      });
    const first = await post(a.doneHook);
    expect(first.status).toBe(202);
    const again = await post(a.doneHook);
    expect(again.body.execution_id).toBe(first.body.execution_id);
    const other = await post(b.doneHook);
    expect(other.status).toBe(202);
    expect(other.body.execution_id).not.toBe(first.body.execution_id);
    expect((await send(b.key, 'GET', `/v1/executions/${String(other.body.execution_id)}`)).status).toBe(200);
    expect((await send(b.key, 'GET', `/v1/executions/${String(first.body.execution_id)}`)).status).toBe(404);
  });
});

const transform = (marker: string) => ({ id: 'out', type: 'transform', expression: `"${marker}"` });

/** A workflow definition subscribing to a source (how a body names another object by id). */
const subscriberOf = (marker: string, sourceId: string) => ({
  name: `${marker}-probe`,
  trigger: { source: { source_id: sourceId } },
  steps: [{ id: 'out', type: 'transform', expression: `"${marker}"` }],
});

/** A body without the `last_used_at` clocks of API keys (A's key reads A, so its own clock moves). */
function withoutKeyClocks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeyClocks);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => k !== 'last_used_at')
        .map(([k, v]) => [k, withoutKeyClocks(v)]),
    );
  return value;
}

import { createServer, type Server } from 'node:http';
import { freePort } from '../../scripts/local-servers';
import { Receiver } from '../support/receiver';
import { request, sleep, Stack } from '../support/stack';

/** A span as OTLP/HTTP JSON carries it (ids hex-encoded). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
}

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** A local OTLP/HTTP (JSON) trace receiver. */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: { spans?: Omit<OtlpSpan, 'service'>[] }[];
          }[];
        };
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) this.spans.push({ ...span, service });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('tracing: one trace from the webhook to the callback', () => {
  let stack: Stack;
  let otlp: OtlpReceiver;
  let downstream: Receiver;
  let callbacks: Receiver;

  beforeAll(async () => {
    otlp = await new OtlpReceiver().start();
    downstream = await new Receiver(() => ({ status: 200, body: { stock: 3 } })).start();
    callbacks = await new Receiver(() => ({ status: 204 })).start();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`, OTEL_BSP_SCHEDULE_DELAY: '100' };
    stack = await Stack.start('tracing', { env: { ingress: otel, execution: otel, scheduler: otel, callback: otel } });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([otlp?.stop(), downstream?.stop(), callbacks?.stop()]);
  });

  it('ingress request → NATS publish → execution consume → each step → outbound HTTP → callback delivery', async () => {
    const wf = await stack.deploy({
      name: 'traced',
      max_concurrent_executions: 0,
      on_success_url: callbacks.url('/done'),
      steps: [
        { id: 'shape', type: 'transform', expression: '{"sku": trigger.body.sku}' },
        { id: 'stock', type: 'http', request: { method: 'GET', url: downstream.url('/stock/{{steps.shape.output.sku}}') } },
        { id: 'answer', type: 'transform', expression: 'steps.stock.output.body' },
      ],
    });
    const res = await request(wf.async, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"A-1"}' });
    expect(res.status).toBe(202);
    expect((await stack.waitForExecution(res.body.execution_id)).status).toBe('succeeded');

    // The trace of this webhook: the one whose ingress span published the start command.
    const server = () => {
      const publish = otlp.spans.find(
        (s) => s.service === 'flowgate-ingress' && s.kind === KIND.PRODUCER && s.name.includes('.cmd.start.'),
      );
      return otlp.spans.find((s) => s.traceId === publish?.traceId && s.kind === KIND.SERVER && s.name === 'POST');
    };
    const deadline = Date.now() + 20_000;
    const traceOf = () => otlp.spans.filter((s) => s.traceId === server()?.traceId);
    const wanted = (spans: OtlpSpan[]) => spans.some((s) => s.service === 'flowgate-callback' && s.kind === KIND.CLIENT);
    while (!(server() && wanted(traceOf())) && Date.now() < deadline) await sleep(200);
    const spans = traceOf();
    const has = (service: string, kind: number, name: RegExp) =>
      spans.some((s) => s.service === service && s.kind === kind && name.test(s.name));

    expect(server()).toBeDefined();
    expect(has('flowgate-ingress', KIND.PRODUCER, /^send .*\.cmd\.start\./)).toBe(true);
    expect(has('flowgate-execution', KIND.CONSUMER, /^process .*\.cmd\.start\./)).toBe(true);
    for (const step of ['shape', 'stock', 'answer'])
      expect(has('flowgate-execution', KIND.INTERNAL, new RegExp(`^step ${step}$`))).toBe(true);
    expect(has('flowgate-execution', KIND.CLIENT, /^GET$/)).toBe(true);
    expect(has('flowgate-execution', KIND.PRODUCER, /^send .*\.evt\.execution\..*\.succeeded$/)).toBe(true);
    expect(has('flowgate-callback', KIND.CONSUMER, /^process .*\.evt\.execution\./)).toBe(true);
    expect(has('flowgate-callback', KIND.CLIENT, /^POST$/)).toBe(true);
    // The outbound HTTP call is a child of its step; the traceparent reached the downstream server.
    const stockStep = spans.find((s) => s.name === 'step stock');
    const get = spans.find((s) => s.service === 'flowgate-execution' && s.kind === KIND.CLIENT);
    expect(get?.parentSpanId).toBe(stockStep?.spanId);
    expect(downstream.requests.at(-1)?.headers.traceparent).toContain(server()?.traceId);
    expect(callbacks.requests.at(-1)?.headers.traceparent).toContain(server()?.traceId);
  });
});

import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry: must start before express, grpc-js or http are loaded (each service's
 * `instrument.ts` is its first import). Spans are always created so the W3C context travels
 * HTTP → NATS → gRPC → outbound HTTP and logs carry trace ids; they are exported over OTLP/HTTP only
 * when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set. When nothing
 * exports them, a span of a request that arrived unsampled (or with no trace) is a non-recording one:
 * it still carries its trace and span ids (logs, `traceparent` onwards) but records no attributes or
 * events, which nothing would read; a caller's sampled trace is still recorded and passed on sampled.
 */
const OPS_PATHS = new Set(['/metrics', '/livez', '/readyz']);

let sdk: NodeSDK | undefined;

export function startTracing(serviceName: string): void {
  if (sdk) return;
  const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const processor: SpanProcessor = exporting ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor();
  sdk = new NodeSDK({
    serviceName,
    spanProcessors: [processor],
    ...(exporting ? {} : { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => OPS_PATHS.has((req.url ?? '').split('?')[0] ?? '') }),
      new GrpcInstrumentation(),
    ],
  });
  sdk.start();
}

export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}

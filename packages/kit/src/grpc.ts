import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Histogram } from 'prom-client';

/** gRPC server with the standard `grpc.health.v1` service, and status helpers. */
export interface GrpcServer {
  server: grpc.Server;
  port: number;
  health: HealthImplementation;
  setServing(serving: boolean): void;
  close(graceMs: number): Promise<void>;
}

export async function startGrpcServer(opts: {
  port: number;
  host?: string;
  serviceName: string;
  register: (server: grpc.Server) => void;
}): Promise<GrpcServer> {
  const server = new grpc.Server();
  const health = new HealthImplementation({ '': 'NOT_SERVING', [opts.serviceName]: 'NOT_SERVING' });
  health.addToServer(server);
  opts.register(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${hostPort(opts.host ?? '0.0.0.0', opts.port)}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const setServing = (serving: boolean) => {
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(opts.serviceName, status);
  };
  return {
    server,
    port,
    health,
    setServing,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** `host:port`, an IPv6 address in brackets (`[::1]:50051`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class GrpcStatusError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof GrpcStatusError) return { code: err.code, details: err.message, message: err.message };
  return { code: grpc.status.INTERNAL, details: 'internal error', message: 'internal error' };
}

/** Wraps a unary handler: errors become gRPC statuses; duration is recorded. */
export function unary<Req, Res>(
  method: string,
  metric: Histogram<'method' | 'code'>,
  fn: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const end = metric.startTimer({ method });
    fn(call.request, call).then(
      (res) => {
        end({ code: 'OK' });
        callback(null, res);
      },
      (err: unknown) => {
        const se = toServiceError(err);
        end({ code: grpc.status[se.code ?? grpc.status.INTERNAL] });
        callback(se);
      },
    );
  };
}

export function deadline(ms: number): grpc.Deadline {
  return new Date(Date.now() + ms);
}

export { grpc };

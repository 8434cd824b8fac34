import { getEventListeners } from 'node:events';
import { loadExecutionProto, type ExecutionServiceHandlers } from '@flowgate/contracts';
import { grpc, startGrpcServer, type GrpcServer } from '@flowgate/kit';
import { eitherSignal, GrpcExecutionClient } from '../src/execution-client';

/**
 * Following an execution lets go of the signals it was given: a listener left on a signal that
 * outlives the follow (the ingress's shutdown signal) keeps the ended gRPC call, and all it refers
 * to, alive — one per sync webhook.
 */
describe('GrpcExecutionClient.follow', () => {
  let server: GrpcServer;
  let client: GrpcExecutionClient;
  /** How WatchExecution answers: one state then the end, or an error status. */
  let watch: 'ends' | 'fails' = 'ends';

  beforeAll(async () => {
    const handlers: Pick<ExecutionServiceHandlers, 'WatchExecution'> = {
      WatchExecution(call) {
        if (watch === 'fails') {
          call.emit('error', { code: grpc.status.INTERNAL, details: 'boom' });
          return;
        }
        call.write({ id: call.request.executionId, workspaceId: call.request.workspaceId, status: 'succeeded' });
        call.end();
      },
    };
    server = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      serviceName: 'flowgate.v1.ExecutionService',
      register: (s) => s.addService(loadExecutionProto().flowgate.v1.ExecutionService.service, handlers),
    });
    client = new GrpcExecutionClient(`127.0.0.1:${server.port}`, 5_000);
  });

  afterAll(async () => {
    client.close();
    await server.close(100);
  });

  it('removes its abort listener once the stream ends', async () => {
    watch = 'ends';
    const stop = new AbortController().signal;
    const last = await client.follow('ws_1', 'ex_1', 5_000, undefined, stop);
    expect(last?.status).toBe('succeeded');
    expect(getEventListeners(stop, 'abort')).toHaveLength(0);
  });

  it('removes its abort listener once the stream fails', async () => {
    watch = 'fails';
    const stop = new AbortController().signal;
    await expect(client.follow('ws_1', 'ex_1', 5_000, undefined, stop)).rejects.toMatchObject({ code: 'internal' });
    expect(getEventListeners(stop, 'abort')).toHaveLength(0);
  });
});

describe('eitherSignal', () => {
  it('aborts when either signal does', async () => {
    for (const which of ['a', 'b'] as const) {
      const a = new AbortController();
      const b = new AbortController();
      const seen = await eitherSignal(a.signal, b.signal, (both) => {
        (which === 'a' ? a : b).abort();
        return Promise.resolve(both.aborted);
      });
      expect(seen).toBe(true);
    }
  });

  it('starts aborted when one already is', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await eitherSignal(new AbortController().signal, stop.signal, (both) => Promise.resolve(both.aborted))).toBe(true);
  });

  it('leaves no listener on either signal after the task, even a failed one', async () => {
    const a = new AbortController().signal;
    const b = new AbortController().signal;
    await eitherSignal(a, b, () => Promise.resolve());
    await expect(eitherSignal(a, b, () => Promise.reject(new Error('task failed')))).rejects.toThrow('task failed');
    expect(getEventListeners(a, 'abort')).toHaveLength(0);
    expect(getEventListeners(b, 'abort')).toHaveLength(0);
  });
});

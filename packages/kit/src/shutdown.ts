import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from './logger';

/**
 * Graceful shutdown on SIGTERM / SIGINT: runs the steps in order (stop intake, finish or hand back
 * in-flight work, drain NATS, close MongoDB), each bounded by the remaining time, then exits.
 */
export interface ShutdownStep {
  name: string;
  /** `deadlineAt`: when the shutdown as a whole must end (epoch ms), for steps that answer early before it. */
  run: (ctx: { deadlineAt: number }) => Promise<void> | void;
}

export function onShutdown(logger: Logger, timeoutMs: number, steps: ShutdownStep[]): void {
  let started = false;
  const shutdown = async (signal: string) => {
    if (started) return;
    started = true;
    logger.info({ signal }, 'shutting down');
    const deadlineAt = Date.now() + timeoutMs;
    for (const step of steps) {
      const remaining = Math.max(100, deadlineAt - Date.now());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => step.run({ deadlineAt })),
          new Promise<void>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${remaining} ms`)), remaining);
          }),
        ]);
      } catch (err) {
        logger.warn({ err, step: step.name }, 'shutdown step failed');
      } finally {
        clearTimeout(timer);
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/**
 * Closes an HTTP server gracefully: stops accepting connections, answers whatever still arrives on
 * open keep-alive connections with `Connection: close`, closes every connection as soon as it is idle
 * (its in-flight request answered), and resolves once none is left. Bounded by the shutdown deadline.
 */
export function closeHttpServer(server: Server, idleCheckMs = 100): Promise<void> {
  return new Promise((resolve) => {
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('connection', 'close');
    });
    const idle = setInterval(() => server.closeIdleConnections(), idleCheckMs);
    server.close(() => {
      clearInterval(idle);
      resolve();
    });
    server.closeIdleConnections();
  });
}

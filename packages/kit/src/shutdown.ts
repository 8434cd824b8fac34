import type { Logger } from './logger';

/**
 * Graceful shutdown on SIGTERM / SIGINT: runs the steps in order (stop intake, finish or hand back
 * in-flight work, drain NATS, close MongoDB), each bounded by the remaining time, then exits.
 */
export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
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
          Promise.resolve().then(step.run),
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

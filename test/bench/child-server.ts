/**
 * The life of a bench server run as a child process by baseline-process.ts: it says `ready` with
 * its port over the IPC channel, stops once (its own `stop`, then exit 0) on SIGTERM, SIGINT or
 * when the parent goes away, and a failed start exits 1 with the error on stderr.
 */
export function serveAsChild(file: string, port: number, stop: () => Promise<void>): void {
  let stopping = false;
  const once = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', once);
  process.once('SIGINT', once);
  process.once('disconnect', once);
  if (!process.send) throw new Error(`${file} must be started with an IPC channel (baseline-process.ts)`);
  process.send({ type: 'ready', port });
}

export function runChild(what: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

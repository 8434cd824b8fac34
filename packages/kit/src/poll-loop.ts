/**
 * Runs `work` again `intervalMs` after each run settles (never two at once) until stopped; a failed
 * run is reported and the loop goes on. `stop()` resolves once the run in progress has settled.
 */
export interface PollLoop {
  stop(): Promise<void>;
}

export function startPollLoop(work: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void): PollLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = async () => {
    if (stopped) return;
    running = work().then(() => undefined, onError);
    await running;
    if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
  };
  void loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

import { startPollLoop, type PollLoop } from './poll-loop';

/**
 * Background work that one replica at a time does in passes (workspace deletions, bulk jobs): a
 * pass runs only while this replica holds the lease, and looks for work (a query) only when told
 * there may be some — `kick()`, after a pass that found work, or once per `idleMs` as a safety net
 * (a kick missed, a replica that died mid-way) — so an idle installation does not query its
 * database every `intervalMs`. A subclass's `look` does one pass and says whether it found work.
 */
export interface BackgroundPassesOptions {
  /** Whether this replica may run passes now (its lease); absent: always. */
  leading?: () => boolean;
  /** How often a pass may run. */
  intervalMs: number;
  /** How often an idle replica looks for work it was not told of. */
  idleMs: number;
  onError: (err: unknown) => void;
  now?: () => number;
}

export abstract class BackgroundPasses {
  private loop: PollLoop | undefined;
  private running: Promise<void> | null = null;
  /** Work may be waiting: look at the next pass. */
  private wanted = true;
  private lastLook = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: BackgroundPassesOptions) {}

  /** One pass over the work there is; whether there was any. */
  protected abstract look(): Promise<boolean>;

  start(): void {
    this.loop = startPollLoop(() => this.pass(), this.opts.intervalMs, this.opts.onError);
  }

  /** There may be work (just requested here, or announced by another replica): a pass now. */
  kick(): void {
    this.wanted = true;
    void this.pass().catch(this.opts.onError);
  }

  /** One pass, if due; a pass under way is joined, not doubled. */
  pass(): Promise<void> {
    this.running ??= this.runPass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    await this.running?.catch(() => undefined);
  }

  private async runPass(): Promise<void> {
    if (this.opts.leading && !this.opts.leading()) return;
    const now = (this.opts.now ?? Date.now)();
    if (!this.wanted && now - this.lastLook < this.opts.idleMs) return;
    this.wanted = false;
    this.lastLook = now;
    try {
      if (await this.look()) this.wanted = true;
    } catch (err) {
      this.wanted = true; // retried on the next pass
      throw err;
    }
  }
}

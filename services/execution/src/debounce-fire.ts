import { messageIds, type DebounceCommand, type StartCommand } from '@flowgate/contracts';
import { debounceFire } from '@flowgate/core';
import type { Logger, MessageDisposition } from '@flowgate/kit';
import type { DebounceWindows, StoredDebounceWindow } from '@flowgate/store';
import type { DebounceFireOutcome } from './metrics';

/**
 * A debounce window's schedule, due (ADR 0022). The window in NATS KV is the truth, the schedule
 * only names it: moved by a later event → set again for the window's due time; due → marked fired
 * (compare-and-set: an event racing it then opens the next window), its latest start command
 * published (message id = execution id, so a repeat is de-duplicated), the window removed. A crash
 * anywhere in between: the redelivered command finds it fired and publishes again (de-duplicated).
 * The start runs as any start does (the executor begins it from the command; a capped workflow's
 * slot queue takes it on arrival).
 */
export interface DebounceFireDeps {
  windows: Pick<DebounceWindows, 'get' | 'markFired' | 'remove'>;
  sendStart(command: StartCommand, msgId: string): Promise<void>;
  schedule(command: DebounceCommand): Promise<void>;
  logger: Logger;
  /** Counts each handled schedule (flowgate_debounce_fires_total). */
  counted?: (outcome: DebounceFireOutcome) => void;
  now?: () => Date;
}

const MAX_RACES = 16;

export class DebounceFirer {
  private readonly now: () => Date;

  constructor(private readonly deps: DebounceFireDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async handle(cmd: DebounceCommand): Promise<MessageDisposition> {
    const { workspace_id: ws, workflow_id: wf, key_token: token } = cmd;
    for (let race = 0; race < MAX_RACES; race++) {
      const at = await this.deps.windows.get(ws, wf, token);
      const decision = debounceFire(at?.window ?? null, this.now());
      if (decision.kind === 'none' || !at) {
        this.deps.counted?.('stale');
        return 'ack';
      }
      if (decision.kind === 'later') {
        await this.deps.schedule({ ...cmd, due_at: decision.at.toISOString() });
        this.deps.counted?.('moved');
        return 'ack';
      }
      const revision = decision.kind === 'fire' ? await this.deps.windows.markFired(ws, wf, token, at) : at.revision;
      if (revision === null) continue; // an event joined meanwhile: decide again
      await this.publish(at.window);
      await this.deps.windows.remove(ws, wf, token, revision);
      this.deps.counted?.('started');
      return 'ack';
    }
    throw new Error(`debounce window ${ws}.${wf}.${token}: too many concurrent changes`);
  }

  private async publish(window: StoredDebounceWindow): Promise<void> {
    await this.deps.sendStart(window.start, messageIds.start(window.execution_id));
    this.deps.logger.info(
      {
        execution_id: window.execution_id,
        workspace_id: window.start.workspace_id,
        workflow_id: window.start.workflow_id,
        events: window.events,
      },
      'debounce window fired',
    );
  }
}

import type { StartCommand, Subjects, TimerCommand } from '@flowgate/contracts';
import { cancelExecutionTimers, cancelTimer, publishJson, scheduleTimer, type JetStreamClient, type JetStreamManager } from '@flowgate/kit';
import type { ExecutionDoc, LiveExecutions, WorkflowSlots } from '@flowgate/store';
import { publishExecutionEvent } from './events';

/**
 * What the runner needs of its collaborators, so a unit test can hand it fakes
 * (services/execution/test/fakes.ts); production passes the real ones (main.ts).
 */

/** The live state of executions (store LiveExecutions: NATS KV, compare-and-set, group commit into MongoDB). */
export type LiveState = Pick<LiveExecutions, 'peek' | 'get' | 'write' | 'project'>;

/** max_concurrent_executions queues (store WorkflowSlots, NATS KV). */
export type SlotQueues = Pick<WorkflowSlots, 'arrive' | 'leave' | 'all'>;

/** Timers: JetStream message schedules in the commands stream (ADR 0013); cancelling one is a purge. */
export interface Timers {
  /** Sets a timer (setting the same timer id again replaces it). */
  scheduleTimer(command: TimerCommand): Promise<void>;
  cancelTimer(workspaceId: string, timerId: string): Promise<void>;
  /** Every pending timer of one execution, in one purge. */
  cancelExecutionTimers(workspaceId: string, executionId: string): Promise<void>;
}

/** Everything the runner sends over JetStream. */
export interface Messaging extends Timers {
  /** The execution's current status as an event (its id de-duplicates a re-publish). */
  publishEvent(doc: ExecutionDoc): Promise<void>;
  /** A start command to the commands stream, de-duplicated by `msgId`. */
  sendStart(command: StartCommand, msgId: string): Promise<void>;
}

/** The production messaging: kit's publishJson and message schedules. */
export function jetStreamMessaging(js: JetStreamClient, jsm: JetStreamManager, subjects: Subjects): Messaging {
  return {
    publishEvent: (doc) => publishExecutionEvent(js, subjects, doc),
    sendStart: async (command, msgId) => {
      await publishJson(js, subjects.command('start', command.workspace_id), command, msgId);
    },
    scheduleTimer: async (command) => {
      await scheduleTimer(js, subjects, command);
    },
    cancelTimer: async (workspaceId, timerId) => {
      await cancelTimer(jsm, subjects, workspaceId, timerId);
    },
    cancelExecutionTimers: async (workspaceId, executionId) => {
      await cancelExecutionTimers(jsm, subjects, workspaceId, executionId);
    },
  };
}

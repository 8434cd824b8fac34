import { timerCommandSchema, type Subjects, type Timer } from '@flowgate/contracts';
import type { JetStreamManager } from '@flowgate/kit';
import { storedTimersOf, type Collections } from '@flowgate/store';

/**
 * The ListTimers RPC: pending timers of a workspace (or one execution), from both places a timer
 * can be (ADR 0013) — JetStream message schedules in the commands stream (what the executor sets
 * now) and the legacy `timers` collection (what earlier versions stored and this scheduler still
 * fires until it is empty). Sorted by due time, at most `limit` (default 100, max 1 000).
 */
export interface ListTimersDeps {
  store: Collections;
  jsm: JetStreamManager;
  subjects: Subjects;
}

/** The RPC's request (proto3 defaults: '' and 0 for unset fields). */
export interface ListTimersQuery {
  workspaceId: string;
  executionId: string;
  limit: number;
}

export async function listTimers(deps: ListTimersDeps, req: ListTimersQuery): Promise<{ timers: Timer[] }> {
  const limit = Math.min(Math.max(req.limit || 100, 1), 1000);
  const [stored, scheduled] = await Promise.all([
    storedTimersOf(deps.store.timers, req.workspaceId, req.executionId || undefined, limit),
    scheduledTimers(deps, req.workspaceId, req.executionId || undefined, limit),
  ]);
  const timers: Timer[] = [
    ...scheduled,
    ...stored.map((t) => ({
      id: t._id,
      workspaceId: t.workspace_id,
      executionId: t.execution_id,
      kind: t.kind,
      dueAt: t.due_at.toISOString(),
      status: t.status,
    })),
  ];
  timers.sort((a, b) => Date.parse(a.dueAt ?? '') - Date.parse(b.dueAt ?? ''));
  return { timers: timers.slice(0, limit) };
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Pending timer schedules: the subjects under the workspace's (or execution's) filter, each one's schedule message. */
async function scheduledTimers(
  deps: ListTimersDeps,
  workspaceId: string,
  executionId: string | undefined,
  limit: number,
): Promise<Timer[]> {
  // A workspace or execution id that is not a subject token cannot have schedules (and must not widen the filter).
  if (!TOKEN.test(workspaceId) || (executionId !== undefined && !TOKEN.test(executionId))) return [];
  const { subjects } = deps;
  const subjectsFilter =
    executionId === undefined ? subjects.workspaceTimerSchedules(workspaceId) : subjects.executionTimerSchedules(workspaceId, executionId);
  const info = await deps.jsm.streams.info(subjects.commandsStream, { subjects_filter: subjectsFilter });
  const pending = Object.keys(info.state.subjects ?? {}).slice(0, limit);
  const timers = await Promise.all(
    pending.map(async (subject): Promise<Timer | undefined> => {
      // The schedule may fire (and vanish) between the listing and this read.
      const msg = await deps.jsm.streams.getMessage(subjects.commandsStream, { last_by_subj: subject }).catch(() => null);
      if (!msg) return undefined;
      const parsed = timerCommandSchema.safeParse(msg.json());
      if (!parsed.success) return undefined;
      const command = parsed.data;
      return {
        id: command.timer_id,
        workspaceId: command.workspace_id,
        executionId: command.execution_id,
        kind: command.kind,
        dueAt: new Date(command.due_at).toISOString(),
        status: 'pending',
      };
    }),
  );
  return timers.filter((t): t is Timer => t !== undefined);
}

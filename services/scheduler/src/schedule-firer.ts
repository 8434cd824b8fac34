import { createHash } from 'node:crypto';
import { messageIds, startCommand, type Subjects } from '@flowgate/contracts';
import { decideSchedule, type TriggerInput } from '@flowgate/core';
import { publishJson, type JetStreamClient, type Logger } from '@flowgate/kit';
import {
  advanceSchedule,
  countActiveExecutions,
  countQueuedScheduledExecutions,
  deleteSchedule,
  dueSchedules,
  findOwnedWorkflow,
  findWorkspace,
  newExecutionOf,
  recordExecution,
  type Collections,
  type ScheduleDoc,
  isDeletedWorkspace,
} from '@flowgate/store';
import type { Counter } from 'prom-client';

/**
 * Fires due cron schedules while this replica holds the scheduler lease. A fire starts the latest
 * published version with an execution id derived from the workflow and the fire time, so a fire
 * repeated after a crash is the same JetStream message (de-duplicated) and the same execution.
 */
export interface ScheduleFirerDeps {
  store: Collections;
  js: JetStreamClient;
  subjects: Subjects;
  logger: Logger;
  leading: () => boolean;
  fires: Counter<string>;
  now?: () => Date;
}

/** A UUID-shaped id from the workflow and the fire time (the same fire always gets the same id). */
export function scheduledExecutionId(workflowId: string, fireAt: Date): string {
  const h = createHash('sha256').update(`${workflowId}@${fireAt.toISOString()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class ScheduleFirer {
  constructor(private readonly deps: ScheduleFirerDeps) {}

  /** Handles every due schedule once; returns how many were due. */
  async tick(): Promise<number> {
    if (!this.deps.leading()) return 0;
    const now = (this.deps.now ?? (() => new Date()))();
    const due = await dueSchedules(this.deps.store.schedules, now, 100);
    for (const schedule of due) {
      if (!this.deps.leading()) break;
      await this.handle(schedule, now);
    }
    return due.length;
  }

  private async handle(schedule: ScheduleDoc, now: Date): Promise<void> {
    const { store } = this.deps;
    if (!schedule.next_fire_at) return;
    const workflow = await findOwnedWorkflow(store.workflows, schedule.workspace_id, schedule._id);
    // Gone, never published or archived (DELETE /v1/workflows/{id}): the schedule goes, nothing fires.
    if (!workflow || workflow.published_version === null || workflow.archived_at) {
      await deleteSchedule(store.schedules, schedule._id);
      return;
    }
    // A workspace being deleted loses its schedules with its other documents; a suspended one's fire times pass.
    const status = (await findWorkspace(store.workspaces, schedule.workspace_id))?.status ?? 'active';
    if (isDeletedWorkspace(status)) return;
    const [active, queuedScheduled] = await Promise.all([
      countActiveExecutions(store.executions, workflow.workspace_id, workflow._id),
      countQueuedScheduledExecutions(store.executions, workflow.workspace_id, workflow._id),
    ]);
    const spec = { cron: schedule.cron, timezone: schedule.timezone, overlap: schedule.overlap, missed: schedule.missed };
    const decision = decideSchedule(spec, schedule.next_fire_at, now, { active, queuedScheduled, suspended: status === 'suspended' });
    if (decision.action === 'wait') return;
    if (decision.action === 'fire') {
      const executionId = scheduledExecutionId(workflow._id, decision.fireAt);
      const triggerInput: TriggerInput = {
        method: 'SCHEDULE',
        path: '',
        query: {},
        headers: {},
        body: { scheduled_at: decision.fireAt.toISOString(), cron: schedule.cron, timezone: schedule.timezone },
      };
      const command = startCommand({
        execution_id: executionId,
        workspace_id: workflow.workspace_id,
        workflow_id: workflow._id,
        workflow_version: workflow.published_version,
        trigger_input: triggerInput,
        accepted_at: now,
        source: 'schedule',
      });
      await publishJson(this.deps.js, this.deps.subjects.command('start', workflow.workspace_id), command, messageIds.start(executionId));
      await recordExecution(store.executions, newExecutionOf(command));
      this.deps.logger.info(
        { workflow_id: workflow._id, execution_id: executionId, fire_at: decision.fireAt, reason: decision.reason },
        'schedule fired',
      );
    }
    this.deps.fires.inc({ outcome: decision.action === 'fire' ? 'fired' : `skipped_${decision.reason}` });
    await advanceSchedule(store.schedules, schedule, {
      next_fire_at: decision.next,
      ...(decision.action === 'fire' ? { last_fire_at: decision.fireAt } : {}),
      updated_at: now,
    });
  }
}

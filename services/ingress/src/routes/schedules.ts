import { ApiError } from '@flowgate/contracts';
import { nextFireTimes, type ScheduleSpec, type WorkflowDefinition } from '@flowgate/core';
import type { Collections, ScheduleDoc } from '@flowgate/store';
import { Router, type Request } from 'express';
import { workspaceOf } from '../auth';
import type { SchedulerClient } from '../scheduler-client';

/**
 * Cron schedules belong to the scheduler (SchedulerService.UpsertSchedule / DeleteSchedule): a
 * publish hands it the new version's schedule (or removes the old one); the API reads the stored
 * schedule to show the next fire times, and pauses / resumes it through the scheduler.
 */

/** Called after a publish: the schedule of the newly published version replaces the old one. */
export async function syncSchedule(
  store: Collections,
  scheduler: SchedulerClient,
  workspaceId: string,
  workflowId: string,
  def: WorkflowDefinition,
) {
  const spec = def.trigger.schedule;
  if (spec) {
    await scheduler.upsert({ workspaceId, workflowId, ...spec, pause: 'PAUSE_CHANGE_KEEP' });
    return;
  }
  // Only a workflow that had a schedule needs the scheduler (no call, no dependency otherwise).
  if (await store.schedules.findOne({ _id: workflowId, workspace_id: workspaceId }, { projection: { _id: 1 } }))
    await scheduler.delete(workspaceId, workflowId);
}

export function specOf(doc: ScheduleDoc): ScheduleSpec {
  return { cron: doc.cron, timezone: doc.timezone, overlap: doc.overlap, missed: doc.missed };
}

function scheduleView(doc: ScheduleDoc, now: Date) {
  return {
    ...specOf(doc),
    paused: doc.paused,
    next_fire_at: doc.paused ? null : (doc.next_fire_at?.toISOString() ?? null),
    next_fires: doc.paused ? [] : nextFireTimes(specOf(doc), now, 5).map((d) => d.toISOString()),
    last_fire_at: doc.last_fire_at?.toISOString() ?? null,
  };
}

export function scheduleRoutes(deps: { store: Collections; scheduler: SchedulerClient }): Router {
  const router = Router();
  const find = async (req: Request) => {
    const doc = await deps.store.schedules.findOne({ _id: String(req.params.id), workspace_id: workspaceOf(req) });
    if (!doc) throw new ApiError('not_found', 'This workflow has no published schedule');
    return doc;
  };

  router.get('/v1/workflows/:id/schedule', async (req, res) => {
    res.json(scheduleView(await find(req), new Date()));
  });

  router.post('/v1/workflows/:id/schedule/:action', async (req, res) => {
    const action = String(req.params.action);
    if (action !== 'pause' && action !== 'resume') throw new ApiError('not_found', 'Use /schedule/pause or /schedule/resume');
    const doc = await find(req);
    await deps.scheduler.upsert({
      workspaceId: doc.workspace_id,
      workflowId: doc._id,
      pause: action === 'pause' ? 'PAUSE_CHANGE_PAUSE' : 'PAUSE_CHANGE_RESUME',
    });
    const updated = await find(req);
    res.json(scheduleView(updated, new Date()));
  });

  return router;
}

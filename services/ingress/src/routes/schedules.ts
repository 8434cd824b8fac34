import { ApiError } from '@flowgate/contracts';
import { nextFireTimes, type ScheduleSpec, type WorkflowDefinition } from '@flowgate/core';
import { findOwnedSchedule, type Collections, type ScheduleDoc } from '@flowgate/store';
import { z } from 'zod';
import { workspaceOf } from '../auth';
import { route, type RouteTable } from '../http/route';
import { failure, noBody, workflowId } from '../http/schemas';
import { schedule } from '../schemas/workflows';
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
  await stopSchedule(store, scheduler, workspaceId, workflowId);
}

/** Removes a workflow's schedule (a publish without one, an archive); only a workflow that had one needs the scheduler. */
export async function stopSchedule(store: Collections, scheduler: SchedulerClient, workspaceId: string, workflowId: string) {
  if (await findOwnedSchedule(store.schedules, workspaceId, workflowId)) await scheduler.delete(workspaceId, workflowId);
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

const noSchedule = () => new ApiError('not_found', 'This workflow has no published schedule');

export const scheduleSpecs = {
  get: route({
    method: 'get',
    path: '/v1/workflows/{id}/schedule',
    summary: 'The published cron schedule with its next five fire times',
    security: { apiKey: 'workflows:read' },
    params: z.object({ id: workflowId }),
    notFound: { id: noSchedule },
    responses: {
      '200': { description: 'Schedule', schema: schedule },
      '404': failure('The workflow has no published schedule (not_found)'),
    },
  }),
  pauseOrResume: route({
    method: 'post',
    path: '/v1/workflows/{id}/schedule/{action}',
    body: noBody,
    summary: 'Pause or resume the schedule (resuming counts from now: fires during the pause are not run)',
    security: { apiKey: 'workflows:write' },
    params: z.object({ action: z.enum(['pause', 'resume']), id: workflowId }),
    notFound: { action: () => new ApiError('not_found', 'Use /schedule/pause or /schedule/resume'), id: noSchedule },
    responses: {
      '200': { description: 'Schedule', schema: schedule },
      '404': failure('The workflow has no published schedule (not_found)'),
    },
  }),
};

export function scheduleRoutes(table: RouteTable, deps: { store: Collections; scheduler: SchedulerClient }): void {
  const find = async (req: { params: { id: string } }) => {
    const doc = await findOwnedSchedule(deps.store.schedules, workspaceOf(req), req.params.id);
    if (!doc) throw noSchedule();
    return doc;
  };

  table.mount(scheduleSpecs.get, async (req, res) => {
    res.json(scheduleView(await find(req), new Date()));
  });

  table.mount(scheduleSpecs.pauseOrResume, async (req, res) => {
    const { action } = req.params;
    const doc = await find(req);
    await deps.scheduler.upsert({
      workspaceId: doc.workspace_id,
      workflowId: doc._id,
      pause: action === 'pause' ? 'PAUSE_CHANGE_PAUSE' : 'PAUSE_CHANGE_RESUME',
    });
    const updated = await find(req);
    res.json(scheduleView(updated, new Date()));
  });
}

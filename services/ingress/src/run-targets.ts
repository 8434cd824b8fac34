import { ApiError } from '@flowgate/contracts';
import { DRAFT_VERSION, parseStoredDefinition, runTargetFor, type Environment, type WorkflowDefinition } from '@flowgate/core';
import { sha256Hex } from '@flowgate/kit';
import { findOwnedWorkflowVersion, saveWorkflowDraft, type Collections, type WorkflowDoc } from '@flowgate/store';

/** What a start runs: a published version, or a snapshot of the draft (development, test runs). */
export interface RunTarget {
  environment: Environment;
  version: number;
  definition: WorkflowDefinition;
  /** Draft snapshot id (workflow_drafts) when the draft runs; null for a published version. */
  draftId: string | null;
  testRun?: boolean;
  /** Started through a share's webhook (ADR 0017): the execution belongs to the receiver's workspace. */
  share?: { id: string; workspaceId: string };
  /** A replay from a chosen step: the run begins at this step (the command's `replay_from_step`). */
  fromStep?: string;
}

/**
 * Resolves a webhook environment to what it runs. Production: the latest published version;
 * staging: the pinned version; development: the current draft, stored once as an immutable,
 * content-addressed snapshot (the executor loads it like a version, also after waits and timers,
 * while the draft goes on changing). Versions and snapshots never change: cached for good.
 */
const MAX_CACHED = 1_000;

export class RunTargets {
  private readonly definitions = new Map<string, WorkflowDefinition>();

  constructor(private readonly store: Collections) {}

  async resolve(workflow: WorkflowDoc, environment: Environment): Promise<RunTarget> {
    const target = runTargetFor(environment, {
      publishedVersion: workflow.published_version,
      stagingVersion: workflow.staging_version ?? null,
    });
    if (!target.ok) throw new ApiError('workflow_not_published', target.message);
    if (target.kind === 'draft') return { environment, ...(await this.draft(workflow)) };
    return { environment, version: target.version, definition: await this.version(workflow, target.version), draftId: null };
  }

  /**
   * Exactly the version (or draft snapshot) an earlier execution ran, still in its environment: what
   * a replay from a chosen step runs, so the outputs it keeps come from the same definition.
   */
  async pinned(workflow: WorkflowDoc, environment: Environment, version: number, draftId: string | null): Promise<RunTarget> {
    if (draftId) {
      let definition = this.definitions.get(draftId);
      if (!definition) {
        const doc = await findOwnedWorkflowVersion(this.store.workflowDrafts, workflow.workspace_id, draftId);
        const parsed = doc ? parseStoredDefinition(JSON.parse(doc.definition_json)) : null;
        if (!parsed?.ok) throw new ApiError('workflow_not_found', `The draft snapshot ${draftId} the execution ran is gone`);
        definition = parsed.definition;
      }
      return { environment, version: DRAFT_VERSION, definition, draftId };
    }
    return { environment, version, definition: await this.version(workflow, version), draftId: null };
  }

  private async version(workflow: WorkflowDoc, version: number): Promise<WorkflowDefinition> {
    const key = `${workflow._id}:${version}`;
    const cached = this.definitions.get(key);
    if (cached) return cached;
    const doc = await findOwnedWorkflowVersion(this.store.workflowVersions, workflow.workspace_id, key);
    const parsed = doc ? parseStoredDefinition(JSON.parse(doc.definition_json)) : null;
    if (!parsed?.ok) throw new ApiError('internal', 'Workflow version unreadable');
    if (this.definitions.size >= MAX_CACHED) this.definitions.clear();
    this.definitions.set(key, parsed.definition);
    return parsed.definition;
  }

  private async draft(workflow: WorkflowDoc): Promise<{ version: number; definition: WorkflowDefinition; draftId: string }> {
    const draftId = `${workflow._id}:draft:${sha256Hex(workflow.draft_json).slice(0, 32)}`;
    let definition = this.definitions.get(draftId);
    if (!definition) {
      const parsed = parseStoredDefinition(JSON.parse(workflow.draft_json));
      if (!parsed.ok) {
        const summary = parsed.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
        throw new ApiError('invalid_workflow_definition', `The draft is not a valid workflow: ${summary}`, { issues: parsed.issues });
      }
      await saveWorkflowDraft(this.store.workflowDrafts, {
        _id: draftId,
        workspace_id: workflow.workspace_id,
        workflow_id: workflow._id,
        version: DRAFT_VERSION,
        definition_json: workflow.draft_json,
        published_at: new Date(),
      });
      definition = parsed.definition;
      if (this.definitions.size >= MAX_CACHED) this.definitions.clear();
      this.definitions.set(draftId, definition);
    }
    return { version: DRAFT_VERSION, definition, draftId };
  }
}

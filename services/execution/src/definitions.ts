import { parseStoredDefinition, type WorkflowDefinition } from '@flowgate/core';
import { findWorkflowVersion, type Collections } from '@flowgate/store';

/**
 * Published versions and draft snapshots (content-addressed) are immutable, so a loaded definition
 * is cached for good.
 */
export class DefinitionCache {
  private readonly cache = new Map<string, WorkflowDefinition>();

  constructor(private readonly store: Collections) {}

  /** `draftId` set: a development / test run of the draft snapshot with that id. */
  async get(workflowId: string, version: number, draftId?: string | null): Promise<WorkflowDefinition | null> {
    const key = draftId ?? `${workflowId}:${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    // By _id alone (FerretDB scans for any other filter); the snapshot's workflow is checked here.
    const doc = draftId
      ? await findWorkflowVersion(this.store.workflowDrafts, draftId)
      : await findWorkflowVersion(this.store.workflowVersions, key);
    if (!doc || doc.workflow_id !== workflowId) return null;
    const result = parseStoredDefinition(JSON.parse(doc.definition_json));
    if (!result.ok) return null;
    this.cache.set(key, result.definition);
    return result.definition;
  }
}

import type { Environment } from '@flowgate/core';
import { sha256Hex, type SecretBox } from '@flowgate/kit';
import {
  createTrigger,
  environmentsWithTriggers,
  triggersOfWorkflow,
  type Collections,
  type TriggerDoc,
  type WorkflowDoc,
} from '@flowgate/store';

/**
 * One webhook (token) per environment and workflow. Production keeps its random token (made at
 * creation, as before environments). The development and staging tokens are derived from the
 * workflow id with the encryption key (SecretBox.derive), so creating them is an insert of a known
 * id: at creation, or on first view for workflows made before environments, concurrent creators on
 * any replica end with the same single webhook per environment.
 */
const DERIVED: Environment[] = ['development', 'staging'];

function derivedToken(box: SecretBox, workflowId: string, environment: Environment): string {
  return `wh_${box.derive('environment-webhook', `${workflowId}:${environment}`).toString('base64url')}`;
}

/** Makes sure the workflow has its development and staging webhooks; returns the ids of those it inserted. */
export async function ensureEnvironmentTriggers(store: Collections, box: SecretBox, workflow: WorkflowDoc): Promise<string[]> {
  const existing = await environmentsWithTriggers(store.triggers, workflow, DERIVED);
  const inserted: string[] = [];
  for (const environment of DERIVED) {
    if (existing.has(environment)) continue;
    const token = derivedToken(box, workflow._id, environment);
    const id = sha256Hex(token);
    const created = await createTrigger(store.triggers, {
      _id: id,
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      token_sealed: box.encrypt(token),
      enabled: true,
      environment,
      created_at: new Date(),
    });
    if (created) inserted.push(id);
  }
  return inserted;
}

/** Which environment a trigger serves (triggers made before environments: production). */
export function environmentOf(trigger: TriggerDoc): Environment {
  return trigger.environment ?? 'production';
}

/** The workflow's trigger per environment. */
export async function triggersByEnvironment(store: Collections, workflow: WorkflowDoc): Promise<Partial<Record<Environment, TriggerDoc>>> {
  const docs = await triggersOfWorkflow(store.triggers, workflow);
  return {
    production: docs.find((t) => environmentOf(t) === 'production'),
    staging: docs.find((t) => t.environment === 'staging'),
    development: docs.find((t) => t.environment === 'development'),
  };
}

import { unwrap, type components, type FlowgateClient, type Workflow } from '@flowgate/client';
import { CliError } from './exit-codes';

/** API reads the commands share: every workflow (all pages), a workflow by id or name. */
export type DefinitionInput = components['schemas']['WorkflowDefinitionInput'];

export async function allWorkflows(client: FlowgateClient): Promise<Workflow[]> {
  const workflows: Workflow[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(client.GET('/v1/workflows', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    workflows.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return workflows;
}

/** `ref` is a workflow id (wf_…) or a name. */
export async function findWorkflow(client: FlowgateClient, ref: string): Promise<Workflow> {
  const byName = (await allWorkflows(client)).filter((w) => w.name === ref || w.id === ref);
  if (byName.length === 1 && byName[0]) return byName[0];
  if (byName.length > 1) throw new CliError('ambiguous_workflow_name', `${byName.length} workflows are named "${ref}": use an id`);
  throw new CliError('workflow_not_found', `No workflow named or with id "${ref}"`);
}

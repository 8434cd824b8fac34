import { parseDefinitionFile } from '../src/definitions';
import { planApply, renderPlan, type RemoteWorkflow } from '../src/plan';

/** apply's plan: local definitions against remote workflows matched by name. */
const local = (yaml: string, file = 'wf.yaml') => parseDefinitionFile(file, yaml);
const orders = local('name: orders\nsteps:\n  - id: a\n    type: transform\n    expression: "1"\n', 'orders.yaml');
const remote = (over: Partial<RemoteWorkflow>): RemoteWorkflow => ({
  id: 'wf_1',
  name: 'orders',
  definition: orders.normalized,
  published_version: 2,
  ...over,
});

describe('planApply', () => {
  it('creates a workflow no remote one is named like, and publishes it as v1', () => {
    expect(planApply([orders], [remote({ name: 'other' })])).toEqual([
      { name: 'orders', file: 'orders.yaml', action: 'create', publish: true, version: 1 },
    ]);
  });

  it('leaves an equal, published workflow alone (defaults applied before comparing, key order ignored)', () => {
    const reordered = Object.fromEntries(Object.entries(orders.normalized as Record<string, unknown>).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(orders.normalized as object));
    expect(planApply([orders], [remote({ definition: reordered })])).toEqual([
      { name: 'orders', file: 'orders.yaml', action: 'unchanged', workflowId: 'wf_1', publish: false, version: 2 },
    ]);
  });

  it('updates and publishes the next version when the definition changed', () => {
    const changed = local('name: orders\nsteps:\n  - id: a\n    type: transform\n    expression: "2"\n', 'orders.yaml');
    expect(planApply([changed], [remote({})])).toEqual([
      { name: 'orders', file: 'orders.yaml', action: 'update', workflowId: 'wf_1', publish: true, version: 3 },
    ]);
  });

  it('publishes an equal workflow that was never published', () => {
    expect(planApply([orders], [remote({ published_version: null })])[0]).toMatchObject({ action: 'unchanged', publish: true, version: 1 });
  });

  it('refuses a name two remote workflows share', () => {
    expect(() => planApply([orders], [remote({}), remote({ id: 'wf_2' })])).toThrow(/2 workflows are named "orders"/);
  });

  it('renders counts and one line per workflow', () => {
    const text = renderPlan([
      { name: 'orders', file: 'orders.yaml', action: 'create', publish: true, version: 1 },
      { name: 'billing', file: 'billing.yaml', action: 'unchanged', workflowId: 'wf_9', publish: false, version: 4 },
    ]);
    expect(text.split('\n')).toEqual([
      'Plan: 1 to create, 0 to update, 1 unchanged, 1 to publish',
      '  + create    orders   (orders.yaml)  → publish v1',
      '  = unchanged billing  (billing.yaml, wf_9)',
    ]);
  });
});

describe('parseDefinitionFile', () => {
  it('names every invalid field of a definition', () => {
    expect(() => local('name: broken\nsteps: []\n', 'broken.yaml')).toThrow(/broken\.yaml: steps/);
  });

  it('refuses text that is not YAML', () => {
    expect(() => local('name: [unclosed\n', 'bad.yaml')).toThrow(/bad\.yaml: not valid YAML/);
  });
});

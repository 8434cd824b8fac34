import type { ShareDoc, TriggerDoc, WorkflowDoc, WorkspaceDoc } from '@flowgate/store';
import { ConfigCache, type ConfigSource } from '../src/config-cache';

/** The in-memory config of one ingress replica, against a fake source and clock. */
function fakeSource() {
  const triggers = new Map<string, TriggerDoc>();
  const workflows = new Map<string, WorkflowDoc>();
  const workspaces = new Map<string, WorkspaceDoc>();
  const shares = new Map<string, ShareDoc>();
  const reads = { trigger: 0, workflow: 0, production: 0, workspace: 0, share: 0 };
  const source: ConfigSource = {
    trigger: (id) => {
      reads.trigger++;
      return Promise.resolve(triggers.get(id) ?? null);
    },
    workflow: (id) => {
      reads.workflow++;
      return Promise.resolve(workflows.get(id) ?? null);
    },
    productionTrigger: (wf) => {
      reads.production++;
      return Promise.resolve([...triggers.values()].find((t) => t.workflow_id === wf._id && t.environment === 'production') ?? null);
    },
    source: () => Promise.resolve(null),
    subscribers: () => Promise.resolve({ workflows: [], disabled: new Set<string>() }),
    workspace: (id) => {
      reads.workspace++;
      return Promise.resolve(workspaces.get(id) ?? null);
    },
    share: (id) => {
      reads.share++;
      return Promise.resolve(shares.get(id) ?? null);
    },
  };
  return { triggers, workflows, workspaces, shares, reads, source };
}

const trigger = (id: string, workflowId: string, enabled = true, environment: TriggerDoc['environment'] = 'production'): TriggerDoc => ({
  _id: id,
  workspace_id: 'ws',
  workflow_id: workflowId,
  token_sealed: 'sealed',
  enabled,
  environment,
  created_at: new Date(0),
});

const workflow = (id: string, version: number | null = 1, workspaceId = 'ws'): WorkflowDoc => ({
  _id: id,
  workspace_id: workspaceId,
  name: id,
  draft_json: '{}',
  published_version: version,
  created_at: new Date(0),
  updated_at: new Date(0),
});

describe('ConfigCache', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  it('serves repeats from memory, concurrent misses with one read', async () => {
    const f = fakeSource();
    f.triggers.set('t1', trigger('t1', 'wf1'));
    const cache = new ConfigCache(f.source, { maxAgeMs: 60_000, maxEntries: 100 }, now);
    const [a, b] = await Promise.all([cache.trigger('t1'), cache.trigger('t1')]);
    expect(a?._id).toBe('t1');
    expect(b).toBe(a);
    await cache.trigger('t1');
    expect(f.reads.trigger).toBe(1);
  });

  it('drops a workflow, its triggers (also unknown token hashes named by the change) and its production trigger', async () => {
    const f = fakeSource();
    f.triggers.set('t1', trigger('t1', 'wf1'));
    f.workflows.set('wf1', workflow('wf1'));
    const cache = new ConfigCache(f.source, { maxAgeMs: 60_000, maxEntries: 100 }, now);
    expect(await cache.trigger('t2')).toBeNull(); // not created yet
    const wf = await cache.workflow('wf1');
    expect(wf).not.toBeNull();
    expect((await cache.productionTrigger(workflow('wf1')))?._id).toBe('t1');
    await cache.trigger('t1');

    f.triggers.set('t1', trigger('t1', 'wf1', false));
    f.triggers.set('t2', trigger('t2', 'wf1', true, 'staging'));
    f.workflows.set('wf1', workflow('wf1', 2));
    expect((await cache.trigger('t1'))?.enabled).toBe(true); // no change announced yet
    cache.drop('wf1', ['t2']);
    expect((await cache.trigger('t1'))?.enabled).toBe(false);
    expect((await cache.trigger('t2'))?.environment).toBe('staging');
    expect((await cache.workflow('wf1'))?.published_version).toBe(2);
    expect((await cache.productionTrigger(workflow('wf1')))?.enabled).toBe(false);
    expect(f.reads).toEqual({ trigger: 4, workflow: 2, production: 2, workspace: 0, share: 0 });
  });

  it('serves a workspace from memory until its change is announced', async () => {
    const f = fakeSource();
    f.workspaces.set('ws', { _id: 'ws', name: 'A', created_at: new Date(0), status: 'active' });
    const cache = new ConfigCache(f.source, { maxAgeMs: 60_000, maxEntries: 100 }, now);
    expect((await cache.workspace('ws'))?.status).toBe('active');
    f.workspaces.set('ws', { _id: 'ws', name: 'A', created_at: new Date(0), status: 'suspended' });
    expect((await cache.workspace('ws'))?.status).toBe('active');
    expect(await cache.workspace('nope')).toBeNull();
    cache.dropWorkspace('ws');
    expect((await cache.workspace('ws'))?.status).toBe('suspended');
    expect(f.reads.workspace).toBe(3);
  });

  it('reads again past the max age, and after clear()', async () => {
    const f = fakeSource();
    f.workflows.set('wf1', workflow('wf1'));
    const cache = new ConfigCache(f.source, { maxAgeMs: 1_000, maxEntries: 100 }, now);
    await cache.workflow('wf1');
    clock = 999;
    await cache.workflow('wf1');
    expect(f.reads.workflow).toBe(1);
    clock = 1_000;
    await cache.workflow('wf1');
    expect(f.reads.workflow).toBe(2);
    cache.clear();
    await cache.workflow('wf1');
    expect(f.reads.workflow).toBe(3);
  });

  it('a read in flight when the change arrives answers its waiters but is not kept', async () => {
    let release: (doc: WorkflowDoc) => void = () => undefined;
    let reads = 0;
    const source: ConfigSource = {
      ...fakeSource().source,
      workflow: () => {
        reads++;
        return reads === 1 ? new Promise<WorkflowDoc>((resolve) => (release = resolve)) : Promise.resolve(workflow('wf1', 2));
      },
    };
    const cache = new ConfigCache(source, { maxAgeMs: 60_000, maxEntries: 100 }, now);
    const first = cache.workflow('wf1');
    cache.drop('wf1');
    release(workflow('wf1', 1));
    expect((await first)?.published_version).toBe(1);
    expect((await cache.workflow('wf1'))?.published_version).toBe(2);
  });

  it('keeps at most maxEntries per kind (the oldest go first), forgets failed reads, and ignores another workspace’s production trigger', async () => {
    const f = fakeSource();
    for (const id of ['a', 'b', 'c']) f.workflows.set(id, workflow(id));
    const cache = new ConfigCache(f.source, { maxAgeMs: 60_000, maxEntries: 2 }, now);
    await cache.workflow('a');
    await cache.workflow('b');
    await cache.workflow('c'); // evicts a
    await cache.workflow('b');
    expect(f.reads.workflow).toBe(3);
    await cache.workflow('a');
    expect(f.reads.workflow).toBe(4);

    let fail = true;
    const flaky: ConfigSource = {
      ...f.source,
      trigger: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve(trigger('t9', 'wf9'))),
    };
    const other = new ConfigCache(flaky, { maxAgeMs: 60_000, maxEntries: 10 }, now);
    await expect(other.trigger('t9')).rejects.toThrow('down');
    fail = false;
    expect((await other.trigger('t9'))?._id).toBe('t9');

    f.triggers.set('tx', { ...trigger('tx', 'wfx'), workspace_id: 'other' });
    expect(await cache.productionTrigger(workflow('wfx'))).toBeNull();
  });
  it('drops fan-out subscriber lists on any workflow change of their workspace, and a source on its own change', async () => {
    let lists = 0;
    let sources = 0;
    const source: ConfigSource = {
      ...fakeSource().source,
      source: (hash) => {
        sources++;
        return Promise.resolve({
          _id: 'src_1',
          workspace_id: 'ws',
          name: 's',
          token_hash: hash,
          token_sealed: 'x',
          created_at: new Date(0),
          updated_at: new Date(0),
        });
      },
      subscribers: () => {
        lists++;
        return Promise.resolve({ workflows: [workflow('wf1')], disabled: new Set<string>() });
      },
    };
    const cache = new ConfigCache(source, { maxAgeMs: 60_000, maxEntries: 100 }, now);
    await cache.subscribers('ws', 'src_1');
    await cache.subscribers('other', 'src_1');
    await cache.source('h1');
    cache.drop('wf-unrelated', [], 'other');
    await cache.subscribers('ws', 'src_1');
    expect(lists).toBe(2);
    await cache.subscribers('other', 'src_1');
    expect(lists).toBe(3);
    cache.drop('wf1', [], 'ws');
    await cache.subscribers('ws', 'src_1');
    expect(lists).toBe(4);
    await cache.source('h1');
    expect(sources).toBe(1);
    cache.dropSource('ws', 'src_1', 'h1');
    await cache.source('h1');
    await cache.subscribers('ws', 'src_1');
    expect({ sources, lists }).toEqual({ sources: 2, lists: 5 });
  });

  it("serves a share from memory until its change drops it and the receiver's trigger", async () => {
    const f = fakeSource();
    const share: ShareDoc = {
      _id: 'shr_1',
      workspace_id: 'ws',
      workflow_id: 'wf1',
      receiver_workspace_id: 'ws2',
      trigger_id: 'tb',
      created_at: new Date(0),
      revoked_at: null,
    };
    f.shares.set('shr_1', share);
    f.triggers.set('tb', { ...trigger('tb', 'wf1'), workspace_id: 'ws2', share_id: 'shr_1' });
    const cache = new ConfigCache(f.source, { maxAgeMs: 60_000, maxEntries: 100 }, now);
    await cache.share('shr_1');
    await cache.trigger('tb');
    f.shares.set('shr_1', { ...share, revoked_at: new Date(1) });
    f.triggers.delete('tb');
    expect((await cache.share('shr_1'))?.revoked_at).toBeNull(); // from memory
    expect(f.reads).toMatchObject({ share: 1, trigger: 1 });
    cache.dropShare('shr_1', ['tb']);
    expect((await cache.share('shr_1'))?.revoked_at).toEqual(new Date(1));
    expect(await cache.trigger('tb')).toBeNull();
    expect(f.reads).toMatchObject({ share: 2, trigger: 2 });
  });
});

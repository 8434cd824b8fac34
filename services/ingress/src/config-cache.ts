import { randomUUID } from 'node:crypto';
import { CONFIG_WORKFLOW, configChangedSchema, type ConfigChanged, type Subjects } from '@flowgate/contracts';
import type { JetStreamClient, Logger, NatsConnection } from '@flowgate/kit';
import { productionTriggerFilter, type Collections, type TriggerDoc, type WorkflowDoc } from '@flowgate/store';

/**
 * Webhook configuration served from memory (ADR 0012): every ingress replica keeps the triggers it
 * was asked for (by token hash, also "not found"), the workflows behind them and each workflow's
 * production trigger (it holds every environment's secrets). Published versions and draft
 * snapshots are immutable and cached by RunTargets.
 *
 * Kept current through NATS: every write of a workflow or a trigger calls `ConfigChanges.changed`,
 * which drops this replica's entries at once and publishes `<prefix>.evt.config.workflow`; every
 * replica drops the same entries when the event arrives (well under a second) and reloads them on
 * next use. A lost event cannot leave a replica stale for long: on a NATS disconnect or reconnect
 * (events may have been missed) the whole cache is dropped, and no entry is served older than
 * `maxAgeMs` (FLOWGATE_CONFIG_CACHE_MAX_AGE_MS).
 */
export interface ConfigCacheOptions {
  maxAgeMs: number;
  maxEntries: number;
}

interface Entry<T> {
  value: Promise<T>;
  loadedAt: number;
}

/** A bounded map of promises with a max age; the oldest entries go first when it is full. */
class AgedMap<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly opts: ConfigCacheOptions,
    private readonly now: () => number,
  ) {}

  /** The cached value, else `load()` (one load per key at a time; a failed load is not kept). */
  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.loadedAt < this.opts.maxAgeMs) return hit.value;
    if (hit) this.entries.delete(key);
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const entry: Entry<T> = { value: load(), loadedAt: this.now() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  delete(key: string): void {
    // A load in flight when the change arrived resolves for the requests already waiting on it
    // (they raced the write) but is no longer cached: the next request reads the new state.
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Where a miss reads from: MongoDB (`storeConfigSource`), or a fake in unit tests. */
export interface ConfigSource {
  trigger(id: string): Promise<TriggerDoc | null>;
  workflow(id: string): Promise<WorkflowDoc | null>;
  /** The workflow's production trigger (any workspace check is the cache's). */
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null>;
}

/**
 * MongoDB reads by `_id` alone (no scan on any server); the production trigger of a workflow made
 * before ADR 0012 (no `production_trigger_id`) by filter, a scan on FerretDB once per max age.
 */
export function storeConfigSource(store: Collections): ConfigSource {
  return {
    trigger: (id) => store.triggers.findOne({ _id: id }),
    workflow: (id) => store.workflows.findOne({ _id: id }),
    productionTrigger: (workflow) =>
      workflow.production_trigger_id
        ? store.triggers.findOne({ _id: workflow.production_trigger_id })
        : store.triggers.findOne(productionTriggerFilter(workflow._id, workflow.workspace_id)),
  };
}

export class ConfigCache {
  private readonly triggers: AgedMap<TriggerDoc | null>;
  private readonly workflows: AgedMap<WorkflowDoc | null>;
  private readonly productionTriggers: AgedMap<TriggerDoc | null>;
  /** Token hashes cached per workflow, to drop them all when the workflow changes. */
  private readonly triggersOf = new Map<string, Set<string>>();

  constructor(
    private readonly source: ConfigSource,
    opts: ConfigCacheOptions,
    now: () => number = Date.now,
  ) {
    this.triggers = new AgedMap(opts, now);
    this.workflows = new AgedMap(opts, now);
    this.productionTriggers = new AgedMap(opts, now);
  }

  /** The trigger of a webhook token (by its hash, the trigger's `_id`), or null. */
  trigger(tokenHash: string): Promise<TriggerDoc | null> {
    return this.triggers.get(tokenHash, async () => {
      const doc = await this.source.trigger(tokenHash);
      if (doc) this.remember(doc.workflow_id, doc._id);
      return doc;
    });
  }

  /** A workflow by `_id`; the caller checks the workspace. */
  workflow(id: string): Promise<WorkflowDoc | null> {
    return this.workflows.get(id, () => this.source.workflow(id));
  }

  /** The workflow's production trigger (it holds the secrets of every environment's webhook), or null. */
  productionTrigger(workflow: WorkflowDoc): Promise<TriggerDoc | null> {
    return this.productionTriggers.get(workflow._id, async () => {
      const doc = await this.source.productionTrigger(workflow);
      const own = doc?.workspace_id === workflow.workspace_id && doc.workflow_id === workflow._id ? doc : null;
      if (own) this.remember(workflow._id, own._id);
      return own;
    });
  }

  /** Drops what is cached of a workflow, its triggers and the given token hashes. */
  drop(workflowId: string, triggerIds: readonly string[] = []): void {
    this.workflows.delete(workflowId);
    this.productionTriggers.delete(workflowId);
    for (const id of this.triggersOf.get(workflowId) ?? []) this.triggers.delete(id);
    this.triggersOf.delete(workflowId);
    for (const id of triggerIds) this.triggers.delete(id);
  }

  clear(): void {
    this.triggers.clear();
    this.workflows.clear();
    this.productionTriggers.clear();
    this.triggersOf.clear();
  }

  get size(): number {
    return this.triggers.size + this.workflows.size + this.productionTriggers.size;
  }

  private remember(workflowId: string, triggerId: string): void {
    let ids = this.triggersOf.get(workflowId);
    if (!ids) {
      // Bounded like the entries: past the limit the index starts over (stale ids only cost a no-op delete).
      if (this.triggersOf.size >= 100_000) this.triggersOf.clear();
      ids = new Set();
      this.triggersOf.set(workflowId, ids);
    }
    ids.add(triggerId);
  }
}

/**
 * Announces configuration writes: drops this replica's cache synchronously (so its next request
 * sees the write), then publishes the event through JetStream (acknowledged; it also lands in the
 * events stream) for the other replicas. A publish that fails is logged: the write stands, and the
 * other replicas pick it up within the cache's max age.
 */
export class ConfigChanges {
  readonly origin = randomUUID();

  constructor(
    private readonly deps: { js: JetStreamClient; subjects: Subjects; logger: Logger; cache: ConfigCache; publishTimeoutMs: number },
  ) {}

  async changed(workflow: { _id: string; workspace_id: string }, triggerIds: readonly string[] = []): Promise<void> {
    this.deps.cache.drop(workflow._id, triggerIds);
    const event: ConfigChanged = {
      type: 'workflow_changed',
      workspace_id: workflow.workspace_id,
      workflow_id: workflow._id,
      trigger_ids: [...triggerIds],
      origin: this.origin,
      changed_at: new Date().toISOString(),
    };
    try {
      await this.deps.js.publish(this.deps.subjects.configEvent(CONFIG_WORKFLOW), JSON.stringify(event), {
        timeout: this.deps.publishTimeoutMs,
      });
    } catch (err) {
      this.deps.logger.warn(
        { err, workflow_id: workflow._id },
        'config change event not published; other replicas catch up within the cache max age',
      );
    }
  }
}

/**
 * Keeps a replica's cache current: a core NATS subscription to the config events (every replica
 * gets every event; the events stream keeps them too), and a full drop whenever the connection was
 * interrupted, since events published meanwhile never arrive.
 */
export function followConfigChanges(nc: NatsConnection, subjects: Subjects, cache: ConfigCache, logger: Logger): { stop(): void } {
  const sub = nc.subscribe(subjects.configEvent(CONFIG_WORKFLOW), {
    callback: (err, msg) => {
      if (err) {
        logger.warn({ err }, 'config events subscription failed; cache dropped');
        cache.clear();
        return;
      }
      let parsed: ReturnType<typeof configChangedSchema.safeParse>;
      try {
        parsed = configChangedSchema.safeParse(msg.json());
      } catch {
        parsed = configChangedSchema.safeParse(null);
      }
      if (!parsed.success) {
        logger.warn({ subject: msg.subject }, 'unreadable config event; cache dropped');
        cache.clear();
        return;
      }
      cache.drop(parsed.data.workflow_id, parsed.data.trigger_ids);
    },
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        cache.clear();
        logger.info({ nats: status.type }, 'config cache dropped (config events may have been missed)');
      }
    }
  })().catch(() => undefined);
  return { stop: () => sub.unsubscribe() };
}

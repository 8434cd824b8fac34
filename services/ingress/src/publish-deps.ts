import type { Subjects } from '@flowgate/contracts';
import type { JetStreamClient, Logger } from '@flowgate/kit';
import type { Collections, LiveExecutions, WorkflowSlots } from '@flowgate/store';

/** What a part of the ingress needs to publish a command to JetStream and answer with status URLs. */
export interface PublishDeps {
  store: Collections;
  /** Live executions (NATS KV): an accepted execution is made live at once, so its status URL answers. */
  live: LiveExecutions;
  /** max_concurrent_executions queues: a capped workflow's accepted execution takes its place in arrival order. */
  slots: WorkflowSlots;
  js: JetStreamClient;
  subjects: Subjects;
  publicUrl: string;
  publishTimeoutMs: number;
  logger: Logger;
}

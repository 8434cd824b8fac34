import type { Stack } from '../support/stack';

/**
 * How long after a service reports ready its start-up work is done: the ingress's background passes
 * (workspace deletions, bulk jobs) look for work left by a crash once it holds their leases, on
 * their first 2 s poll, and each look is a query that filters on `status` (a scan on FerretDB). Later
 * looks come only when another replica announces work, or once a minute as a safety net.
 */
export const START_UP_WORK_MS = 5_000;

/**
 * Waits, if need be, until the stack's services have been ready for START_UP_WORK_MS: a measured
 * part then counts the steady state of the hot path, not the services' start-up looks.
 */
export async function afterStartUp(stack: Stack): Promise<void> {
  const readyAt = stack.lastReadyAt();
  if (readyAt === null) return;
  const wait = readyAt + START_UP_WORK_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

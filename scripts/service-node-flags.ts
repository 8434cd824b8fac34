/**
 * The node flags a service process starts with, wherever this repository starts one (`pnpm dev`,
 * the test Stack and so `pnpm bench`); deploy/Dockerfile's ENTRYPOINT carries the same.
 *
 * - `--enable-source-maps`: stack traces name the TypeScript sources of the bundles.
 * - `--heap-growing-percent=150`: after each full GC V8 lets the old generation grow to 2.5 times what
 *   survived, instead of up to four times. Not a cap: the heap limit stays V8's default (derived from
 *   the host's or the container's memory), so a burst still gets the memory it needs. On a host with
 *   no memory limit V8 picks its largest heap limit and with it its most lenient growth, so the
 *   services' peak RSS was mostly garbage waiting for the next full GC: a live heap of 45–65 MB after
 *   a full GC, an old generation of 190–245 MB before the next one (`--trace-gc`). 2.5 times keeps
 *   the peaks under 250 MB at the same CPU per step; twice cost the executor ~5 % CPU per step and
 *   1.5 times the ingress ~12 % of its accepted webhooks/s (ADR 0014, amendment on peak RSS).
 * - `--max-semi-space-size=32` (MB; V8's default here is 16): a request's or an execution's objects
 *   mostly die young, and a young generation twice as large lets them die there instead of being
 *   promoted and collected by full GCs. Measured (`pnpm bench:profile`, two pairs of runs): async
 *   accept 1 114–1 143 → 1 221–1 245 webhooks/s with the ingress's CPU per webhook 0.62–0.64 →
 *   0.55 ms; one-step e2e 571–591 → 589–610 executions/s; peak RSS +30–35 MB (ingress 224–230 →
 *   254–263 MB). 64 MB took the peaks to ~300 MB for no further gain (ADR 0030).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--enable-source-maps', '--heap-growing-percent=150', '--max-semi-space-size=32'];

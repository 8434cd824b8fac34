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
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--enable-source-maps', '--heap-growing-percent=150'];

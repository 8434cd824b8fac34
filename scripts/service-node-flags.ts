/**
 * The node flags a service process starts with, wherever this repository starts one (`pnpm dev`,
 * the test Stack and so `pnpm bench`); deploy/Dockerfile's ENTRYPOINT carries the same.
 *
 * - `--enable-source-maps`: stack traces name the TypeScript sources of the bundles.
 * - `--heap-growing-percent=100`: after each full GC V8 lets the old generation grow to twice what
 *   survived, instead of up to four times. Not a cap: the heap limit stays V8's default (derived from
 *   the host's or the container's memory). On a host with no memory limit V8 picks its largest heap
 *   limit and with it its most lenient growth, so the services' peak RSS was mostly garbage waiting
 *   for the next full GC: a live heap of 45–65 MB after a full GC, an old generation of 190–245 MB
 *   before the next one (`--trace-gc`). Twice the live heap keeps the peaks near 200 MB at the same
 *   throughput (ADR 0014, "Peak RSS"); 1.5 times cost the accept path ~12 % of its webhooks/s.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--enable-source-maps', '--heap-growing-percent=100'];

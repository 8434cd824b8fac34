/**
 * Exit codes (ADR 0028): 0 done; 1 the API (or the network, or a file) refused; 2 a usage error
 * (unknown command or option, a missing argument, no URL or API key configured); 3 the execution
 * followed (`logs -f`, `fire --sync`) ended other than succeeded (failed, cancelled, timed_out).
 */
export const EXIT = { ok: 0, error: 1, usage: 2, executionFailed: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A refusal of the CLI itself, in Flowgate's error shape, with the exit code it ends with. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError('usage_error', message, EXIT.usage);

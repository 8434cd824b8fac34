/**
 * Where the CLI writes: results on stdout (text, or JSON with `--output json`), progress and errors
 * on stderr, so `flowgate … -o json | jq` reads results only. Nothing here ever writes an API key.
 */
export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly streams: Streams = process,
  ) {}

  /** A result: `text` in text mode, `value` as JSON with --output json. */
  result(text: string, value: unknown): void {
    this.streams.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  }

  /** A result with no JSON form of its own (e.g. streamed lines); in JSON mode, one JSON line. */
  line(text: string, value?: unknown): void {
    if (this.json) {
      if (value !== undefined) this.streams.stdout.write(`${JSON.stringify(value)}\n`);
    } else this.streams.stdout.write(`${text}\n`);
  }

  progress(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  error(text: string, value: unknown): void {
    this.streams.stderr.write(this.json ? `${JSON.stringify(value)}\n` : `flowgate: ${text}\n`);
  }
}

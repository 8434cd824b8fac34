import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Teardown for the benchmark: everything started registers how to stop it; `run` stops it all in
 * reverse order, once, each step bounded by a timeout, carrying on past failures.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => unknown }[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: (line: string) => void,
    private readonly stepTimeoutMs = 45_000,
  ) {}

  add(name: string, run: () => unknown): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.run),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
            }),
          ]);
        } catch (err) {
          this.log(`cleanup: ${step.name} failed: ${(err as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}

/** Copies every *.log under `from` (servers, services, baseline) to `to`, keeping relative paths. */
export function preserveLogs(from: string, to: string): number {
  let copied = 0;
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.log')) {
        const target = join(to, relative(from, path));
        mkdirSync(join(target, '..'), { recursive: true });
        copyFileSync(path, target);
        copied += 1;
      }
    }
  };
  walk(from, 0);
  return copied;
}

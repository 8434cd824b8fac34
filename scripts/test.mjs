#!/usr/bin/env node
// `pnpm test`: jest in two passes. First the whole suite on its workers, without the tests that
// run a machine's worth of processes (a three-node NATS cluster, two replicas of every service);
// then those, one at a time, alone — beside other suites they starve them (and each other) of the
// two cores, and timing-bound tests elsewhere fail. Arguments go to jest; with test path patterns
// given it is one jest run as usual. `--json --outputFile=F` writes one merged result to F.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test files that run alone, after the rest (paths relative to the repository). */
const ALONE = ['test/e2e/nats-cluster.test.ts', 'test/e2e/rolling-restart.test.ts'];

const args = process.argv.slice(2);
const jest = (extra) => spawnSync('jest', extra, { stdio: 'inherit', shell: false }).status ?? 1;

const takesValue = new Set(['--outputFile', '-t', '--testNamePattern', '--config', '-c', '--maxWorkers', '-w', '--shard']);
const patterns = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg.startsWith('-')) {
    if (takesValue.has(arg)) i++;
    continue;
  }
  patterns.push(arg);
}
if (patterns.length > 0) process.exit(jest(args));

const outputArg = args.find((a) => a.startsWith('--outputFile='));
const output = outputArg?.slice('--outputFile='.length);
const rest = args.filter((a) => a !== outputArg);
const dir = mkdtempSync(join(tmpdir(), 'flowgate-jest-'));
const files = [join(dir, 'suite.json'), join(dir, 'alone.json')];
const alone = `(${ALONE.map((p) => p.replace(/[.]/g, '\\.')).join('|')})`;

const first = jest([...rest, ...(output ? [`--outputFile=${files[0]}`] : []), `--testPathIgnorePatterns=${alone}`]);
const second = jest([...rest, ...(output ? [`--outputFile=${files[1]}`] : []), '--runInBand', '--passWithNoTests', alone]);

if (output) {
  const results = files.map((f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8'));
    } catch {
      return null;
    }
  });
  const sum = (key) => results.reduce((n, r) => n + (r?.[key] ?? 0), 0);
  const merged = {
    ...(results[0] ?? {}),
    numTotalTests: sum('numTotalTests'),
    numPassedTests: sum('numPassedTests'),
    numFailedTests: sum('numFailedTests'),
    numPendingTests: sum('numPendingTests'),
    numTotalTestSuites: sum('numTotalTestSuites'),
    numPassedTestSuites: sum('numPassedTestSuites'),
    numFailedTestSuites: sum('numFailedTestSuites'),
    // A pass that wrote no result (jest itself failed) counts as a failed suite.
    numRuntimeErrorTestSuites: sum('numRuntimeErrorTestSuites') + results.filter((r) => r === null).length,
    success: results.every((r) => r?.success === true),
    testResults: results.flatMap((r) => r?.testResults ?? []),
  };
  writeFileSync(output, JSON.stringify(merged));
}
process.exit(first !== 0 ? first : second);

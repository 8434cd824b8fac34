import { FlowgateApiError } from '@flowgate/client';
import { Command, CommanderError, Option } from 'commander';
import { apply, exportWorkflows, getWorkflows } from './commands/workflows';
import { cancel, describeExecution, fire, follow, getExecutions, replay } from './commands/executions';
import { login } from './commands/login';
import { Context, type GlobalOptions } from './context';
import { CliError, EXIT, usageError } from './exit-codes';
import { Output } from './output';

/**
 * The `flowgate` command line (commander): each action gets a Context (global options, output,
 * the API) and resolves with its exit code; `run` maps refusals to exit codes (exit-codes.ts) and
 * prints them in Flowgate's error shape.
 */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command('flowgate')
    .description('Flowgate from the terminal: workflows as files in git, executions and their timelines')
    .option('--url <url>', 'the Flowgate ingress URL (default: FLOWGATE_URL, then the one flowgate login saved)')
    .addOption(new Option('-o, --output <format>', 'text (default) or json').choices(['text', 'json']))
    .showHelpAfterError()
    .exitOverride();

  const act =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<number | void>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const ctx = new Context(command.optsWithGlobals<GlobalOptions>());
      done((await action(ctx, ...(args.slice(0, -1) as A))) ?? EXIT.ok);
    };

  program
    .command('login')
    .description('check an API key and save URL and key (mode 0600) in $FLOWGATE_CONFIG_DIR or ~/.config/flowgate')
    .option('--api-key-stdin', 'read the API key from stdin (else FLOWGATE_API_KEY)')
    .action(act((ctx, options: { apiKeyStdin?: boolean }) => login(ctx, options)));

  program
    .command('apply')
    .description('create or update workflows from YAML/JSON files (by name), publishing the changed ones; prints the plan first')
    .requiredOption('-f, --filename <path...>', 'a definition file or a folder of them')
    .option('--dry-run', 'print the plan only')
    .action(act((ctx, options: { filename: string[]; dryRun?: boolean }) => apply(ctx, options)));

  program
    .command('export')
    .description('write workflow definitions (drafts) as YAML')
    .argument('[workflows...]', 'names or ids (default: all)')
    .option('-d, --dir <folder>', 'one <name>.yaml per workflow in this folder (default: stdout)')
    .action(act((ctx, names: string[], options: { dir?: string }) => exportWorkflows(ctx, names, options)));

  const get = program.command('get').description('list workflows or executions');
  get
    .command('workflows')
    .description('list workflows')
    .action(act((ctx) => getWorkflows(ctx)));
  get
    .command('executions')
    .description('list executions, newest first')
    .option('-w, --workflow <name|id>', 'only this workflow’s')
    .option('-s, --status <status>', 'only those with this status')
    .option('-l, --limit <n>', 'how many (1–100, default 20)')
    .action(act((ctx, options: { workflow?: string; status?: string; limit?: string }) => getExecutions(ctx, options)));

  const describe = program.command('describe').description('show one resource in detail');
  describe
    .command('execution')
    .description('the step timeline of an execution: attempts, status, durations, errors, what it waits for')
    .argument('<id>', 'execution id')
    .action(act((ctx, id: string) => describeExecution(ctx, id)));

  program
    .command('logs')
    .description('print an execution’s steps and status changes; -f follows it live until it ends (exit 3 unless it succeeded)')
    .argument('<id>', 'execution id')
    .option('-f, --follow', 'follow until it ends')
    .action(
      act(async (ctx, id: string, options: { follow?: boolean }) => {
        if (options.follow) return follow(ctx, id);
        await describeExecution(ctx, id);
      }),
    );

  program
    .command('fire')
    .description('POST to a workflow’s production webhook; --sync follows the execution until it ends (exit 3 unless it succeeded)')
    .argument('<workflow>', 'name or id')
    .option('--sync', 'wait for the end and print the output')
    .option('-d, --data <json|@file>', 'the body: JSON text, or @file (default {})')
    .option('-H, --header <header...>', 'extra headers, "Name: value" (webhook auth)')
    .action(act((ctx, ref: string, options: { sync?: boolean; data?: string; header?: string[] }) => fire(ctx, ref, options)));

  program
    .command('replay')
    .description('start a new execution with the same trigger input (--from-step: from that step, earlier outputs kept)')
    .argument('<id>', 'execution id')
    .option('--from-step <step>', 'begin at this step')
    .action(act((ctx, id: string, options: { fromStep?: string }) => replay(ctx, id, options)));

  program
    .command('cancel')
    .description('cancel a queued, running or waiting execution')
    .argument('<id>', 'execution id')
    .action(act((ctx, id: string) => cancel(ctx, id)));

  return program;
}

/** Runs the CLI on `argv` (user arguments only); resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  // Errors before (or in) parsing still honour -o json.
  const json = argv.some(
    (arg, i) => arg === '--output=json' || arg === '-ojson' || ((arg === '-o' || arg === '--output') && argv[i + 1] === 'json'),
  );
  try {
    if (argv.length === 0) throw usageError('a command is needed; see flowgate --help');
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    const out = new Output(json);
    if (err instanceof CommanderError) {
      // Help and --version end with exit 0; commander printed the usage problem already.
      if (err.exitCode === 0) return EXIT.ok;
      if (json) out.error(err.message, { error: { code: 'usage_error', message: err.message } });
      return EXIT.usage;
    }
    if (err instanceof FlowgateApiError) {
      out.error(`${err.code}: ${err.message}`, err.toJSON());
      return EXIT.error;
    }
    if (err instanceof CliError) {
      out.error(`${err.code}: ${err.message}`, {
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    out.error(`internal_error: ${message}`, { error: { code: 'internal_error', message } });
    return EXIT.error;
  }
}

/**
 * The `xc` command line: global options, one thin file per command, and the
 * one place where errors become exit codes (SPEC §7). `main` never calls
 * process.exit: the bin sets the exit code once stdout has drained.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { resolveOptions, type Flags } from '../config.js';
import { ExitCode, InvalidInputError } from '../errors.js';
import { createXc } from '../xc.js';
import { createOutput, type Output } from './output.js';
import type { Action, CommandContext } from './context.js';
import { registerInit } from './commands/init.js';
import { registerNew } from './commands/new.js';
import { registerPlan } from './commands/plan.js';
import { registerApply } from './commands/apply.js';
import { registerBackfill } from './commands/backfill.js';
import { registerContract } from './commands/contract.js';
import { registerRollback } from './commands/rollback.js';
import { registerStatus } from './commands/status.js';
import { registerLevel } from './commands/level.js';
import { registerCheck } from './commands/check.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDemo } from './commands/demo.js';

export type { Action, CommandContext };

/** Global option → config key (commander camel-cases the flag to the same name). */
const GLOBAL_OPTIONS: Array<[flags: string, description: string]> = [
  ['--url <url>', 'database URL (postgres://, mysql://, mariadb://, pglite://PATH); env XC_DATABASE_URL, DATABASE_URL'],
  ['--knexfile <path>', 'read the connection from a knexfile'],
  ['--env <name>', 'environment: the knexfile section (default NODE_ENV or development) and, for deploy/check, the deployment\'s environment'],
  ['--dir <dir>', 'migrations folder; env XC_MIGRATIONS_DIR (default ./migrations)'],
  ['--schema <name>', "PostgreSQL: schema of the application's tables, exactly as written (default: the connection's search_path); its state is kept in xc_<name>"],
  ['--json', 'JSON lines on stdout; the last line is the result'],
  ['--lock-timeout <ms>', 'lock timeout of each DDL statement (default 1000)'],
  ['--lock-retry-for <ms>', 'retry DDL that could not get its lock for this long (default 60000)'],
  ['--wait-lock <seconds>', 'wait this long for another xc to finish instead of exiting 4'],
  ['--allow-drift', 'accept applied migration files that changed since'],
  ['--allow-missing', 'accept migrations the database has run whose files are not in --dir (a folder partial on purpose)'],
  ['--batch-time <ms>', 'target duration of a backfill batch (default 200)'],
  ['--batch-size <n>', 'pin the backfill batch size'],
  ['--batch-delay <ms>', 'pause between backfill batches (default 0)'],
  ['--max-rows-per-second <n>', 'cap the backfill rate'],
  ['--parallel <n>', 'walk each backfill, fill and verify in n parts at once (tables with a single integer key; default 2, PGlite 1)'],
  ['--max-load <n>', 'pause the backfill while more than n sessions are running a statement (MySQL Threads_running, PostgreSQL active backends)'],
  ['--instance-ttl <ms>', 'an instance is live while its last heartbeat is younger than this (default 60000)'],
];
const FLAG_KEYS = ['url', 'knexfile', 'env', 'dir', 'schema', 'json', 'lockTimeout', 'lockRetryFor', 'waitLock', 'allowDrift', 'allowMissing',
  'batchTime', 'batchSize', 'batchDelay', 'maxRowsPerSecond', 'parallel', 'maxLoad', 'instanceTtl'] as const;

function packageVersion(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js both sit two levels below package.json.
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function flagsOf(cmd: Command): Flags {
  const all = cmd.optsWithGlobals() as Record<string, string | boolean | undefined>;
  return Object.fromEntries(FLAG_KEYS.map((k) => [k, all[k]]).filter(([, v]) => v !== undefined));
}

/** Before settings are resolved (usage and config errors), --json / XC_JSON still decide the error's form. */
function jsonRequested(argv: string[]): boolean {
  const beforeDashes = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  return beforeDashes.includes('--json') || /^(1|true|yes|on)$/i.test(process.env.XC_JSON ?? '');
}

export function buildProgram(action: Action): Command {
  const program = new Command('xc')
    .description('zero-downtime schema changes: expand → dual-write → backfill → contract')
    // Not commander's .version(): its --version would swallow `deploy record --version V` (program options parse anywhere).
    .option('-V, --xc-version', 'output the version number')
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError();
  for (const [flags, description] of GLOBAL_OPTIONS) program.option(flags, description);
  registerInit(program, action);
  registerNew(program, action);
  registerPlan(program, action);
  registerApply(program, action);
  registerBackfill(program, action);
  registerContract(program, action);
  registerRollback(program, action);
  registerStatus(program, action);
  registerLevel(program, action);
  registerCheck(program, action);
  registerDeploy(program, action);
  registerDemo(program, action);
  return program;
}

/** Run `xc` with `argv` (as in process.argv: node, script, args...). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 3 && ['-V', '--version', '--xc-version'].includes(argv[2]!)) {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  let out: Output | undefined;
  const usageErrors: string[] = [];

  const action: Action = <A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<void>) => async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const options = await resolveOptions(flagsOf(cmd), process.env, process.cwd());
    out = createOutput({ json: options.json });
    // SIGINT / SIGTERM: finish the statement or batch under way, record it, print the result line; a second one ends at once.
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      stop.abort(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const xc = createXc({ ...options, onEvent: (e) => out!.event(e), signal: stop.signal });
    try {
      // Commander passes the declared arguments, then the options object, then the Command.
      await handler({ options, out, xc }, ...(args.slice(0, -1) as A));
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      await xc.close();
    }
  };

  const program = buildProgram(action);
  // Commander reports usage errors through these; we print them ourselves with exit code 2.
  const commanderOutput = {
    writeOut: (s: string) => void process.stdout.write(s),
    writeErr: (s: string) => void process.stderr.write(s),
    outputError: (s: string) => void usageErrors.push(s.replace(/^error: /, '').trim()),
  };
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput(commanderOutput);
    cmd.commands.forEach(configure);
  };
  configure(program);

  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.ok; // --help, --version
      const message = usageErrors.join('\n') || (err.code === 'commander.help' ? 'no command given; see xc --help' : err.message);
      const output = out ?? createOutput({ json: jsonRequested(argv) });
      output.error(new InvalidInputError(message));
      output.note('see xc --help');
      return ExitCode.invalidInput;
    }
    return (out ?? createOutput({ json: jsonRequested(argv) })).error(err);
  }
}

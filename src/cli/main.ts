/**
 * The `xc` command line: global options, one thin file per command, and the
 * one place where errors become exit codes (SPEC §7). `main` never calls
 * process.exit: the bin sets the exit code once stdout has drained.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { Flags } from '../config.js';
import { ExitCode, InvalidInputError } from '../errors.js';
import { DURATION_EXAMPLES, flagAttribute, flagOf, OPTION_KEYS, OPTIONS, saysTrue, type OptionSpec } from '../options.js';
import { createOutput, type Output } from './output.js';
import { helpConfiguration } from './help.js';
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
import { registerLint } from './commands/lint.js';
import { registerCheck } from './commands/check.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDemo } from './commands/demo.js';
import { registerLog } from './commands/log.js';
import { registerFleet } from './commands/fleet.js';

export type { Action, CommandContext };

function packageVersion(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js both sit two levels below package.json.
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function flagsOf(cmd: Command): Flags {
  const all = cmd.optsWithGlobals() as Record<string, string | boolean | string[] | undefined>;
  return Object.fromEntries(OPTION_KEYS.map((k) => [k, all[flagAttribute(k)]]).filter(([, v]) => v !== undefined));
}

/** xc's commands: a word naming one starts it (what comes after is its own). */
const COMMANDS = new Set(['init', 'new', 'plan', 'apply', 'backfill', 'contract', 'rollback', 'status', 'check', 'deploy', 'level', 'log', 'fleet', 'lint', 'demo', 'help']);

/** Commands that change nothing in the database (plan: not even the state tables). */
const READ_ONLY = new Set(['plan', 'status', 'check', 'log', 'level', 'lint', 'deploy list', 'fleet status', 'fleet check']);

/** `deploy record` for that command: its name under xc's. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Before settings are resolved (usage and config errors), --json / XC_JSON still decide the error's form. */
function jsonRequested(argv: string[]): boolean {
  const beforeDashes = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  return beforeDashes.includes('--json') || OPTIONS.json.env.some((name) => saysTrue(process.env[name]));
}

export function buildProgram(action: Action): Command {
  const program = new Command('xc')
    .description('zero-downtime schema changes: expand → dual-write → backfill → contract')
    // Not commander's .version(): its --version would swallow `deploy record --version V`; main() answers a lone -V (help.ts shows it).
    .configureHelp(helpConfiguration)
    .showSuggestionAfterError();
  // The settings' flags, help and defaults come from the registry (options.ts); commander camel-cases each flag back to its key.
  for (const key of OPTION_KEYS) {
    const spec: OptionSpec = OPTIONS[key];
    if (spec.commands) continue; // a command's own flag: that command declares it
    const { flags, description } = flagOf(key);
    // A list's flag is given once per value (--replica A --replica B).
    if (spec.kind === 'list') program.option(flags, description, (v: string, all: string[] = []) => [...all, v]);
    else program.option(flags, description);
  }
  // --env parses anywhere (program options do), hidden: on a command that does not declare it, the knexfile section
  // (compatibility, config.ts); a command that declares it (deploy record: the deployment environment) gets the value.
  program.addOption(new Option(flagOf('env').flags).hideHelp());
  program.hook('preAction', (_, leaf) => {
    const env: unknown = program.getOptionValue('env');
    if (env !== undefined && leaf.options.some((o) => o.long === '--env')) leaf.setOptionValueWithSource('env', env, 'cli');
    swallowedFlag(program, leaf);
  });
  program.addHelpText('afterAll', `\nDurations take a unit (${DURATION_EXAMPLES}); a bare number is in the unit its flag's help names.`);
  registerInit(program, action);
  registerNew(program, action);
  registerPlan(program, action);
  registerApply(program, action);
  registerBackfill(program, action);
  registerContract(program, action);
  registerRollback(program, action);
  registerStatus(program, action);
  registerLevel(program, action);
  registerLint(program, action);
  registerCheck(program, action);
  registerDeploy(program, action);
  registerLog(program, action);
  registerFleet(program, action);
  registerDemo(program, action);
  return program;
}

/** What a flag left without its value is told (swallowedFlag, flagWithoutValue). */
const swallowed = (flag: string, value: string) => `${flag} was given no value: it took the next word, ${value}, which is a flag of its own (an empty shell variable?)`;

/**
 * A flag left without its value takes the next word, even another flag: `--env $UNSET --json` (the variable unset)
 * recorded a deployment in environment "--json" (campaign D). A value that is one of the command's own flags is refused.
 */
function swallowedFlag(program: Command, leaf: Command): void {
  const flags = new Set([...program.options, ...leaf.options].flatMap((o) => (o.long ? [o.long] : [])));
  for (const cmd of [program, leaf]) {
    for (const o of cmd.options) {
      const value: unknown = cmd.getOptionValue(o.attributeName());
      if (typeof value === 'string' && flags.has(value.split('=')[0]!)) {
        throw new InvalidInputError(swallowed(o.long!, value), { flag: o.long }, { code: 'invalid_usage' });
      }
    }
  }
}

/**
 * A flag of one value given twice (`--url A … --url B`, `deploy record --version v3 --version v4`): commander keeps
 * the last, silently — a pipeline that appends a flag to a command line already holding it would act on the other
 * value. Refused, without the values (a URL holds a password). A list's flag is given once per value.
 */
function givenTwice(leaf: Command, argv: string[]): void {
  const args = argv.slice(2);
  const words = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined);
  for (let cmd: Command | null = leaf; cmd; cmd = cmd.parent) {
    for (const o of cmd.options) {
      if (!o.long || !(o.required || o.optional) || Array.isArray(cmd.getOptionValue(o.attributeName()))) continue;
      const times = words.filter((w) => w === o.long || w.startsWith(`${o.long}=`)).length;
      if (times > 1) throw new InvalidInputError(`${o.long} was given ${times} times: give it once`, { flag: o.long }, { code: 'invalid_usage' });
    }
  }
}

/**
 * A command's own flag given before the command's name (`xc --app shop deploy record`, `xc deploy --version v4
 * record`): commander says "unknown option '--version' (Did you mean --version?)" (campaign AF). Names the commands
 * that take it and where it goes.
 */
function flagOfAnotherCommand(program: Command, err: CommanderError, args: string[]): string | undefined {
  const flag = err.code === 'commander.unknownOption' ? /unknown option '([^'=]+)/.exec(err.message)?.[1] : undefined;
  if (flag === undefined) return undefined;
  const all: string[] = [];
  const visit = (cmd: Command) => {
    if (cmd !== program && cmd.options.some((o) => o.long === flag || o.short === flag)) all.push(commandPath(cmd));
    cmd.commands.forEach(visit);
  };
  visit(program);
  // The command the line names, if it takes the flag; else every one that does.
  const named = all.filter((path) => path.split(' ').every((word) => args.includes(word)));
  const owners = (named.length > 0 ? named : all).map((path) => `xc ${path}`);
  if (owners.length === 0) return undefined;
  return `unknown option '${flag}' here: it is an option of ${owners.join(', ')} — give it after the command's name (${owners[0]} ${flag} …)`;
}

/**
 * A usage error commander found after a flag took the next flag as its value (`deploy record --url $EMPTY --dir d`:
 * "too many arguments for 'record'", campaign AU): named as swallowedFlag names it once parsing succeeds.
 */
function flagWithoutValue(program: Command, args: string[]): string | undefined {
  const options: Option[] = [];
  const visit = (cmd: Command) => {
    options.push(...cmd.options);
    cmd.commands.forEach(visit);
  };
  visit(program);
  const flags = new Set(options.flatMap((o) => (o.long ? [o.long] : [])));
  const taking = new Set(options.flatMap((o) => (o.long && (o.required || o.optional) ? [o.long] : [])));
  const at = args.findIndex((a, i) => taking.has(a) && flags.has(args[i + 1]?.split('=')[0] ?? ''));
  return at < 0 ? undefined : swallowed(args[at]!, args[at + 1]!);
}

/** Run `xc` with `argv` (as in process.argv: node, script, args...). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // A version flag before any command, beside other flags (`xc --json --version`) too: said "unknown option '--version'
  // (Did you mean --version?)" (campaign AC). After a command it is that command's (`deploy record --version V`).
  const args = argv.slice(2);
  if (args.some((a) => ['-V', '--version', '--xc-version'].includes(a)) && !args.some((a) => COMMANDS.has(a))) {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  let out: Output | undefined;
  // A command may end with its own exit code (xc fleet: its targets' outcome) after printing its result.
  let commandExit: number = ExitCode.ok;
  const usageErrors: string[] = [];

  const action: Action = <A extends unknown[]>(handler: (ctx: CommandContext, ...args: A) => Promise<void | number>, use?: { library: false }) => async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    givenTwice(cmd, argv);
    // Loaded here, not at the top: --help, --version and usage errors need neither the config reader nor the library (start-up cost).
    const { resolveOptions } = await import('../config.js');
    const options = await resolveOptions(flagsOf(cmd), process.env, process.cwd(), commandPath(cmd));
    out = createOutput({ json: options.json });
    for (const note of options.notes) out.note(`note: ${note}`);
    // SIGINT / SIGTERM: finish the statement or batch under way, record it, print the result line; a second one ends at once.
    // A command that changes nothing has nothing to finish: it ends at once (campaign AA: `timeout 120 xc plan` waited
    // minutes for a plan-time read to end).
    const stop = new AbortController();
    const changesNothing = READ_ONLY.has(commandPath(cmd)) || (cmd.opts() as { dryRun?: boolean }).dryRun === true;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted || changesNothing) process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      stop.abort(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const xc = use?.library === false ? undefined : (await import('../xc.js')).createXc({ ...options, onEvent: (e) => out!.event(e), signal: stop.signal });
    try {
      // Commander passes the declared arguments, then the options object, then the Command. Without the library, no xc (LocalContext).
      commandExit = (await handler({ options, out, xc: xc!, signal: stop.signal }, ...(args.slice(0, -1) as A))) ?? ExitCode.ok;
    } finally {
      // Taken off only once the pool is closed: a signal while it closes finds the work done and changes no exit code
      // (stop 56's CI: contract died of a SIGINT that came with its last phase, the handler already gone).
      await xc?.close();
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
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
    return commandExit;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.ok; // --help, --version
      const message = flagOfAnotherCommand(program, err, args) ?? flagWithoutValue(program, args) ?? (usageErrors.join('\n') || (err.code === 'commander.help' ? 'no command given; see xc --help' : err.message));
      const output = out ?? createOutput({ json: jsonRequested(argv) });
      output.error(new InvalidInputError(message, {}, { code: 'invalid_usage' }));
      output.note('see xc --help');
      return ExitCode.invalidInput;
    }
    return (out ?? createOutput({ json: jsonRequested(argv) })).error(err);
  }
}

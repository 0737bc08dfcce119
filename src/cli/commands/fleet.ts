/** `xc fleet apply|contract|status|check`: one command on every database of --targets, --concurrency at a time (README "Many databases"). */
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../../errors.js';
import { flagOf } from '../../options.js';
import type { FleetOptions, FleetResult } from '../../fleet/api.js';
import type { LocalContext } from '../context.js';
import type { Action } from '../context.js';
import { noteFleet, printFleetResult, printFleetTarget } from '../printFleet.js';

/** A fleet command: its targets, its own flags, and a call of the fleet; the exit code is the fleet's (0 only when every target is ok). */
function fleetCommand<A extends unknown[]>(
  parent: Command,
  action: Action,
  name: string,
  description: string,
  call: (fleet: import('../../fleet/api.js').Fleet, ctx: LocalContext, ...args: A) => Promise<FleetResult<unknown>>,
): Command {
  return parent
    .command(name)
    .description(description)
    .option(flagOf('targets').flags, flagOf('targets').description)
    .option(flagOf('concurrency').flags, flagOf('concurrency').description)
    .action(action(async (ctx: LocalContext, ...args: A) => {
      const { options, out, signal } = ctx;
      if (!options.targets) throw new InvalidInputError('xc fleet needs its targets: --targets FILE (or XC_TARGETS, or the config key targets)', {}, { code: 'invalid_usage' });
      // Loaded here: `xc --help` and the other commands never load the library (start-up time).
      const { createFleet, readTargets } = await import('../../fleet/index.js');
      const targets = await readTargets(options.targets);
      // Each target has its own connection; the one of the settings (url, knexEnv) is not the fleet's. A knexfile is the targets' default.
      const { url: _url, knexEnv: _knexEnv, targets: _file, concurrency, ...shared } = options;
      const fleetOptions: FleetOptions = { ...shared, targets, concurrency, signal, onEvent: (e) => out.result(e, (p) => printFleetTarget(p, e)) };
      const result = await call(createFleet(fleetOptions), ctx, ...args);
      out.result(result, (p) => printFleetResult(p, result));
      noteFleet(out, result);
      return result.exitCode;
    }, { library: false }));
}

/**
 * The connection settings of one database have no meaning for a fleet, whose connections are its targets'. From the
 * environment or a config they are ignored (a pipeline's DATABASE_URL is no mistake), but given on the command line
 * they are refused: `xc fleet apply --url X` reads as "apply on X", which the fleet would not do.
 */
const NOT_FOR_A_FLEET = ['url', 'knexEnv'] as const;

export function registerFleet(program: Command, action: Action): void {
  const fleet = program.command('fleet').description('run apply, contract, status or check on every database of --targets, --concurrency at a time');
  fleet.hook('preAction', () => {
    const given = NOT_FOR_A_FLEET.filter((key) => program.getOptionValueSource(key) === 'cli').map((key) => flagOf(key).flags.split(' ')[0]);
    if (given.length) {
      throw new InvalidInputError(`${given.join(' and ')} cannot be given to xc fleet: each target has its own connection, from --targets FILE (a line \`NAME URL\`, or an entry { name, knexEnv })`, { flags: given }, { code: 'invalid_usage' });
    }
  });
  fleetCommand(fleet, action, 'apply', 'expand and backfill pending migrations on every target', (f, _ctx, id: string | undefined, o: { to?: 'expand' | 'backfill'; dryRun?: boolean }) =>
    f.apply({ id, to: o.to, dryRun: o.dryRun === true }))
    .argument('[id]', 'apply up to this migration (default: all)')
    .addOption(new Option('--to <phase>', 'stop after this phase').choices(['expand', 'backfill']))
    .option('--dry-run', 'plan on every target instead; changes nothing');
  fleetCommand(fleet, action, 'contract', 'contract backfilled migrations on every target, each behind its own deploy gate', (f, _ctx, id: string | undefined, o: { force?: boolean; reason?: string }) =>
    f.contract({ id, force: o.force === true, reason: o.reason }))
    .argument('[id]', 'contract up to this migration (default: every backfilled one)')
    .option('--force', 'contract despite the deploy gate (needs --reason; logged on each target)')
    .option('--reason <text>', 'why the gate is overridden, for the event log');
  fleetCommand(fleet, action, 'status', 'each target\'s migrations, and how many targets are at each phase', (f) => f.status());
  fleetCommand(fleet, action, 'check', 'pre-deploy gate on every target: exit 0 only if the build may go live on each', (f, { options }, o: { version: string; level?: string; apply?: boolean }) =>
    f.check({ app: options.app!, version: o.version, level: o.level, apply: o.apply === true }))
    .option(flagOf('app').flags, flagOf('app').description)
    .requiredOption('--version <version>', 'the version about to be deployed')
    .option('--level <id>', 'schema level of that build (default: `xc level` of --dir)')
    .option('--apply', 'first expand and backfill every migration up to that level, on each target');
  const deploy = fleet.command('deploy').description('record or retire a deployment on every target (each target\'s gate reads its own)');
  const [app, env] = [flagOf('app'), flagOf('env')];
  fleetCommand(deploy, action, 'record', 'version V of app A is live, on every target', (f, { options }, o: { version: string; level?: string }) =>
    f.deploy.record({ app: options.app!, version: o.version, env: options.env, level: o.level }))
    .option(app.flags, app.description)
    .requiredOption('--version <version>', 'the version now live')
    .option(env.flags, env.description)
    .option('--level <id>', 'schema level of that build (default: on each target, the newest migration at least backfilled)');
  fleetCommand(deploy, action, 'retire', 'version V of app A is gone, on every target; exit 2 where it is not live', (f, { options }, o: { version: string }) =>
    f.deploy.retire({ app: options.app!, version: o.version, env: options.env }))
    .option(app.flags, app.description)
    .requiredOption('--version <version>', 'the version that is gone')
    .option(env.flags, env.description);
}

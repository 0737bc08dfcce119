/**
 * `xc deploy record|retire|list`: what the pipeline says is live, for the deploy gate.
 * `--app` and `--env` (the deployment environment) are settings (options.ts): a config key or env variable may give them.
 */
import type { Command } from 'commander';
import { flagOf } from '../../options.js';
import type { Action } from '../context.js';
import { printDeployments } from '../tables.js';

interface DeployFlags {
  version: string;
  level?: string;
}

export function registerDeploy(program: Command, action: Action): void {
  const [app, env] = [flagOf('app'), flagOf('env')];
  const deploy = program.command('deploy').description('record which application versions are live (the deploy gate reads this)');
  deploy
    .command('record')
    .description('version V of app A is live (after a rollout)')
    .option(app.flags, app.description)
    .requiredOption('--version <version>', 'the version now live')
    .option(env.flags, env.description)
    .option('--level <id>', 'schema level of that build: a migration id of --dir or the state (default: the newest migration at least backfilled)')
    .action(action(async ({ xc, out, options }, o: DeployFlags) => {
      const r = await xc.deploy.record({ app: options.app!, version: o.version, env: options.env, level: o.level });
      if (r.warning) out.note(`warning: ${r.warning}`); // in --json, the result's "warning"
      const d = r.deployment;
      out.result(r, (p) => p.line(`recorded ${p.c.bold(`${d.app}@${d.version}`)}${d.env ? ` (${d.env})` : ''} live at level ${d.level ?? p.c.red('unknown')}${d.buildLevel !== undefined ? ` (build ${d.buildLevel})` : ''}`));
    }));
  deploy
    .command('retire')
    .description('version V of app A is gone (its last instance stopped); exit 2 if it is not live')
    .option(app.flags, app.description)
    .requiredOption('--version <version>', 'the version that is gone')
    .option(env.flags, env.description)
    .action(action(async ({ xc, out, options }, o: DeployFlags) => {
      const r = await xc.deploy.retire({ app: options.app!, version: o.version, env: options.env });
      out.result(r, (p) => p.line(`retired ${options.app!.trim()}@${o.version.trim()}`)); // as stored: trimmed
    }));
  deploy
    .command('list')
    .description('deployments, live instances and application sessions')
    .option(env.flags, env.description)
    .action(action(async ({ xc, out, options }) => {
      const r = await xc.deploy.list({ env: options.env });
      if (r.warning) out.note(`warning: ${r.warning}`); // in --json, the result's "warning"
      out.result(r, (p) => printDeployments(p, r));
    }));
}

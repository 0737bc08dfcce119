/**
 * `xc deploy record|retire|list`: what the pipeline says is live, for the deploy gate.
 * The environment is the global `--env NAME` (one name for the knexfile section and the deployment).
 */
import type { Command } from 'commander';
import type { DeployListResult } from '../../api.js';
import type { Action } from '../context.js';
import type { Printer } from '../output.js';

interface DeployFlags {
  app?: string;
  version?: string;
  level?: string;
}

export function registerDeploy(program: Command, action: Action): void {
  const deploy = program.command('deploy').description('record which application versions are live (the deploy gate reads this)');
  deploy
    .command('record')
    .description('version V of app A is live (after a rollout)')
    .requiredOption('--app <name>', 'application name')
    .requiredOption('--version <version>', 'the version now live')
    .option('--level <id>', 'schema level of that build: a migration id of --dir or the state (default: the newest migration at least backfilled)')
    .action(action(async ({ xc, out, options }, o: DeployFlags) => {
      const r = await xc.deploy.record({ app: o.app!, version: o.version!, env: options.knexEnv, level: o.level });
      if (r.warning) out.note(`warning: ${r.warning}`); // in --json, the result's "warning"
      const d = r.deployment;
      out.result(r, (p) => p.line(`recorded ${p.c.bold(`${d.app}@${d.version}`)}${d.env ? ` (${d.env})` : ''} live at level ${d.level ?? p.c.red('unknown')}`));
    }));
  deploy
    .command('retire')
    .description('version V of app A is gone (its last instance stopped); exit 2 if it is not live')
    .requiredOption('--app <name>', 'application name')
    .requiredOption('--version <version>', 'the version that is gone')
    .action(action(async ({ xc, out, options }, o: DeployFlags) => {
      const r = await xc.deploy.retire({ app: o.app!, version: o.version!, env: options.knexEnv });
      out.result(r, (p) => p.line(`retired ${o.app}@${o.version}`));
    }));
  deploy
    .command('list')
    .description('deployments, live instances and application sessions')
    .action(action(async ({ xc, out }) => {
      const r = await xc.deploy.list();
      out.result(r, (p) => printDeployments(p, r));
    }));
}

function printDeployments(p: Printer, r: DeployListResult): void {
  if (r.deployments.length + r.instances.length + r.sessions.length === 0) return p.line('nothing recorded');
  for (const d of r.deployments) {
    const state = d.retiredAt ? p.c.dim(`retired ${d.retiredAt}`) : p.c.green('live');
    p.line(`deployment  ${`${d.app}@${d.version}`.padEnd(24)} ${(d.env || '-').padEnd(12)} level ${(d.level ?? 'unknown').padEnd(24)} ${state}`);
  }
  for (const i of r.instances) p.line(`instance    ${`${i.app}@${i.version}`.padEnd(24)} ${(i.env || '-').padEnd(12)} level ${(i.level ?? 'unknown').padEnd(24)} ${i.host ?? ''} pid ${i.pid ?? '?'}, beat ${i.lastBeatSecondsAgo}s ago`);
  for (const s of r.sessions) p.line(`session     ${s.app}@${s.version}`);
}

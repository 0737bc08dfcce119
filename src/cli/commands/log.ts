/** `xc log`: the event log — who ran what and when, forced steps with their reason and the blockers they overrode. */
import type { Command } from 'commander';
import { parseLimit } from '../../state/logQuery.js';
import type { Action } from '../context.js';
import { printLog } from '../printLog.js';

interface LogFlags {
  migration?: string;
  since?: string;
  limit?: number;
}

export function registerLog(program: Command, action: Action): void {
  program
    .command('log')
    .description('show the event log, oldest first: who ran what, when; forced steps with their reason and what they overrode')
    .option('--migration <id>', "only this migration's events")
    .option('--since <when>', 'only events since then: an ISO 8601 date or time (UTC unless it has an offset) or a span back (90m, 2h, 7d)')
    .option('--limit <n>', 'only the newest N events', (v: string) => parseLimit(v))
    .action(action(async ({ xc, out }, o: LogFlags) => {
      const result = await xc.log({ migration: o.migration, since: o.since, limit: o.limit });
      out.result(result, (p) => printLog(p, result));
    }));
}

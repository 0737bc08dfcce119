/**
 * The PostgreSQL dialect with its DDL builders loaded up front, for callers that build one themselves (tests, bench).
 * detectDialect takes the core (core.ts), whose builders load when a command plans (start-up time).
 */
import * as ddlKit from './ddlKit.js';
import { PostgresDialect as PostgresCore } from './core.js';

export { quotePg } from './text.js';

export class PostgresDialect extends PostgresCore {
  constructor(opts: { concurrentIndexes: boolean; schema?: string }) {
    super(opts, ddlKit);
  }
}

/**
 * The MySQL/MariaDB dialect with its DDL builders loaded up front, for callers that build one themselves (tests,
 * bench). detectDialect takes the core (core.ts), whose builders load when a command plans (start-up time).
 */
import * as ddlKit from './ddlKit.js';
import { MysqlDialect as MysqlCore } from './core.js';

export { parseServerVersion, quoteMy } from './core.js';

export class MysqlDialect extends MysqlCore {
  constructor(serverVersion: string) {
    super(serverVersion, ddlKit);
  }
}

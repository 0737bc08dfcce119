/**
 * Where xc keeps its state on MySQL/MariaDB: tables prefixed `xc_` in the
 * target database (SPEC §4). Binary collation: ids sort and compare exactly
 * as in JavaScript. DATETIME has no zone, so times are read back in UTC.
 */
import type { StateColumnAdded } from '../dialect.js';
import { quoteMy } from './expr.js';

export const mysqlStateTable = (name: string): string => quoteMy(`xc_${name}`);

/**
 * DATETIME has no zone, and CURRENT_TIMESTAMP is the writing session's local time: a heartbeat written through an
 * application pool whose sessions `SET time_zone = '-05:00'` read as five hours old in xc's session, and a live
 * instance as gone. So every state time is written in the server's global zone, whatever the session's (what
 * CURRENT_TIMESTAMP gave any session that kept the default, so rows written before read as they did), and read
 * from it into UTC. CONVERT_TZ takes `SYSTEM`; a named global zone has its time zone tables loaded.
 */
export const MYSQL_STATE_NOW = `CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', @@global.time_zone)`;
export const mysqlStateTime = (column: string): string => `DATE_FORMAT(CONVERT_TZ(${column}, @@global.time_zone, '+00:00'), '%Y-%m-%dT%H:%i:%s.%fZ')`;

/** Columns the state tables got after their first version (in the CREATE TABLEs below too): see PG_STATE_COLUMNS_ADDED. */
export const MYSQL_STATE_COLUMNS_ADDED: StateColumnAdded[] = [
  { table: 'deployments', column: 'build_level', type: 'VARCHAR(255)' },
  { table: 'deployments', column: 'first_recorded_at', type: 'VARCHAR(32)' },
  { table: 'instances', column: 'build_level', type: 'VARCHAR(255)' },
  { table: 'instances', column: 'ttl_ms', type: 'BIGINT' },
];

export function mysqlStateSchema(): string[] {
  const t = mysqlStateTable;
  const at = 'DATETIME(6) NULL';
  const now = 'DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)';
  const opts = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';
  return [
    `CREATE TABLE IF NOT EXISTS ${t('migrations')} (
      id VARCHAR(255) NOT NULL PRIMARY KEY, checksum VARCHAR(255) NOT NULL, description TEXT, phase VARCHAR(32) NOT NULL,
      definition LONGTEXT NOT NULL, plan LONGTEXT, last_error LONGTEXT,
      expanding_at ${at}, dual_write_at ${at}, backfilling_at ${at}, backfilled_at ${at},
      contracting_at ${at}, contracted_at ${at}, rolling_back_at ${at}, rolled_back_at ${at},
      updated_at ${now}) ${opts}`,
    `CREATE TABLE IF NOT EXISTS ${t('steps')} (
      migration_id VARCHAR(255) NOT NULL, phase VARCHAR(32) NOT NULL, seq INT NOT NULL, description TEXT NOT NULL,
      statement LONGTEXT NOT NULL, status VARCHAR(16) NOT NULL, started_at ${at}, done_at ${at},
      PRIMARY KEY (migration_id, phase, seq)) ${opts}`,
    `CREATE TABLE IF NOT EXISTS ${t('backfill')} (
      migration_id VARCHAR(255) NOT NULL, seq INT NOT NULL, part INT NOT NULL DEFAULT 0, table_name VARCHAR(255) NOT NULL,
      position LONGTEXT, upper_bound LONGTEXT, done BIGINT NOT NULL DEFAULT 0, total BIGINT NOT NULL DEFAULT 0, batch_size INT,
      finished_at ${at}, updated_at ${now},
      PRIMARY KEY (migration_id, seq, part)) ${opts}`,
    `CREATE TABLE IF NOT EXISTS ${t('events')} (
      id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, at ${now}, migration_id VARCHAR(255), actor TEXT NOT NULL,
      command TEXT NOT NULL, event TEXT NOT NULL, reason TEXT, detail LONGTEXT) ${opts}`,
    `CREATE TABLE IF NOT EXISTS ${t('deployments')} (
      app VARCHAR(191) NOT NULL, env VARCHAR(191) NOT NULL DEFAULT '', version VARCHAR(191) NOT NULL, level VARCHAR(255), build_level VARCHAR(255),
      recorded_at ${now}, retired_at ${at}, actor TEXT, first_recorded_at VARCHAR(32),
      PRIMARY KEY (app, env, version)) ${opts}`,
    `CREATE TABLE IF NOT EXISTS ${t('instances')} (
      id VARCHAR(255) NOT NULL PRIMARY KEY, app VARCHAR(255) NOT NULL, version VARCHAR(255) NOT NULL, env VARCHAR(255) NOT NULL DEFAULT '',
      level VARCHAR(255), build_level VARCHAR(255), host VARCHAR(255), pid INT, started_at ${now},
      last_beat_at ${now}, stopped_at ${at}, ttl_ms BIGINT) ${opts}`,
  ];
}

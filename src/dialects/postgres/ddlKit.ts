/** PostgreSQL's DDL builders, loaded together when a command plans (PostgresDialect.loadDdl). */
export { createPostgresDdl } from './ddl.js';
export { pgConvertTrigger, pgFillTrigger, pgSyncTrigger, readsSessionSettings } from './triggers.js';

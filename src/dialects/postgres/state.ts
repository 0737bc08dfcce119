/**
 * Where xc keeps its state on PostgreSQL: one state schema per target schema.
 *
 * A database may hold the same tables in several schemas (a schema per
 * tenant), migrated one by one with `--schema`. Each gets its own
 * migrations, journal, cursors, events, deployments and instances, in a
 * state schema of its own, so one tenant's migrations are never taken for
 * another's: without --schema (or with the default, `public`) that is `xc`,
 * as it always was; with `--schema S` it is `xc_S`. The advisory lock is
 * taken per state schema too: tenants migrate in parallel (a fleet of
 * tenant schemas is not serialised behind one long backfill), while two xc
 * on the same schema still exclude each other.
 *
 * Each plan records the schema its unqualified names resolved to
 * (current_schema()), so a state written for other tables than this
 * connection's is refused (exit 2) instead of read as up to date: a pool or
 * knexfile whose search_path moved, or state that an older xc kept in `xc`
 * while run with --schema. Plans recorded before this have no schema and are
 * trusted where they are.
 */
import type { Session } from '../../db/driver.js';
import { InvalidInputError } from '../../errors.js';
import type { StateColumnAdded } from '../dialect.js';
import { nameLength } from '../names.js';
import { doBlock, literal, PG_NAMES, quotePg } from './text.js';

export const DEFAULT_STATE_SCHEMA = 'xc';
/** The schema a target of `--schema public` shares its state with: the one PostgreSQL creates tables in by default. */
const DEFAULT_TARGET = 'public';
const quote = quotePg;
const MAX_NAME_BYTES = PG_NAMES.maxLength;

/** The state schema of the tables in `target` (`--schema`; none: the connection's search_path). */
export function stateSchemaFor(target: string | undefined): string {
  return target === undefined || target === DEFAULT_TARGET ? DEFAULT_STATE_SCHEMA : `${DEFAULT_STATE_SCHEMA}_${target}`;
}

/** Refuses a `--schema` no state schema can be derived for, before any query. */
export function assertTargetName(target: string): void {
  const state = stateSchemaFor(target);
  if (nameLength(state, PG_NAMES) > MAX_NAME_BYTES) {
    throw new InvalidInputError(
      `--schema "${target}" is too long: xc keeps its state for it in schema "${state}", over PostgreSQL's ${MAX_NAME_BYTES}-byte limit for names — use a schema name of at most ${MAX_NAME_BYTES - DEFAULT_STATE_SCHEMA.length - 1} bytes`,
    );
  }
  if (target === DEFAULT_STATE_SCHEMA || target.startsWith(`${DEFAULT_STATE_SCHEMA}_`)) {
    throw new InvalidInputError(`--schema "${target}": schema names "xc" and "xc_…" are where xc keeps its own state, not application tables`);
  }
}

interface Recorded {
  schema: string | null;
  ids: string[];
}

/** The target schemas the plans in `state` were made for (null: recorded before xc recorded it), with their migrations. */
async function recordedTargets(s: Session, state: string): Promise<Recorded[] | null> {
  // Only a table with xc's columns is read here: an application's own `xc.migrations` is refused by the ownership
  // check after this one (state_foreign, exit 2), not by this query failing (campaign N1: exit 1, "column plan does not exist").
  const ours = (await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname IN ('id', 'plan') AND NOT attisdropped`, [`${quote(state)}.${quote('migrations')}`])).rows[0]!.n;
  if (ours < 2) return null;
  const r = await s.query<{ schema: string | null; ids: string[] }>(
    `SELECT plan::json->>'schema' AS schema, array_agg(id ORDER BY id) AS ids FROM ${quote(state)}.${quote('migrations')} GROUP BY 1 ORDER BY 1`,
  );
  return r.rows;
}

const listIds = (ids: string[]) => (ids.length > 3 ? `${ids.slice(0, 3).join(', ')}, …` : ids.join(', '));

/**
 * Refuses (exit 2) to work on tables whose state is elsewhere or mixed up;
 * reads only. `creating`: the command is `xc init`, which may start a fresh
 * state for --schema next to one an older xc left in `xc` (see below).
 */
export async function checkStateTarget(s: Session, target: string | undefined, state: string, creating: boolean): Promise<void> {
  const current = (await s.query<{ current: string | null; present: boolean }>(
    'SELECT current_schema() AS current, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?) AS present',
    [target ?? ''],
  )).rows[0]!;
  if (target !== undefined && !current.present) {
    throw new InvalidInputError(`--schema "${target}": no such schema in this database (names are taken exactly as written, case included); nothing was done`);
  }
  if (target !== undefined && current.current !== target) {
    throw new InvalidInputError(
      `--schema "${target}": this connection's tables resolve to ${current.current === null ? 'no schema' : `schema "${current.current}"`}, not "${target}" — ` +
        `a connection or knexfile handed to xc keeps its own search_path (set it to "${target}"), and the role needs the USAGE privilege on the schema; nothing was done`,
    );
  }
  const here = current.current;

  const own = await recordedTargets(s, state);
  const foreign = (own ?? []).filter((r) => r.schema !== null && r.schema !== here);
  if (foreign.length > 0) {
    const [first] = foreign;
    // Without --schema the state is `xc` whatever the search_path resolves to: --schema alone would look elsewhere (campaign ED).
    const way = target === undefined
      ? `run as the runs that recorded it did (a search_path resolving to "${first!.schema}", or --schema ${first!.schema} once its state is in "${stateSchemaFor(first!.schema!)}": \`ALTER SCHEMA ${quote(state)} RENAME TO ${quote(stateSchemaFor(first!.schema!))}\`, when "${state}" holds no other schema's state)`
      : 'give the schema with --schema (each schema\'s state is kept apart, in "xc_<schema>")';
    throw new InvalidInputError(
      `the state in schema "${state}" is for the tables of schema "${first!.schema}" (migrations ${listIds(first!.ids)}), but this connection's tables are in ${here === null ? 'no schema' : `"${here}"`}: ` +
        `xc would take them for migrated — ${way}`,
      { state, recorded: first!.schema, target: here },
      { code: 'state_mismatch' },
    );
  }

  // A state of its own not started yet: is this schema's state perhaps still where an older xc kept it, in `xc`?
  if (own !== null || state === DEFAULT_STATE_SCHEMA || target === undefined) return;
  const legacy = (await recordedTargets(s, DEFAULT_STATE_SCHEMA)) ?? [];
  const mine = legacy.find((r) => r.schema === target);
  const unknown = legacy.find((r) => r.schema === null);
  const rename = `ALTER SCHEMA ${quote(DEFAULT_STATE_SCHEMA)} RENAME TO ${quote(state)}`;
  if (mine) {
    throw new InvalidInputError(
      `the state of schema "${target}" (migrations ${listIds(mine.ids)}) is in schema "${DEFAULT_STATE_SCHEMA}", where runs without --schema keep the state of the schema their search_path resolves to (and an older xc kept every schema's); ` +
        `with --schema xc keeps it in "${state}" — run without --schema as before, or move it there (\`${rename}\`, when "${DEFAULT_STATE_SCHEMA}" holds no other schema's state) and give --schema from now on`,
      { state, legacy: DEFAULT_STATE_SCHEMA },
      { code: 'state_mismatch' },
    );
  }
  if (unknown && !creating) {
    throw new InvalidInputError(
      `schema "${state}", where xc keeps the state of schema "${target}", does not exist yet, and schema "${DEFAULT_STATE_SCHEMA}" holds migrations (${listIds(unknown.ids)}) recorded without the schema they were applied to (by an older xc, which kept every schema's state there). ` +
        `If they were applied to "${target}": move them (\`${rename}\`). If not, and "${target}" has not been migrated yet: \`xc init --schema ${target}\` starts its own state. Nothing was done`,
      { state, legacy: DEFAULT_STATE_SCHEMA },
      { code: 'state_mismatch' },
    );
  }
}

/**
 * Columns the state tables got after their first version (in the CREATE TABLEs below too): `build_level`, the level a
 * deployed or heartbeating build asked for, before `levelOfBuild` lowered it (gate/levels.ts) — the rollback gate's;
 * `ttl_ms`, the TTL an instance beats for (its own xc's --instance-ttl): the gate never judges it by a shorter one.
 */
export const PG_STATE_COLUMNS_ADDED: StateColumnAdded[] = [
  { table: 'deployments', column: 'build_level', type: 'text' },
  { table: 'deployments', column: 'first_recorded_at', type: 'text' },
  { table: 'instances', column: 'build_level', type: 'text' },
  { table: 'instances', column: 'ttl_ms', type: 'bigint' },
];

/**
 * Run in one transaction (StateStore.create; DDL is transactional here): a
 * kill -9 part-way leaves nothing. The transaction-level advisory lock (not
 * the session one xc holds while it works) makes a concurrent creator — a
 * `deploy record` takes no xc lock — wait, then find everything there,
 * instead of failing on a duplicate name.
 */
export function pgStateSchema(schema: string, lockId: number): string[] {
  const t = (n: string) => `${quote(schema)}.${quote(n)}`;
  return [
    `SELECT pg_advisory_xact_lock(${lockId})`,
    // Only where it is missing: PostgreSQL asks for CREATE on the database before it looks whether the schema exists,
    // so `IF NOT EXISTS` failed a role whose schema a DBA made for it (as the error for a missing one asks).
    doBlock(`BEGIN IF to_regnamespace(${literal(quote(schema))}) IS NULL THEN CREATE SCHEMA ${quote(schema)}; END IF; END`),
    `CREATE TABLE IF NOT EXISTS ${t('migrations')} (
      id text PRIMARY KEY, checksum text NOT NULL, description text, phase text NOT NULL,
      definition text NOT NULL, plan text, last_error text,
      expanding_at timestamptz, dual_write_at timestamptz, backfilling_at timestamptz, backfilled_at timestamptz,
      contracting_at timestamptz, contracted_at timestamptz, rolling_back_at timestamptz, rolled_back_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE IF NOT EXISTS ${t('steps')} (
      migration_id text NOT NULL, phase text NOT NULL, seq integer NOT NULL, description text NOT NULL,
      statement text NOT NULL, status text NOT NULL, started_at timestamptz, done_at timestamptz,
      PRIMARY KEY (migration_id, phase, seq))`,
    `CREATE TABLE IF NOT EXISTS ${t('backfill')} (
      migration_id text NOT NULL, seq integer NOT NULL, part integer NOT NULL DEFAULT 0, table_name text NOT NULL,
      position text, upper_bound text, done bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0, batch_size integer,
      finished_at timestamptz, updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (migration_id, seq, part))`,
    `CREATE TABLE IF NOT EXISTS ${t('events')} (
      id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), migration_id text, actor text NOT NULL,
      command text NOT NULL, event text NOT NULL, reason text, detail text)`,
    `CREATE TABLE IF NOT EXISTS ${t('deployments')} (
      app text NOT NULL, env text NOT NULL DEFAULT '', version text NOT NULL, level text, build_level text,
      recorded_at timestamptz NOT NULL DEFAULT now(), retired_at timestamptz, actor text, first_recorded_at text,
      PRIMARY KEY (app, env, version))`,
    `CREATE TABLE IF NOT EXISTS ${t('instances')} (
      id text PRIMARY KEY, app text NOT NULL, version text NOT NULL, env text NOT NULL DEFAULT '', level text, build_level text,
      host text, pid integer, started_at timestamptz NOT NULL DEFAULT now(),
      last_beat_at timestamptz NOT NULL DEFAULT now(), stopped_at timestamptz, ttl_ms bigint)`,
  ];
}

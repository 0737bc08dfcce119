/**
 * pgroll's own example migrations (xataio/pgroll examples/*.yaml), translated to xc in
 * migrations-examples/pgroll/: what each became, machine-readable. test/integration/pgroll-examples.test.ts runs
 * them from this table, and migrations-examples/pgroll/README.md states it for people (the test checks the two agree).
 *
 * - `one-to-one`: every pgroll field has its xc field (README "Coming from pgroll"); what changes is spelling only —
 *   camelCase keys, `name` → `table`, `pk` → `primaryKey`, `predicate` → `where`, lower-case `onDelete` values, and
 *   `nullable: false` written out (pgroll's columns are NOT NULL unless `nullable: true`, xc's nullable unless
 *   `nullable: false`). On MySQL/MariaDB an expression may be given in its SQL too (`{postgres, mysql}`), with the
 *   PostgreSQL text as pgroll wrote it.
 * - `adapted`: the file says something pgroll's does not, and `how` says what and why.
 * - `pending`: a feature the translation needs has not landed in xc yet; the test skips the example by name.
 *
 * `mysql`: `same` (the file runs there as is), `variant` (migrations-examples/pgroll/mysql/<id>.yaml runs there
 * instead; `why` says what differs) or `skip` (the concept is PostgreSQL's only; `why`).
 */

export type Translation = { kind: 'one-to-one'; note?: string } | { kind: 'adapted'; how: string };
export type OnMysql = { kind: 'same' } | { kind: 'variant'; why: string } | { kind: 'skip'; why: string };

export interface PgrollExample {
  /** The xc migration id: pgroll's file name with a 4-digit number. */
  id: string;
  pgroll: string;
  /** Its xc migration files, in order, when not the one file `id`. */
  files?: string[];
  translation: Translation;
  mysql: OnMysql;
  /** The xc feature this example waits for, while it has not landed; the example is skipped with it as the reason. */
  pending?: string;
  /** Only on that server: the feature is there on the other one. */
  pendingOn?: 'postgres' | 'mysql';
}

const same: OnMysql = { kind: 'same' };
const oneToOne = (note?: string): Translation => ({ kind: 'one-to-one', ...(note ? { note } : {}) });
const variant = (why: string): OnMysql => ({ kind: 'variant', why });
const skip = (why: string): OnMysql => ({ kind: 'skip', why });

const TEXT_KEY = 'a text column takes no unique key without a prefix length';

export const PGROLL_EXAMPLES: PgrollExample[] = [
  { id: '0001_create_tables', pgroll: '01_create_tables', translation: oneToOne('pk → primaryKey on both columns of sellers: a composite key'), mysql: variant('bills.date is `time`: no `time with time zone`') },
  { id: '0002_create_another_table', pgroll: '02_create_another_table', translation: oneToOne(), mysql: same },
  {
    id: '0003_add_column',
    pgroll: '03_add_column',
    files: ['0003_add_column', '0003_add_column_category'],
    translation: {
      kind: 'adapted',
      how: 'two migrations, the third operation (category, up reading name) in 0003_add_column_category: xc refuses a second dual-write trigger reading products.name while the first operation’s (up: UPPER(name)) is in flight — contract the first, then apply the second',
    },
    mysql: same,
  },
  { id: '0004_rename_table', pgroll: '04_rename_table', translation: oneToOne(), mysql: same },
  { id: '0005_sql', pgroll: '05_sql', translation: oneToOne('sql up/down → expand/rollback'), mysql: same },
  { id: '0006_add_column_to_sql_table', pgroll: '06_add_column_to_sql_table', translation: oneToOne(), mysql: same },
  { id: '0007_drop_table', pgroll: '07_drop_table', translation: oneToOne(), mysql: same },
  { id: '0008_create_fruits_table', pgroll: '08_create_fruits_table', translation: oneToOne('generated.identity.user_specified_values BY DEFAULT → generated.identity: byDefault'), mysql: same },
  { id: '0009_drop_column', pgroll: '09_drop_column', translation: oneToOne(), mysql: same },
  { id: '0010_create_index', pgroll: '10_create_index', translation: oneToOne(), mysql: same },
  { id: '0011_drop_index', pgroll: '11_drop_index', translation: oneToOne('xc names the index’s table too'), mysql: same },
  { id: '0012_create_employees_table', pgroll: '12_create_employees_table', translation: oneToOne(), mysql: same },
  { id: '0013_rename_column', pgroll: '13_rename_column', translation: oneToOne(), mysql: same },
  { id: '0014_add_reviews_table', pgroll: '14_add_reviews_table', translation: oneToOne(), mysql: variant(`review is varchar(255): 0015 makes it unique, and ${TEXT_KEY}`) },
  {
    id: '0015_set_column_unique',
    pgroll: '15_set_column_unique',
    translation: {
      kind: 'adapted',
      how: 'up appends the row’s id, not random(): xc checks before contract that every row holds what `up` gives by computing it again, which a volatile expression never matches (refused at plan); the id makes each value unique, as the random suffix meant to. On MySQL/MariaDB, where an AUTO_INCREMENT id is filled only after triggers run, `up` is the column itself: a duplicate is refused instead of converted',
    },
    mysql: same,
  },
  { id: '0016_set_nullable', pgroll: '16_set_nullable', translation: oneToOne(), mysql: same },
  { id: '0017_add_rating_column', pgroll: '17_add_rating_column', translation: oneToOne(), mysql: same },
  {
    id: '0018_change_column_type',
    pgroll: '18_change_column_type',
    translation: {
      kind: 'adapted',
      how: "default: null added: pgroll sets the old default ('0'::text) on the integer copy and ignores the error when it does not fit, so rating ends with none; xc carries a default over converted (0), so the file asks for pgroll's result",
    },
    mysql: same,
  },
  { id: '0019_create_orders_table', pgroll: '19_create_orders_table', translation: oneToOne(), mysql: same },
  { id: '0020_create_posts_table', pgroll: '20_create_posts_table', translation: oneToOne(), mysql: same },
  {
    id: '0021_add_foreign_key_constraint',
    pgroll: '21_add_foreign_key_constraint',
    translation: {
      kind: 'adapted',
      how: 'no `up` (pgroll: NULL for a user_id without a user): xc adds the key to the column in place, NOT VALID then validated, and converts nothing for a foreign key (only a check or a one-column unique constraint goes through a copy of the column), so an old writer’s orphan user_id is refused from expand instead of set to NULL',
    },
    mysql: variant('the key is fk_posts_users_id: a foreign key name is unique in the whole database there, and 0019 gave fk_users_id to orders'),
  },
  { id: '0022_add_check_constraint', pgroll: '22_add_check_constraint', translation: oneToOne('check.constraint → check.expression'), mysql: same },
  { id: '0023_drop_check_constraint', pgroll: '23_drop_check_constraint', translation: oneToOne(), mysql: same },
  { id: '0024_drop_foreign_key_constraint', pgroll: '24_drop_foreign_key_constraint', translation: oneToOne(), mysql: variant('drops fk_posts_users_id, the name mysql/0021 gave the key') },
  { id: '0025_add_table_with_check_constraint', pgroll: '25_add_table_with_check_constraint', translation: oneToOne(), mysql: same },
  { id: '0026_add_column_with_check_constraint', pgroll: '26_add_column_with_check_constraint', translation: oneToOne(), mysql: same },
  { id: '0027_drop_unique_constraint', pgroll: '27_drop_unique_constraint', translation: oneToOne(), mysql: same },
  { id: '0028_different_defaults', pgroll: '28_different_defaults', translation: oneToOne(), mysql: variant('created_at is `timestamp`: no timestamptz') },
  { id: '0029_set_replica_identity', pgroll: '29_set_replica_identity', translation: oneToOne(), mysql: skip('replica identity is PostgreSQL logical replication’s setting; MySQL’s binlog has no counterpart') },
  { id: '0030_add_column_simple_up', pgroll: '30_add_column_simple_up', translation: oneToOne(), mysql: same },
  { id: '0031_unset_not_null', pgroll: '31_unset_not_null', translation: oneToOne(), mysql: same },
  { id: '0032_sql_on_complete', pgroll: '32_sql_on_complete', translation: oneToOne('sql up + onComplete: true → contract'), mysql: same },
  { id: '0033_rename_check_constraint', pgroll: '33_rename_check_constraint', translation: oneToOne(), mysql: same },
  { id: '0034_create_events_table', pgroll: '34_create_events_table', translation: oneToOne(), mysql: same },
  {
    id: '0035_alter_column_multiple',
    pgroll: '35_alter_column_multiple',
    translation: {
      kind: 'adapted',
      how: 'no `down`: pgroll’s `down: event_name` names no column (never compiled by pgroll; the first write of the new version would fail), and changed in place xc needs none (rollback drops the shadow copy)',
    },
    mysql: variant(`the new type is varchar(255): ${TEXT_KEY}`),
  },
  { id: '0036_set_comment_to_null', pgroll: '36_set_comment_to_null', translation: oneToOne(), mysql: same },
  { id: '0037_create_partial_index', pgroll: '37_create_partial_index', translation: oneToOne('predicate → where'), mysql: skip('MySQL/MariaDB have no partial indexes') },
  { id: '0038_create_hash_index_with_fillfactor', pgroll: '38_create_hash_index_with_fillfactor', translation: oneToOne('storage_parameters → storageParameters'), mysql: skip('InnoDB has no hash indexes and no index storage parameters') },
  { id: '0039_add_column_with_multiple_pk_in_table', pgroll: '39_add_column_with_multiple_pk_in_table', translation: oneToOne(), mysql: same },
  { id: '0040_create_enum_type', pgroll: '40_create_enum_type', translation: oneToOne(), mysql: skip('MySQL/MariaDB have no CREATE TYPE: an ENUM is a column type there (mysql/0041)') },
  { id: '0041_add_enum_column', pgroll: '41_add_enum_column', translation: oneToOne(), mysql: variant("the column's type is enum('small', 'medium', 'large') itself") },
  { id: '0042_create_unique_index', pgroll: '42_create_unique_index', translation: oneToOne(), mysql: same },
  { id: '0043_create_tickets_table', pgroll: '43_create_tickets_table', translation: oneToOne(), mysql: same },
  { id: '0044_add_table_unique_constraint', pgroll: '44_add_table_unique_constraint', translation: oneToOne(), mysql: same },
  { id: '0045_add_table_check_constraint', pgroll: '45_add_table_check_constraint', translation: oneToOne(), mysql: same },
  { id: '0046_alter_column_drop_default', pgroll: '46_alter_column_drop_default', translation: oneToOne(), mysql: same },
  { id: '0047_add_table_foreign_key_constraint', pgroll: '47_add_table_foreign_key_constraint', translation: oneToOne(), mysql: same },
  { id: '0048_drop_tickets_check', pgroll: '48_drop_tickets_check', translation: oneToOne(), mysql: same },
  { id: '0049_unset_not_null_on_indexed_column', pgroll: '49_unset_not_null_on_indexed_column', translation: oneToOne(), mysql: same },
  { id: '0050_create_table_with_table_constraint', pgroll: '50_create_table_with_table_constraint', translation: oneToOne(), mysql: same },
  {
    id: '0051_create_table_with_table_foreign_key_constraint',
    pgroll: '51_create_table_with_table_foreign_key_constraint',
    translation: oneToOne('index_parameters.include_columns → include; on_delete/on_update/match_type → onDelete/onUpdate/matchType'),
    mysql: variant('provider_id is bigint unsigned, not serial (one AUTO_INCREMENT column a table there); unique_numbers has no INCLUDE (PostgreSQL only)'),
  },
  {
    id: '0052_create_table_with_exclusion_constraint',
    pgroll: '52_create_table_with_exclusion_constraint',
    translation: oneToOne('exclude.index_method/predicate → exclude.method/where'),
    mysql: variant('no exclusion constraints: forbid_duplicated_titles is a UNIQUE key on title, which forbids the same (two equal non-NULL titles); title is varchar(255), as ' + TEXT_KEY),
  },
  { id: '0053_add_column_with_volatile_default', pgroll: '53_add_column_with_volatile_default', translation: oneToOne(), mysql: variant('the default is FLOOR(RAND() * 1000): a column default is one text, not one per database') },
  { id: '0054_create_index_with_opclass', pgroll: '54_create_index_with_opclass', translation: oneToOne('opclass.name → opclass'), mysql: skip('MySQL/MariaDB have no operator classes') },
  { id: '0055_add_primary_key_constraint_to_table', pgroll: '55_add_primary_key_constraint_to_table', translation: oneToOne(), mysql: variant('deadline is `time`: no `time with time zone`') },
  {
    id: '0056_with_version_schema',
    pgroll: '56_with_version_schema',
    translation: {
      kind: 'adapted',
      how: 'version_schema dropped: pgroll exposes each version as a schema of views and this names it; xc has no version schemas — both versions use the same physical tables, kept in sync by triggers, and the deploy gate decides when the old shape may go — so there is nothing to name. The operation translates as it is',
    },
    mysql: same,
  },
];

export const filesOf = (e: PgrollExample): string[] => e.files ?? [e.id];

/** Why the example does not run on that server, or undefined. */
export function skipReason(e: PgrollExample, dialect: 'postgres' | 'mysql'): string | undefined {
  if (e.pending && (!e.pendingOn || e.pendingOn === dialect)) return `pending: ${e.pending}`;
  if (dialect === 'mysql' && e.mysql.kind === 'skip') return `PostgreSQL only: ${e.mysql.why}`;
  return undefined;
}

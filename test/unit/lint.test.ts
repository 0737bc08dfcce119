import { describe, expect, it } from 'vitest';
import { lintDefinition } from '../../src/lint/lint.js';
import type { MigrationDefinition } from '../../src/migration/schema.js';
import { textReadingsOf, type TextDialect } from '../../src/dialects/statementText.js';

type Fields = { expand?: string; contract?: string; rollback?: string };
const rules = (fields: Fields, dialect?: TextDialect, before: MigrationDefinition['operations'] = []) =>
  lintDefinition('m.json', { operations: [...before, { sql: fields }] } as MigrationDefinition, dialect).map((f) => f.rule);
const expand = (sql: string, dialect?: TextDialect) => rules({ expand: sql }, dialect);
const MY: TextDialect = 'my' + 'sql' as TextDialect;

describe('xc lint rules', () => {
  it('transaction-control: BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT', () => {
    for (const sql of ['BEGIN', 'begin work; select 1', 'START TRANSACTION', 'select 1; COMMIT', 'END', 'ROLLBACK', 'rollback work', 'ABORT']) {
      expect(expand(sql), sql).toContain('transaction-control');
    }
    expect(rules({ contract: 'COMMIT' })).toEqual(['transaction-control']);
    expect(expand('START TRANSACTION; COMMIT', MY)).toEqual(['transaction-control', 'several-statements', 'transaction-control']);
  });

  it('transaction-control: not in literals, comments, ROLLBACK TO SAVEPOINT or a routine body', () => {
    expect(expand("SELECT 'COMMIT'; -- COMMIT\n/* BEGIN */ SELECT 1")).toEqual([]);
    expect(expand('SAVEPOINT s; ROLLBACK TO SAVEPOINT s; ROLLBACK WORK TO s; RELEASE SAVEPOINT s')).toEqual([]);
    expect(expand('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END')).toEqual([]);
    expect(expand('SELECT $$ COMMIT; $$')).toEqual([]);
  });

  it('blocking-index: CREATE [UNIQUE] INDEX without CONCURRENTLY on an existing table', () => {
    expect(expand('CREATE INDEX i ON users (email)')).toEqual(['blocking-index']);
    expect(expand('create unique index i on public.users (email)')).toEqual(['blocking-index']);
    expect(expand('CREATE INDEX CONCURRENTLY i ON users (email)')).toEqual([]);
    expect(expand('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON users (email)')).toEqual([]);
    expect(expand("COMMENT ON TABLE users IS 'CREATE INDEX i ON users (email)'")).toEqual([]);
    // a table the migration creates: nothing reads it yet
    expect(expand('CREATE TABLE t (id int); CREATE INDEX i ON t (id)')).toEqual([]);
    expect(rules({ expand: 'CREATE INDEX i ON t (id)' }, undefined, [{ createTable: { table: 't', columns: [{ name: 'id', type: 'int', nullable: true }] } }])).toEqual([]);
    expect(expand('CREATE INDEX i ON users (email)', MY)).toEqual([]);
  });

  it('table-rewrite: ALTER COLUMN … TYPE (PostgreSQL), MODIFY / CHANGE (MySQL)', () => {
    expect(expand('ALTER TABLE users ALTER COLUMN age TYPE bigint')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users ALTER age SET DATA TYPE bigint')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users MODIFY age bigint', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users CHANGE age age2 bigint', MY)).toEqual(['breaks-old-version']); // a rename first: renameColumn, or alterColumn with `to`
    expect(expand('ALTER TABLE users ALTER COLUMN age SET DEFAULT 0')).toEqual([]);
    expect(expand("ALTER TABLE users ADD COLUMN note text DEFAULT 'ALTER COLUMN age TYPE bigint'")).toEqual([]);
  });

  it('set-not-null: ALTER … SET NOT NULL (PostgreSQL)', () => {
    expect(expand('ALTER TABLE users ALTER COLUMN email SET NOT NULL')).toEqual(['set-not-null']);
    expect(expand('ALTER TABLE users ALTER COLUMN email DROP NOT NULL')).toEqual([]);
    expect(expand('-- ALTER TABLE users ALTER COLUMN email SET NOT NULL\nSELECT 1')).toEqual([]);
  });

  it('validating-constraint: ADD CONSTRAINT … FOREIGN KEY | CHECK without NOT VALID (PostgreSQL)', () => {
    expect(expand('ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)')).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0)')).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID')).toEqual([]);
    expect(expand('ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID; ALTER TABLE users VALIDATE CONSTRAINT c')).toEqual([]);
    expect(expand('ALTER TABLE users ADD CONSTRAINT u UNIQUE (email)')).toEqual(['blocking-index']);
  });

  it('campaigns V and W: what strong_migrations and squawk flag, and the rules had let through', () => {
    // PostgreSQL: a key's index built under the lock; a REINDEX; a key added inline with a column; a stored generated
    // column; a volatile default (each rewrites or scans the table under a lock that blocks writes).
    expect(expand('ALTER TABLE users ADD PRIMARY KEY (id)')).toEqual(['blocking-index']);
    expect(expand('ALTER TABLE users ADD CONSTRAINT u UNIQUE USING INDEX users_email_idx')).toEqual([]);
    expect(expand('REINDEX TABLE users')).toEqual(['blocking-index']);
    expect(expand('REINDEX INDEX CONCURRENTLY users_email_idx')).toEqual([]);
    expect(expand('ALTER TABLE posts ADD COLUMN user_id int REFERENCES users (id)')).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE users ADD COLUMN age int CHECK (age > 0)')).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS (age * 2) STORED')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()')).toEqual(['table-rewrite']);
    expect(expand("ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now(), ADD COLUMN note text DEFAULT 'random()'")).toEqual([]);
    expect(expand('ALTER TABLE users ADD COLUMN nick text')).toEqual([]);
    for (const column of ['n serial', 'n bigserial', 'n int GENERATED BY DEFAULT AS IDENTITY']) expect(expand(`ALTER TABLE users ADD COLUMN ${column}`), column).toEqual(['table-rewrite']);
    expect(expand('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN n bigserial')).toEqual([]);
    expect(expand('CREATE TABLE t (id int); ALTER TABLE t ADD PRIMARY KEY (id), ADD COLUMN p int REFERENCES users (id)')).toEqual([]);
    // MySQL/MariaDB: no NOT VALID, so a foreign key or a check is checked over every row; CONVERT TO rewrites the table.
    expect(expand('ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)', MY)).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE orders ADD CONSTRAINT c CHECK (n > 0)', MY)).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE orders ADD COLUMN n2 int AS (n * 2) STORED', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE orders ADD COLUMN n3 int AS (n * 3) VIRTUAL, ADD INDEX i (n), ADD UNIQUE KEY u (n)', MY)).toEqual([]);
  });

  it('breaks-old-version: DROP TABLE, DROP COLUMN, RENAME at expand only', () => {
    expect(expand('DROP TABLE old_users')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users DROP COLUMN legacy')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users RENAME COLUMN a TO b')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users RENAME TO people')).toEqual(['breaks-old-version']);
    expect(expand('RENAME TABLE users TO people', MY)).toEqual(['breaks-old-version']);
    expect(rules({ contract: 'DROP TABLE old_users; ALTER TABLE users DROP COLUMN legacy' })).toEqual([]);
    expect(expand('ALTER TABLE users DROP CONSTRAINT c; ALTER TABLE users RENAME CONSTRAINT a TO b')).toEqual([]);
    expect(expand("SELECT 'DROP TABLE users'")).toEqual([]);
    expect(expand('CREATE TABLE tmp (id int); DROP TABLE tmp')).toEqual([]);
  });

  it('long-lock: LOCK TABLE, VACUUM FULL, CLUSTER, TRUNCATE at expand or rollback', () => {
    expect(expand('LOCK TABLE users IN ACCESS EXCLUSIVE MODE')).toEqual(['long-lock']);
    expect(expand('VACUUM FULL users')).toEqual(['long-lock']);
    expect(expand('VACUUM (FULL, ANALYZE) users')).toEqual(['long-lock']);
    expect(expand('CLUSTER users USING users_pkey')).toEqual(['long-lock']);
    expect(rules({ expand: 'SELECT 1', rollback: 'TRUNCATE users' })).toEqual(['long-lock']);
    expect(expand('VACUUM users')).toEqual([]);
    expect(rules({ contract: 'TRUNCATE old_users' })).toEqual([]);
  });

  it('table-rewrite: SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD (PostgreSQL), on an existing table only', () => {
    expect(expand('ALTER TABLE users SET LOGGED')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE IF EXISTS users SET UNLOGGED')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users SET TABLESPACE fast')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users SET ACCESS METHOD heap2')).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE users SET (fillfactor = 90)')).toEqual([]);
    expect(expand('ALTER TABLE users SET SCHEMA archive')).toEqual([]);
    expect(expand('CREATE UNLOGGED TABLE t (id int); ALTER TABLE t SET LOGGED')).toEqual([]);
  });

  it('breaks-old-version: ADD COLUMN … json (PostgreSQL: no equality operator, SELECT DISTINCT * fails); jsonb passes', () => {
    expect(expand('ALTER TABLE users ADD COLUMN prefs json')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users ADD IF NOT EXISTS prefs json DEFAULT NULL')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users ADD COLUMN prefs jsonb')).toEqual([]);
    for (const type of ['pg_catalog.json', '"json"', 'xml', 'point', 'polygon', 'circle', 'txid_snapshot', 'json[]']) expect(expand(`ALTER TABLE users ADD COLUMN c ${type}`), type).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users ADD COLUMN c "JSON"')).toEqual([]); // a quoted name keeps its case: no such type here
    expect(expand('ALTER TABLE users ADD COLUMN json text')).toEqual([]);
    expect(expand('ALTER TABLE users ADD COLUMN prefs json', MY)).toEqual([]);
    expect(expand('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN prefs json')).toEqual([]);
  });

  it('long-lock: an UPDATE of every row in one statement (no WHERE, no LIMIT) of an existing table, in any field', () => {
    expect(expand('UPDATE users SET plan = lower(plan)')).toEqual(['long-lock']);
    expect(rules({ contract: 'UPDATE ONLY public.users AS u SET plan = (SELECT p.name FROM plans p WHERE p.id = u.plan_id)' })).toEqual(['long-lock']);
    expect(expand('UPDATE `users` SET `plan` = LOWER(`plan`)', MY)).toEqual(['long-lock']);
    expect(expand("UPDATE users SET plan = 'free' WHERE plan IS NULL")).toEqual([]);
    expect(expand("UPDATE users SET plan = 'free' ORDER BY id LIMIT 1000", MY)).toEqual([]);
    expect(expand('UPDATE users u JOIN plans p ON p.id = u.plan_id SET u.plan = p.name', MY)).toEqual([]);
    expect(expand('UPDATE users, plans SET users.plan = plans.name', MY)).toEqual([]);
    expect(expand("SELECT 'UPDATE users SET plan = 1'")).toEqual([]);
    expect(expand('WITH p AS (SELECT 1) UPDATE users SET plan = lower(plan)')).toEqual(['long-lock']);
    expect(expand('EXPLAIN ANALYZE UPDATE users SET plan = lower(plan)')).toEqual(['long-lock']);
    expect(expand('EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET plan = lower(plan)')).toEqual(['long-lock']);
    // Rows chosen by reading the table again, a dedupe (campaign EB: on MariaDB, 4 of the application's writes died in deadlocks).
    expect(expand("UPDATE `Users` SET `email` = CONCAT(`email`, '.dup', `id`) WHERE `id` NOT IN (SELECT m FROM (SELECT MIN(`id`) AS m FROM `Users` GROUP BY `email`) AS k)", MY)).toEqual(['long-lock']);
    expect(expand("UPDATE users u JOIN users o ON o.email = u.email AND o.id < u.id SET u.email = CONCAT('dup', u.email)", MY)).toEqual(['long-lock']);
    expect(expand("UPDATE users u SET email = 'dup' || u.email WHERE EXISTS (SELECT 1 FROM users o WHERE o.email = u.email AND o.id < u.id)")).toEqual(['long-lock']);
    // Not: a column named as the table, another schema's table of that name, another table read.
    expect(expand('UPDATE status SET status = 1 WHERE id = 2')).toEqual([]);
    expect(expand('UPDATE users SET plan = 1 WHERE id IN (SELECT user_id FROM archive.users)')).toEqual([]);
    expect(expand('UPDATE users SET plan = 1 WHERE id IN (SELECT user_id FROM banned)')).toEqual([]);
    expect(expand('EXPLAIN UPDATE users SET plan = lower(plan)')).toEqual([]); // not run
    expect(expand('WITH p AS (SELECT 1) UPDATE users SET plan = 1 WHERE id IN (SELECT * FROM p)')).toEqual([]);
    expect(expand('WITH u AS (UPDATE users SET plan = 1 RETURNING id) SELECT count(*) FROM u')).toEqual([]); // in a CTE: not read
    expect(expand('CREATE TABLE t (id int, v int); UPDATE t SET v = 1')).toEqual([]);
    expect(expand('UPDATE users SET plan = lower(plan) -- xc-lint ignore long-lock, small table')).toEqual([]);
  });

  it("with no URL, a text quoting names in backticks is MySQL/MariaDB's; one in a literal or comment of both is none; one the two read apart is read both ways (campaigns BB, BG, BL)", () => {
    const both = ['postgres', 'mysql'];
    expect(textReadingsOf(['ALTER TABLE `Post` MODIFY `content` MEDIUMTEXT'])).toEqual(['mysql']);
    expect(textReadingsOf(['ALTER TABLE `Post` MODIFY `content` MEDIUMTEXT', 'SELECT 1'])).toEqual(['mysql']);
    // A MySQL `\'` or `#` comment: PostgreSQL's tokens read the backticks as in a string.
    expect(textReadingsOf(["ALTER TABLE users COMMENT = 'user\\'s table', MODIFY `name` varchar(300) NOT NULL"])).toEqual(both);
    expect(textReadingsOf(["# it's a note\nALTER TABLE `users` MODIFY `name` varchar(300)"])).toEqual(both);
    expect(textReadingsOf(["SELECT 'a `b`'", "-- see `x`\nSELECT 1", '/* `x` */ SELECT 1', 'SELECT "a`b"'])).toEqual(['postgres']);
    expect(textReadingsOf(["CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT '`x`' $$", "SELECT E'\\'`'"])).toEqual(['postgres']);
    // PostgreSQL's nested comment, `--x` comment, `#>>` operator and a string ending in a backslash: MySQL's tokens read a name.
    for (const text of [
      'ALTER TABLE users ALTER COLUMN y TYPE bigint; /* note /* nested */ see `users` */',
      "UPDATE t SET p = 'C:\\'; DROP TABLE users; UPDATE t SET q = '`a`';",
      "UPDATE t SET v = data #>> '{a,\nb}';\nDROP TABLE users;\nSELECT '`x`';",
      "--don't\nDROP TABLE users;\n--it's `x`",
    ]) {
      expect(textReadingsOf([text]), text).toEqual(both);
      expect(rules({ expand: text }, 'postgres').length, text).toBeGreaterThan(0);
    }
    // MySQL's reading of PostgreSQL's NOT VALID (its syntax error) finds no validating constraint.
    expect(expand('ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID', MY)).toEqual([]);
  });

  it('campaign AW: MySQL column lists, indexes of a table made in the same field, qualified names in messages', () => {
    // ADD [COLUMN] (definition, …): each definition read.
    expect(expand('ALTER TABLE users ADD COLUMN (a int, b int NOT NULL)', MY)).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users ADD (a int NOT NULL DEFAULT 0, b varchar(10) CHECK (b <> \'\'))', MY)).toEqual(['validating-constraint']);
    expect(expand('ALTER TABLE users ADD (a int, b decimal(10, 2))', MY)).toEqual([]);
    // Dropping an index made over a table the field created blocks no one.
    expect(expand('CREATE TABLE t (id int); CREATE INDEX t_id ON t (id); DROP INDEX t_id')).toEqual([]);
    expect(expand('CREATE TABLE t (id int); CREATE INDEX IF NOT EXISTS t_id ON public.t (id); DROP INDEX IF EXISTS public.t_id')).toEqual([]);
    expect(expand('CREATE TABLE t (id int); CREATE INDEX users_x ON users (x); DROP INDEX users_x')).toEqual(['blocking-index', 'blocking-index']);
    // A materialized view made in the field is no one's yet either (campaign BC); REFRESH of an existing one stays a finding.
    expect(expand('CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x; CREATE UNIQUE INDEX mv_x ON mv (x)')).toEqual([]);
    expect(expand('CREATE INDEX mv_x ON mv (x)')).toEqual(['blocking-index']);
    // Campaign BD: made IF NOT EXISTS, it may be there with its rows; a drop names each index, in its schema, in its case.
    expect(expand('CREATE TABLE IF NOT EXISTS users (a int); CREATE INDEX users_a ON users (a)')).toEqual(['blocking-index']);
    expect(expand('CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT 1 AS x; CREATE UNIQUE INDEX mv_x ON mv (x)')).toEqual(['blocking-index']);
    expect(expand('CREATE TABLE x (a int); CREATE INDEX i ON x (a); DROP INDEX i, users_email_idx')).toEqual(['blocking-index']);
    expect(expand('CREATE TABLE x (a int); CREATE INDEX i ON x (a); CREATE INDEX j ON x (a); DROP INDEX i, public.j')).toEqual([]);
    expect(expand('CREATE TABLE s.x (a int); CREATE INDEX i ON s.x (a); DROP INDEX public.i')).toEqual(['blocking-index']);
    expect(expand('CREATE TABLE s.x (a int); CREATE INDEX i ON s.x (a); DROP INDEX s.i')).toEqual([]);
    expect(expand('CREATE TABLE "X" (a int); CREATE INDEX "I" ON "X" (a); DROP INDEX i')).toEqual(['blocking-index']);
    expect(expand('CREATE TABLE "X" (a int); CREATE INDEX "I" ON "X" (a); DROP INDEX "I"')).toEqual([]);
    expect(expand('CREATE TABLE "X" (a int); CREATE INDEX i ON x (a)')).toEqual(['blocking-index']);
    expect(expand('CREATE TABLE "x" (a int); CREATE INDEX i ON X (a)')).toEqual([]);
    expect(expand('CREATE MATERIALIZED VIEW reporting.users AS SELECT 1 AS email; CREATE INDEX users_email ON public.users (email)')).toEqual(['blocking-index']);
    expect(expand('CREATE MATERIALIZED VIEW "Users" AS SELECT 1 AS email; CREATE INDEX users_email ON users (email)')).toEqual(['blocking-index']);
    // CHANGE old new: a rename (Sequelize's renameColumn on MariaDB, campaign BI); CHANGE c c: a change in place.
    expect(expand('ALTER TABLE `Users` CHANGE `firstName` `givenName` VARCHAR(255)', MY)).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE `Users` CHANGE COLUMN `status` `status` ENUM(\'a\', \'b\')', MY)).toEqual(['table-rewrite']);
    // Campaign BL: outside expand a renaming CHANGE is still MODIFY's copy where the type changes; IF EXISTS is no name.
    expect(rules({ contract: 'ALTER TABLE `Users` CHANGE `firstName` `givenName` VARCHAR(255)' }, MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE t CHANGE IF EXISTS a a bigint', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE t CHANGE COLUMN IF EXISTS a b bigint', MY)).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE t ADD COLUMN u char(36) DEFAULT UUID()', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE t ADD COLUMN n int AUTO_INCREMENT UNIQUE', MY)).toEqual(['table-rewrite']);
    // Campaign BL: a table made at expand is the new version's all through dual-write: at contract it is no new one.
    expect(rules({ expand: 'CREATE TABLE n (id int, v int)', contract: 'CREATE INDEX i1 ON n (v); ALTER TABLE n ALTER COLUMN v TYPE bigint' })).toEqual(['blocking-index', 'table-rewrite']);
    expect(rules({ contract: 'CREATE TABLE n (id int, v int); CREATE INDEX i1 ON n (v)' })).toEqual([]);
    expect(rules({ contract: 'CREATE INDEX i1 ON n (v)' }, undefined, [{ createTable: { table: 'n', columns: [{ name: 'v', type: 'int', nullable: true }] } }])).toEqual(['blocking-index']);
    expect(rules({ expand: 'CREATE INDEX i1 ON n (v)' }, undefined, [{ createTable: { table: 'n', columns: [{ name: 'v', type: 'int', nullable: true }] } }])).toEqual([]);
    // Campaign BK: what MariaDB does only by copying the table; a CHECK's message names no foreign key.
    expect(expand('ALTER TABLE `user` DROP PRIMARY KEY', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE `user` DROP PRIMARY KEY, ADD PRIMARY KEY (`id`, `org`)', MY)).toEqual([]);
    expect(expand('ALTER TABLE `user` ADD `uuid` varchar(36) NOT NULL DEFAULT (UUID())', MY)).toEqual(['table-rewrite']);
    expect(expand('ALTER TABLE `user` ADD `n` int NOT NULL DEFAULT (1 + 2)', MY)).toEqual([]);
    expect(lintDefinition('m.json', { operations: [{ sql: { expand: 'ALTER TABLE `user` ADD CONSTRAINT `CHK_1` CHECK (`age` > 0)' } }] } as MigrationDefinition, MY)[0]!.message).not.toMatch(/foreign key/);
    // MariaDB's ADD [COLUMN] IF NOT EXISTS (…) list.
    expect(expand('ALTER TABLE t ADD IF NOT EXISTS (a int, b int NOT NULL)', MY)).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE t ADD COLUMN IF NOT EXISTS (a int NOT NULL)', MY)).toEqual(['breaks-old-version']);
    expect(expand('CREATE TABLE T (a int); ALTER TABLE t ADD COLUMN b int NOT NULL', MY)).toEqual(['several-statements']);
    // Campaign BM: MySQL/MariaDB get a field as one statement (plan refuses a second); a routine's body is the routine's.
    expect(expand('alter table `posts` add `a` int null;\nalter table `posts` add `b` int null;', MY)).toEqual(['several-statements']);
    expect(expand('alter table `posts` add `a` int null; -- done\n', MY)).toEqual([]);
    expect(expand('CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END', MY)).toEqual([]);
    expect(expand('CREATE TABLE a (x int); CREATE TABLE b (x int)')).toEqual([]);
    // The table named as written, schema and all.
    const messages = (sql: string) => lintDefinition('m.json', { operations: [{ sql: { expand: sql } }] } as MigrationDefinition).map((f) => f.message);
    expect(messages('CREATE INDEX i ON billing.invoices (n)')[0]).toMatch(/^CREATE INDEX on billing\.invoices without CONCURRENTLY/);
    expect(messages('ALTER TABLE billing.invoices ADD COLUMN n int NOT NULL')[0]).toMatch(/NOT NULL without a default on billing\.invoices:/);
    expect(messages('DROP TABLE billing.invoices')[0]).toMatch(/uses billing\.invoices;/);
  });

  it('campaign AV: what a goose or golang-migrate history holds, and the rules had let through', () => {
    // NOT NULL with nothing to fill it: old writers leave the column out.
    expect(expand('ALTER TABLE users ADD COLUMN e int NOT NULL')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users ADD COLUMN e int NOT NULL', MY)).toEqual(['breaks-old-version']);
    expect(expand("ALTER TABLE users ADD COLUMN e int NOT NULL DEFAULT 0")).toEqual([]);
    expect(expand('ALTER TABLE users ADD COLUMN e int')).toEqual([]);
    expect(expand('ALTER TABLE users ADD COLUMN e int CHECK (e IS NOT NULL) NOT VALID')).not.toContain('breaks-old-version');
    expect(expand('ALTER TABLE users ADD COLUMN e bigserial NOT NULL')).toEqual(['table-rewrite']);
    expect(expand('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN e int NOT NULL')).toEqual([]);
    // What fills nothing (campaign AW): ON DELETE SET DEFAULT, DEFAULT NULL, a column named identity.
    expect(expand('ALTER TABLE users ADD COLUMN x int NOT NULL REFERENCES u (id) ON DELETE SET DEFAULT')).toContain('breaks-old-version');
    expect(expand('ALTER TABLE users ADD COLUMN x int DEFAULT NULL NOT NULL')).toEqual(['breaks-old-version']);
    expect(expand('ALTER TABLE users ADD COLUMN x int NOT NULL GENERATED ALWAYS AS (id * 2) STORED')).not.toContain('breaks-old-version');
    expect(expand('ALTER TABLE users ADD COLUMN x int AS (id * 2) NOT NULL', MY)).not.toContain('breaks-old-version');
    // DROP INDEX and REFRESH MATERIALIZED VIEW without CONCURRENTLY (PostgreSQL).
    expect(expand('DROP INDEX users_x')).toEqual(['blocking-index']);
    expect(expand('DROP INDEX IF EXISTS users_x')).toEqual(['blocking-index']);
    expect(expand('DROP INDEX CONCURRENTLY users_x')).toEqual([]);
    expect(expand('DROP INDEX users_x ON users', MY)).toEqual([]);
    expect(expand('REFRESH MATERIALIZED VIEW mv')).toEqual(['long-lock']);
    expect(expand('REFRESH MATERIALIZED VIEW CONCURRENTLY mv')).toEqual([]);
    expect(expand('REFRESH MATERIALIZED VIEW mv WITH NO DATA')).toEqual([]);
    // A statement PostgreSQL runs only outside a transaction block, among others of its field (plan refuses it).
    expect(expand('CREATE INDEX CONCURRENTLY i ON users (email); ANALYZE users')).toEqual(['transaction-control']);
    expect(expand('CREATE INDEX CONCURRENTLY i ON users (email)')).toEqual([]);
  });

  it('campaign BX: a key declared with ADD COLUMN builds its index blocking; a type change to text may be catalog-only, and `-- xc-lint ignore` says the author knows', () => {
    for (const sql of ['ALTER TABLE users ADD COLUMN b text UNIQUE', 'ALTER TABLE users ADD COLUMN b text CONSTRAINT b_key UNIQUE', 'ALTER TABLE users ADD COLUMN b bigint PRIMARY KEY', 'ALTER TABLE users ADD COLUMN b int EXCLUDE USING gist (b WITH =)']) {
      expect(expand(sql), sql).toEqual(['blocking-index']);
    }
    // Not a key of its own: a CHECK reading a function named so, a table made in the field, MySQL's online index build.
    expect(expand("ALTER TABLE users ADD COLUMN b text DEFAULT 'unique'")).toEqual([]);
    expect(expand('CREATE TABLE t (id int); ALTER TABLE t ADD COLUMN b text UNIQUE')).toEqual([]);
    expect(expand('ALTER TABLE users ADD COLUMN b varchar(10) UNIQUE', MY)).toEqual([]);
    const said = (sql: string) => lintDefinition('m.json', { operations: [{ sql: { expand: sql } }] } as MigrationDefinition).map((f) => `${f.rule}: ${f.message}`);
    expect(said('ALTER TABLE users ALTER COLUMN full_name TYPE text')).toEqual([expect.stringMatching(/^table-rewrite: .*\(unless the column is text or a varchar no longer than this already: then only the catalog changes, which lint cannot read — alterColumn reads it, and `-- xc-lint ignore table-rewrite` in the field says you know\)/)]);
    expect(said('ALTER TABLE users ALTER COLUMN age TYPE bigint')).toEqual([expect.not.stringContaining('unless')]);
    expect(expand('-- xc-lint ignore table-rewrite: varchar(200) to text\nALTER TABLE users ALTER COLUMN full_name TYPE text')).toEqual([]);
    expect(expand('ALTER TABLE users ALTER COLUMN a TYPE text; /* xc-lint ignore table-rewrite, set-not-null */ ALTER TABLE users ALTER COLUMN a SET NOT NULL')).toEqual([]);
    // Only what it names, only in its field.
    expect(rules({ expand: '-- xc-lint ignore table-rewrite\nALTER TABLE users ALTER COLUMN a TYPE text; ALTER TABLE users ALTER COLUMN a SET NOT NULL', contract: 'ALTER TABLE users ALTER COLUMN a TYPE text' })).toEqual(['set-not-null', 'table-rewrite']);
    expect(said('-- xc-lint ignore table-rewrites\nSELECT 1')).toEqual([expect.stringMatching(/^unknown-rule: `xc-lint ignore` names "table-rewrites", which is no rule of lint's: transaction-control, several-statements, blocking-index/)]);
    // Campaign BZ: a reason beside it is no rule; a mistyped one is named whole; a colon after xc-lint, or no name, is read.
    expect(said('ALTER TABLE users ADD COLUMN k int PRIMARY KEY -- xc-lint ignore blocking-index, it is a new table')).toEqual([]);
    expect(said('-- xc-lint ignore table_rewrite\nALTER TABLE users ALTER COLUMN a TYPE bigint').map((x) => x.slice(0, 60))).toEqual([expect.stringMatching(/^unknown-rule: `xc-lint ignore` names "table_rewrite"/), expect.stringMatching(/^table-rewrite: /)]);
    expect(expand('-- xc-lint: ignore table-rewrite\nALTER TABLE users ALTER COLUMN a TYPE bigint')).toEqual([]);
    expect(said('-- xc-lint ignore\nSELECT 1')).toEqual([expect.stringMatching(/^unknown-rule: `xc-lint ignore` names no rule: transaction-control/)]);
    // In a literal it is no comment.
    expect(expand("ALTER TABLE users ALTER COLUMN a TYPE text USING 'xc-lint ignore table-rewrite'")).toEqual(['table-rewrite']);
  });

  it('names the field and the statement', () => {
    const [f] = lintDefinition('m.json', { operations: [{ sql: { expand: 'select 1' } }, { sql: { expand: 'SELECT 1', rollback: 'COMMIT' } }] } as MigrationDefinition);
    expect(f).toMatchObject({ file: 'm.json', path: 'operations[1].sql.rollback', rule: 'transaction-control', severity: 'error', statement: 'COMMIT' });
  });
});

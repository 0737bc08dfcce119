/** An author's raw SQL read by its tokens (campaign O): what runs outside a transaction, what a MariaDB DML is. */
import { describe, expect, it } from 'vitest';
import { concurrentIndexBuild, outsideTransaction, pgRawSqlIssue, pgStatements } from '../../src/dialects/postgres/statements.js';
import { isDml } from '../../src/dialects/mysql/ddl.js';

const outside = (sql: string) => pgStatements(sql).map(outsideTransaction);

describe('PostgreSQL: statements run only outside a transaction block', () => {
  it('told by the keywords, never by words in literals, quoted names or comments', () => {
    expect(outside(`UPDATE items SET note = 'refreshed concurrently' WHERE true`)).toEqual([undefined]);
    expect(outside(`UPDATE items SET "vacuum" = 1 -- VACUUM later\n`)).toEqual([undefined]);
    expect(outside(`SELECT $$ CREATE INDEX CONCURRENTLY x ON t (a); VACUUM $$`)).toEqual([undefined]);
    expect(outside(`REFRESH MATERIALIZED VIEW CONCURRENTLY mv`)).toEqual([undefined]);
    expect(outside(`CREATE TABLE t (concurrently int)`)).toEqual([undefined]);
    expect(outside(`create unique index concurrently if not exists i on t (a)`)).toEqual(['CREATE INDEX CONCURRENTLY']);
    expect(outside(`/* x */ VACUUM (ANALYZE) t`)).toEqual(['VACUUM']);
    expect(outside(`DROP INDEX CONCURRENTLY i`)).toEqual(['DROP INDEX CONCURRENTLY']);
    expect(outside(`REINDEX (VERBOSE) INDEX CONCURRENTLY i`)).toEqual(['REINDEX INDEX CONCURRENTLY']);
    expect(outside(`REINDEX TABLE t`)).toEqual([undefined]);
    expect(outside(`ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY`)).toEqual(['ALTER TABLE … DETACH PARTITION … CONCURRENTLY']);
    expect(outside(`ALTER SYSTEM SET work_mem = '8MB'`)).toEqual(['ALTER SYSTEM']);
  });

  it('statements split at ; outside literals', () => {
    expect(pgStatements(`SELECT ';'; SELECT 2;;  `).length).toBe(2);
  });

  it('several statements with one of them refused at plan, one alone not', () => {
    expect(pgRawSqlIssue(`CREATE INDEX CONCURRENTLY i ON t (a)`)).toBeUndefined();
    expect(pgRawSqlIssue(`CREATE INDEX CONCURRENTLY i ON t (a);`)).toBeUndefined();
    expect(pgRawSqlIssue(`ALTER TABLE t ADD c int; UPDATE t SET c = 1`)).toBeUndefined();
    expect(pgRawSqlIssue(`CREATE INDEX i ON ONLY p (a); CREATE INDEX CONCURRENTLY i1 ON p1 (a)`)).toMatch(/holds 2 statements, one of them CREATE INDEX CONCURRENTLY/);
  });

  it('transaction control is refused (campaign R: an author COMMIT left the step pending, and a re-run ran the committed UPDATE again)', () => {
    for (const [sql, what] of [
      [`UPDATE k SET n = n + 1; COMMIT; INSERT INTO once VALUES (1)`, 'COMMIT'],
      [`BEGIN; UPDATE k SET n = n + 1; COMMIT;`, 'BEGIN'],
      [`start transaction; update k set n = 1`, 'START TRANSACTION'],
      [`UPDATE k SET n = 1; ROLLBACK`, 'ROLLBACK'],
      [`UPDATE k SET n = 1; END`, 'END'],
      [`ABORT`, 'ABORT'],
    ] as const) expect(pgRawSqlIssue(sql), sql).toMatch(new RegExp(`^holds ${what}: xc runs each field in a transaction with its journal row`));
    // Not transaction control: a savepoint's rollback, the words in literals, comments, names, a DO block, a BEGIN ATOMIC body.
    for (const sql of [
      `SAVEPOINT a; UPDATE k SET n = 1; ROLLBACK TO SAVEPOINT a`,
      `UPDATE k SET note = 'COMMIT; BEGIN' -- ROLLBACK\n`,
      `UPDATE "commit" SET "begin" = 1`,
      `DO $$ BEGIN UPDATE k SET n = 1; END $$`,
      `CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END`,
    ]) expect(pgRawSqlIssue(sql), sql).toBeUndefined();
  });

  it('the index a CREATE INDEX CONCURRENTLY builds', () => {
    const build = (sql: string) => concurrentIndexBuild(pgStatements(sql)[0]!);
    expect(build(`CREATE INDEX CONCURRENTLY Items_V ON items (v)`)).toEqual({ name: 'items_v', table: 'items', tableName: 'items', ifNotExists: false });
    expect(build(`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Big" ON public."T" USING btree (v)`)).toEqual({ name: 'Big', table: 'public."T"', ifNotExists: true });
    expect(build(`CREATE INDEX CONCURRENTLY ON items (v)`)).toEqual({ table: 'items', tableName: 'items', ifNotExists: false });
    expect(build(`CREATE INDEX i ON items (v)`)).toBeUndefined();
  });
});

describe('MySQL/MariaDB: DML that can commit with its journal row', () => {
  it('INSERT, UPDATE, DELETE, REPLACE, WITH; not DDL, CALL or an executable comment', () => {
    for (const sql of ['UPDATE items SET n = n + 1', ' /* c */ insert into t values (1)', 'DELETE FROM t', 'REPLACE INTO t VALUES (1)', 'WITH x AS (SELECT 1) UPDATE t SET n = 1']) expect(isDml(sql), sql).toBe(true);
    for (const sql of ['ALTER TABLE t ADD c int', 'CREATE TABLE t (id int)', 'CALL p()', '/*!50000 ALTER TABLE t ADD c int */', "SET @x = 'update'"]) expect(isDml(sql), sql).toBe(false);
  });
});

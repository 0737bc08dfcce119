/**
 * Issue 11 item 11: a `sql` operation's text is parsed by the server at plan
 * (PostgreSQL as a PL/pgSQL body, MySQL/MariaDB as a prepared statement), so
 * a typo is exit 2 naming the file, the field and the server's message,
 * before any state table or row exists — never a migration stuck half-way.
 */
import { expect, it } from 'vitest';
import { createMysqlDriver } from '../../src/dialects/mysql/driver.js';
import { detectDialect } from '../../src/dialects/index.js';
import { targets } from '../helpers/targets.js';
import { onCleanup, refused, setup, rejection } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`raw sql syntax (${target.name})`, () => {
    const pg = target.name === 'postgres';
    const schema = [`CREATE TABLE items (id int PRIMARY KEY, n int)`, `INSERT INTO items (id, n) VALUES (1, 10), (2, 20)`];
    const addM = 'ALTER TABLE items ADD COLUMN m int';
    /** MariaDB's words before the text it stopped at. */
    const my = (near: string) => `You have an error in your SQL syntax; check the manual .* near '${near}'`;

    const typos: { what: string; spec: Record<string, unknown>; field: string; server: string }[] = [
      { what: 'expand', spec: { expand: 'ALTER TABLE items ADDD COLUMN m int' }, field: 'expand', server: pg ? 'syntax error at or near "ADDD"' : my('COLUMN m int') },
      { what: 'contract', spec: { expand: addM, contract: 'ALTER TABLE items DROP COLUMN n,' }, field: 'contract', server: pg ? 'syntax error at end of input' : my('') },
      { what: 'rollback', spec: { expand: addM, rollback: 'ALTER TABLE items DROPP COLUMN m' }, field: 'rollback', server: pg ? 'syntax error at or near "DROPP"' : my('COLUMN m') },
      {
        what: 'backfill set, over a column the expand creates',
        spec: { expand: addM, backfill: { table: 'items', set: { m: 'n *' } } },
        field: 'backfill.set.m',
        server: pg ? 'syntax error at or near "\\)"' : my('\\)'),
      },
      {
        what: 'backfill where, over a column the expand creates',
        spec: { expand: addM, backfill: { table: 'items', set: { m: 'n * 2' }, where: 'm IS NULL AND' } },
        field: 'backfill.where',
        server: pg ? 'syntax error at or near "\\)"' : my('\\)'),
      },
    ];
    for (const { what, spec, field, server } of typos) {
      it(`a syntax error in ${what} is refused by plan and apply (exit 2) naming file, field and the server's message; nothing is created`, async () => {
        const s = await setup(target, schema, 'xc_rawsql');
        await s.write('0001_raw', { sql: spec });
        await refused(s, ['items'], new RegExp(`0001_raw\\.json: operations\\[0\\]\\.sql\\.${field.replace(/\./g, '\\.')}: not valid SQL: ${server}`));
      });
    }

    it("a text ending in its own ';' (pgroll's example 40) passes plan and runs", async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      await s.write('0001_semicolon', { sql: { expand: `${addM};\n`, rollback: 'ALTER TABLE items DROP COLUMN m ;' } });
      await s.xc.apply();
      expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id', 'n', 'm']);
    });

    it('with the state already there, a syntax error adds no state row, no step and no column', async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      await s.write('0001_k', { sql: { expand: 'ALTER TABLE items ADD COLUMN k int', rollback: 'ALTER TABLE items DROP COLUMN k' } });
      await s.xc.apply();
      await s.write('0002_raw', { sql: { expand: addM, contract: 'ALTER TABLE items DROPP COLUMN n' } });
      await refused(s, ['items'], /0002_raw\.json: operations\[0\]\.sql\.contract: not valid SQL/);
      const state = pg ? 'xc.' : 'xc_';
      expect(await s.db.query(`SELECT id FROM ${state}migrations ORDER BY id`)).toEqual([{ id: '0001_k' }]);
      expect(await s.db.count(`SELECT count(*) FROM ${state}steps WHERE migration_id = '0002_raw'`)).toBe(0);
      expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id', 'n', 'k']);
    });

    it('valid statements are parsed, not run, at plan: a DROP TABLE planned leaves the table and its rows', async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      await s.write('0001_drop', { sql: { expand: `INSERT INTO items (id, n) VALUES (3, 30)`, contract: 'DROP TABLE items', rollback: 'DELETE FROM items' } });
      const plan = await s.xc.plan();
      expect(plan.migrations.map((m) => m.id)).toEqual(['0001_drop']);
      expect(await s.db.query(`SELECT id, n FROM items ORDER BY id`)).toEqual([{ id: 1, n: 10 }, { id: 2, n: 20 }]);
    });

    it('statements over what an earlier statement creates pass the check and run: a backfill of a column the expand adds fills every row', async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      await s.write('0001_m', { sql: { expand: addM, rollback: 'ALTER TABLE items DROP COLUMN m', backfill: { table: 'items', set: { m: 'n * 2' }, where: 'm IS NULL' } } });
      await s.write('0002_idx', { sql: { expand: 'CREATE INDEX items_m ON items (m)', rollback: pg ? 'DROP INDEX items_m' : 'DROP INDEX items_m ON items' } });
      await s.xc.apply();
      expect(await s.db.query(`SELECT id, m FROM items ORDER BY id`)).toEqual([{ id: 1, m: 20 }, { id: 2, m: 40 }]);
      expect((await s.db.indexes('items')).map((i) => i.name)).toContain('items_m');
    });

    it.skipIf(pg)('several statements in one field, which MySQL/MariaDB would refuse at apply, are refused at plan with the reason', async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      await s.write('0001_two', { sql: { expand: `${addM}; CREATE INDEX items_m ON items (m)` } });
      await refused(s, ['items'], /0001_two\.json: operations\[0\]\.sql\.expand: not valid SQL: You have an error in your SQL syntax; .*near 'CREATE INDEX items_m ON items \(m\)'.* MySQL\/MariaDB get each `sql` field as one statement/);
      // Whatever the connection allows: a wrapped pool with multipleStatements on would have run both.
      await s.write('0001_two', { sql: { expand: `${addM};` } });
      await s.xc.apply();
      expect((await s.db.columns('items')).map((c) => c.name)).toEqual(['id', 'n', 'm']);
    });

    it.skipIf(pg)('the MySQL/MariaDB check runs nothing and gives the session back as it was (its lock_wait_timeout, no user variables)', async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      const driver = createMysqlDriver(s.db.url);
      onCleanup(() => driver.close());
      const dialect = await detectDialect(driver);
      const session = await driver.acquire();
      try {
        await session.query('SET SESSION lock_wait_timeout = 77');
        // Quotes and backslashes reach the parser as written: the text travels as hex.
        expect(await dialect.sqlSyntaxIssue!(session, `INSERT INTO items (id, n) VALUES (3, LENGTH('it''s \\ \\' ok'))`)).toBeNull();
        expect(await dialect.sqlSyntaxIssue!(session, 'DROP TABLE items')).toBeNull();
        expect(await dialect.sqlSyntaxIssue!(session, 'DELETE FROM items WHERE')).toMatch(/You have an error in your SQL syntax/);
        const [row] = (await session.query<{ t: unknown; a: unknown; b: unknown }>('SELECT @@SESSION.lock_wait_timeout AS t, @xc_syntax_check AS a, @xc_syntax_lwt AS b')).rows;
        expect(row).toEqual({ t: '77', a: null, b: null });
      } finally {
        session.release();
      }
      expect(await s.db.query(`SELECT id, n FROM items ORDER BY id`)).toEqual([{ id: 1, n: 10 }, { id: 2, n: 20 }]);
    });

    it.skipIf(pg)('a statement MySQL/MariaDB cannot prepare is left to apply, never run at plan', async () => {
      const s = await setup(target, schema, 'xc_rawsql');
      // EXECUTE is not preparable (ER_UNSUPPORTED_PS): not checked. Run, it would fail (no such prepared statement).
      await s.write('0001_exec', { sql: { expand: 'EXECUTE xc_nothing_prepared' } });
      expect((await s.xc.plan()).migrations.map((m) => m.id)).toEqual(['0001_exec']);
      const err = await rejection(s.xc.apply());
      expect(err.exitCode, err.message).toBe(1);
      expect(err.message).toMatch(/Unknown prepared statement handler/i);
    });
  });
}

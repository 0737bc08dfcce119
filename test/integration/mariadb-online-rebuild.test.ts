/**
 * MariaDB: a table with a FULLTEXT index or an indexed VIRTUAL column gets no column added or dropped online, and one
 * with a SPATIAL index no online rebuild (LOCK=NONE; xc takes no LOCK=SHARED nor ALGORITHM=COPY): an operation whose
 * expand, contract or rollback would do that is refused at plan (exit 2, naming the index, nothing executed) instead
 * of failing at apply or contract. What the server does online on such tables (an index, an instant column on a
 * SPATIAL table) and every operation on a table with an unindexed VIRTUAL or a STORED column still apply and contract.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { record, refused, setup } from '../helpers/scenario.js';

const target = targets.find((t) => t.name === 'mysql');
const mariadb = async (s: { db: { query(sql: string): Promise<Record<string, unknown>[]> } }) => /mariadb/i.test(String(Object.values((await s.db.query('SELECT VERSION() AS v'))[0]!)[0]));

const base = `id int PRIMARY KEY AUTO_INCREMENT, n int, k int DEFAULT 3, body text, g point NOT NULL DEFAULT (point(0, 0))`;
const kinds = {
  fulltext: { ddl: `, FULLTEXT KEY ft (body)`, index: /the FULLTEXT index "ft"/ },
  spatial: { ddl: `, SPATIAL KEY sp (g)`, index: /the SPATIAL index "sp"/ },
  indexedVirtual: { ddl: `, vv int AS (k + 1) VIRTUAL, KEY kv (vv)`, index: /the indexed VIRTUAL column "vv" \(index "kv"\)/ },
  virtual: { ddl: `, vv int AS (k + 1) VIRTUAL`, index: undefined },
  stored: { ddl: `, vs int AS (k + 1) STORED, KEY ks (vs)`, index: undefined },
} as const;
type Kind = keyof typeof kinds;

const ops = {
  alterInPlace: { alterColumn: { table: 't', column: 'n', type: 'bigint' } },
  renameColumn: { renameColumn: { table: 't', from: 'n', to: 'n2' } },
  addColumnWithUp: { addColumn: { table: 't', column: { name: 'z', type: 'int' }, up: 'n * 2' } },
  addColumn: { addColumn: { table: 't', column: { name: 'z', type: 'int' } } },
  addColumnDefault: { addColumn: { table: 't', column: { name: 'z', type: 'int', nullable: false, default: '7' } } },
  dropColumn: { dropColumn: { table: 't', column: 'n' } },
  addIndex: { addIndex: { table: 't', name: 'ix_k', columns: ['k'] } },
} as const;
type Op = keyof typeof ops;

/** Found by hand on MariaDB 10.11: which of xc's forms each kind of table refuses (see MysqlDialect.alterIssue). */
const refusedOn: Record<Kind, Op[]> = {
  fulltext: ['alterInPlace', 'renameColumn', 'addColumnWithUp', 'addColumn', 'addColumnDefault', 'dropColumn'],
  indexedVirtual: ['alterInPlace', 'renameColumn', 'addColumnWithUp', 'addColumn', 'addColumnDefault', 'dropColumn'],
  // An instant ADD / DROP COLUMN runs; a rebuild (the copy column added with FORCE) does not.
  spatial: ['alterInPlace', 'renameColumn'],
  virtual: [],
  stored: [],
};

const create = (kind: Kind) => [`CREATE TABLE t (${base}${kinds[kind].ddl})`, `INSERT INTO t (n, body) VALUES (1, 'hello world'), (NULL, 'x')`];

if (target) {
  target.describe('MariaDB: column changes the server makes only with a lock or a copy, refused at plan', () => {
    for (const kind of Object.keys(kinds) as Kind[]) {
      const refusedOps = refusedOn[kind];
      if (refusedOps.length > 0) {
        it(`${kind}: ${refusedOps.join(', ')} refused, exit 2, naming the file, the path, the table and the index; nothing executed`, async () => {
          for (const op of refusedOps) {
            const s = await setup(target, create(kind), 'xc_onrb');
            if (!(await mariadb(s))) return;
            await s.write('0001_x', ops[op]);
            const kindName = Object.keys(ops[op])[0]!;
            await refused(s, ['t'], new RegExp(`0001_x\\.json: operations\\[0\\]\\.${kindName}\\.table: its (expand|contract|rollback) [\\s\\S]*"t" has ${kinds[kind].index!.source}[\\s\\S]*drop that`));
            expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['pending']);
          }
        });
      }
      const allowed = (Object.keys(ops) as Op[]).filter((op) => !refusedOps.includes(op));
      it(`${kind}: ${allowed.join(', ')} apply and contract`, async () => {
        for (const op of allowed) {
          const s = await setup(target, create(kind), 'xc_onrb');
          if (!(await mariadb(s))) return;
          await s.write('0001_x', ops[op]);
          await s.xc.apply();
          await record(s.xc, '0001_x');
          await s.xc.contract();
          expect((await s.xc.status()).migrations.map((m) => m.phase), op).toEqual(['contracted']);
        }
      });
    }

    // Campaign AD: plan promised ALGORITHM=INSTANT, and apply failed after the steps before it ran.
    it('ROW_FORMAT=COMPRESSED: a column added (a rename’s copy too) or dropped refused at plan, nothing executed; an index or a default applies and contracts', async () => {
      const compressed = [`CREATE TABLE t (id int PRIMARY KEY, n int, v varchar(10)) ROW_FORMAT=COMPRESSED`, `CREATE TABLE o (id int PRIMARY KEY, x int)`, `INSERT INTO t VALUES (1, 1, 'a')`];
      for (const op of [ops.addColumn, { dropColumn: { table: 't', column: 'v' } }, { renameColumn: { table: 't', from: 'v', to: 'label' } }]) {
        const s = await setup(target, compressed, 'xc_onrb');
        if (!(await mariadb(s))) return;
        await s.write('0001_x', { addIndex: { table: 'o', columns: ['x'] } }, op);
        await refused(s, ['t', 'o'], /0001_x\.json: operations\[1\]\.\w+\.table: its (expand|contract) [\s\S]*"t" is ROW_FORMAT=COMPRESSED: MariaDB adds or drops a column of such a table only by rebuilding it/);
      }
      const s = await setup(target, compressed, 'xc_onrb');
      if (!(await mariadb(s))) return;
      await s.write('0001_x', { alterColumn: { table: 't', column: 'n', default: '5' } }, { addIndex: { table: 't', columns: ['n'] } });
      await s.xc.apply();
      await record(s.xc, '0001_x');
      await s.xc.contract();
      await s.db.query(`INSERT INTO t (id) VALUES (2)`);
      expect(await s.db.query(`SELECT id, n, v FROM t ORDER BY id`)).toEqual([{ id: 1, n: 1, v: 'a' }, { id: 2, n: 5, v: null }]);
    });

    // Campaign EJ: a FULLTEXT index dropped leaves InnoDB's hidden FTS_DOC_ID column; plan showed ALGORITHM=INSTANT and
    // apply failed at that first step ("ALGORITHM=INSTANT is not supported"), left `expanding`.
    it('a FULLTEXT index dropped earlier: a column added or dropped refused at plan, nothing executed, saying how; once the table is rebuilt it applies', async () => {
      const leftOver = [`CREATE TABLE t (id int PRIMARY KEY, n int, body text, FULLTEXT KEY ft (body))`, `CREATE TABLE o (id int PRIMARY KEY, x int)`, `INSERT INTO t VALUES (1, 1, 'a b')`, `ALTER TABLE t DROP INDEX ft`];
      for (const op of [ops.addColumn, ops.dropColumn]) {
        const s = await setup(target, leftOver, 'xc_onrb');
        if (!(await mariadb(s))) return;
        await s.write('0001_x', { addIndex: { table: 'o', columns: ['x'] } }, op);
        await refused(s, ['t', 'o'], /0001_x\.json: operations\[1\]\.\w+\.table: its (expand|contract) [\s\S]*"t" keeps InnoDB's hidden FTS_DOC_ID column from a FULLTEXT index dropped since: [\s\S]*ALTER TABLE … FORCE, ALGORITHM=INPLACE, LOCK=NONE/);
      }
      const s = await setup(target, leftOver, 'xc_onrb');
      await s.db.query(`ALTER TABLE t FORCE, ALGORITHM=INPLACE, LOCK=NONE`);
      await s.write('0001_x', ops.addColumn);
      await s.xc.apply();
      await record(s.xc, '0001_x');
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, n, body, z FROM t ORDER BY id`)).toEqual([{ id: 1, n: 1, body: 'a b', z: null }]);
    });
  });
}

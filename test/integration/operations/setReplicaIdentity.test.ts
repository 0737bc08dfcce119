/**
 * setReplicaIdentity (PostgreSQL only): set at expand, catalog only; nothing at contract; rollback sets the identity
 * the table had before (read from the catalog at plan). MySQL/MariaDB refuse it at validation.
 */
import { expect, it } from 'vitest';
import { describeOperation } from '../../helpers/operations.js';
import type { Db } from '../../helpers/targets.js';
import { targets } from '../../helpers/targets.js';
import { refused, setup } from '../../helpers/scenario.js';

/** relreplident of the table, and the index marked as its identity, if any. */
async function identity(db: Db, table: string): Promise<{ type: string; index: string | null }> {
  const [r] = await db.query<{ type: string; index: string | null }>(
    `SELECT c.relreplident::text AS type, (SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident) AS index FROM pg_class c WHERE c.oid = to_regclass(?)`,
    [table],
  );
  return r!;
}

const FRUITS = [`CREATE TABLE fruits (id int PRIMARY KEY, name varchar(20) NOT NULL, size int)`, `CREATE UNIQUE INDEX fruits_name_key ON fruits (name)`, `INSERT INTO fruits VALUES (1, 'apple', 1)`];
const writes = { old: [`INSERT INTO fruits VALUES (2, 'banana', 2)`], new: [`UPDATE fruits SET size = 3 WHERE id = 1`] };

describeOperation('setReplicaIdentity', [
  {
    // pgroll's 29_set_replica_identity.
    name: 'the primary key index',
    only: 'postgres',
    setup: FRUITS,
    operations: [{ setReplicaIdentity: { table: 'fruits', identity: { type: 'index', index: 'fruits_pkey' } } }],
    writes,
    async afterStart(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'i', index: 'fruits_pkey' });
    },
    async afterComplete(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'i', index: 'fruits_pkey' });
      expect(await db.count(`SELECT count(*) FROM fruits WHERE size = 3`)).toBe(1);
    },
    async afterRollback(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'd', index: null });
    },
  },
  {
    name: 'full, on a table whose identity was another index: rollback gives that index back',
    only: 'postgres',
    setup: [...FRUITS, `ALTER TABLE fruits REPLICA IDENTITY USING INDEX fruits_name_key`],
    operations: [{ setReplicaIdentity: { table: 'fruits', identity: { type: 'full' } } }],
    writes,
    async afterStart(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'f', index: null });
    },
    async afterComplete(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'f', index: null });
    },
    async afterRollback(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'i', index: 'fruits_name_key' });
    },
  },
  {
    // Campaign O: the identity was read before the rename of its key, in the same migration: the rollback (newest
    // operation first) set it by the key's old name, which comes back only after — failing for ever (stuck).
    name: 'full, after a renameConstraint of the identity key in the same migration: rollback gives that key back',
    only: 'postgres',
    setup: [`CREATE TABLE f (id int PRIMARY KEY, code text NOT NULL, CONSTRAINT f_code_uq UNIQUE (code))`, `ALTER TABLE f REPLICA IDENTITY USING INDEX f_code_uq`, `INSERT INTO f VALUES (1, 'a')`],
    operations: [{ renameConstraint: { table: 'f', from: 'f_code_uq', to: 'f_code_key' } }, { setReplicaIdentity: { table: 'f', identity: { type: 'full' } } }],
    writes: { old: [`INSERT INTO f VALUES (2, 'b')`], new: [`UPDATE f SET code = 'c' WHERE id = 1`] },
    async afterStart(db) {
      expect(await identity(db, 'f')).toEqual({ type: 'f', index: null });
    },
    async afterComplete(db) {
      expect(await identity(db, 'f')).toEqual({ type: 'f', index: null });
      expect(await db.count(`SELECT count(*) FROM f WHERE code IN ('b', 'c')`)).toBe(2);
    },
    async afterRollback(db) {
      expect(await identity(db, 'f')).toEqual({ type: 'i', index: 'f_code_uq' });
    },
  },
  {
    name: 'default and nothing, in two migrations, from full: rollback gives full back',
    only: 'postgres',
    setup: [...FRUITS, `ALTER TABLE fruits REPLICA IDENTITY FULL`],
    migrations: [[{ setReplicaIdentity: { table: 'fruits', identity: { type: 'default' } } }], [{ setReplicaIdentity: { table: 'fruits', identity: { type: 'nothing' } } }]],
    writes,
    async afterStart(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'n', index: null });
    },
    async afterComplete(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'n', index: null });
    },
    async afterRollback(db) {
      expect(await identity(db, 'fruits')).toEqual({ type: 'f', index: null });
    },
  },
]);

for (const target of targets) {
  target.describe(`setReplicaIdentity, refusals (${target.name})`, () => {
    if (target.name === 'mysql') {
      it('MySQL/MariaDB have no replica identity: refused naming the path, nothing run', async () => {
        const s = await setup(target, [`CREATE TABLE fruits (id int PRIMARY KEY)`], 'xc_ri');
        await s.write('0001_ri', { setReplicaIdentity: { table: 'fruits', identity: { type: 'full' } } });
        await refused(s, ['fruits'], /0001_ri\.json: operations\[0\]\.setReplicaIdentity\.identity: replica identity is PostgreSQL's: MySQL\/MariaDB have no replica identity/);
      });
      return;
    }
    it('an index that is missing, not unique, partial or over nullable columns is refused; type and index must agree', async () => {
      const s = await setup(target, [...FRUITS, `CREATE INDEX fruits_size ON fruits (size)`, `CREATE UNIQUE INDEX fruits_size_key ON fruits (size)`, `CREATE UNIQUE INDEX fruits_live ON fruits (name) WHERE id > 0`], 'xc_ri');
      const cases: [unknown, RegExp][] = [
        [{ type: 'index', index: 'nope' }, /identity\.index: table "fruits" has no index "nope"/],
        [{ type: 'index', index: 'fruits_size' }, /identity\.index: index "fruits_size" is not unique/],
        [{ type: 'index', index: 'fruits_live' }, /identity\.index: index "fruits_live" is partial/],
        [{ type: 'index', index: 'fruits_size_key' }, /identity\.index: index "fruits_size_key" covers nullable columns \(size\)/],
        [{ type: 'index' }, /identity\.index: type 'index' needs `index`/],
        [{ type: 'full', index: 'fruits_pkey' }, /identity\.index: `index` belongs to type 'index', not 'full'/],
      ];
      for (const [identity, message] of cases) {
        await s.write('0001_ri', { setReplicaIdentity: { table: 'fruits', identity } });
        await refused(s, ['fruits'], message);
      }
    });
  });
}

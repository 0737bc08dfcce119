/**
 * Issue 11: what an adversarial campaign fed xc. A migration file is trusted
 * code, like any SQL migration, but `plan` must change nothing, ever (CI runs
 * it on pull requests), and a text that is meant to be one type or one
 * expression must never become several statements.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, setup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`hostile input (${target.name})`, () => {
    const schema = [`CREATE TABLE users (id int PRIMARY KEY, name varchar(40))`, `INSERT INTO users (id, name) VALUES (1, 'ada')`, `CREATE TABLE orders (id int PRIMARY KEY)`, `INSERT INTO orders (id) VALUES (7)`];
    const drop = 'DROP TABLE orders';

    const attempts: [string, unknown][] = [
      ['a type with a statement after it (item 1)', { addColumn: { table: 'users', column: { name: 'c', type: `int; ${drop}; --` } } }],
      ['a type closing a cast (item 1)', { alterColumn: { table: 'users', column: 'name', to: 'name2', type: `text); ${drop}; SELECT CAST(NULL AS text`, up: 'name', down: 'name2' } }],
      ['an index predicate that commits and drops (item 2)', { addIndex: { table: 'users', columns: ['name'], where: `true) LIMIT 0; COMMIT; ${drop}; SELECT (1` } }],
      ['a check expression with a second statement (item 2)', { addCheck: { table: 'users', name: 'users_ck', expression: `id > 0) LIMIT 0; COMMIT; ${drop}; SELECT (1` } }],
      ['an up expression with a second statement (item 2)', { addColumn: { table: 'users', column: { name: 'c', type: 'int' }, up: `1; COMMIT; ${drop}; SELECT 1` } }],
      ['a default with a second statement (item 2)', { createTable: { table: 'notes', columns: [{ name: 'id', type: 'int', primaryKey: true, nullable: false }, { name: 'n', type: 'int', default: `1; COMMIT; ${drop}; SELECT 1` }] } }],
    ];

    for (const [what, operation] of attempts) {
      it(`${what}: plan and apply refuse it (exit 2), and nothing changes`, async () => {
        const s = await setup(target, schema, 'xc_hostile');
        await s.write('0001_hostile', operation);
        await refused(s, ['users', 'orders'], /0001_hostile\.json: operations\[0\]/);
        expect(await s.db.count(`SELECT count(*) FROM orders`)).toBe(1);
      });
    }

    it('a name PostgreSQL would cut onto an existing table is refused by its length in bytes, and the table keeps its rows (item 3)', async () => {
      const existing = `${'é'.repeat(31)}x`; // 63 bytes, 32 characters
      const s = await setup(target, [...schema, `CREATE TABLE ${q(target.name, existing)} (id int PRIMARY KEY)`, `INSERT INTO ${q(target.name, existing)} (id) VALUES (1)`], 'xc_hostile');
      await s.write('0001_long', { createTable: { table: `${existing}é`, columns: [{ name: 'id', type: 'int', primaryKey: true, nullable: false }] } });
      await refused(s, ['users', existing], /0001_long\.json: operations\[0\]\.createTable\.table: names are at most 63 bytes in UTF-8 .* this one is 65 — an existing longer name \(MySQL allows 64 characters\) is reached by a `sql` operation/);
      expect(await s.db.count(`SELECT count(*) FROM ${q(target.name, existing)}`)).toBe(1);
    });

    it('names holding $xc$ (the dollar-quote tag of xc\'s PostgreSQL bodies) go through apply, rollback and contract (item 11)', async () => {
      const t = 't$xc$';
      const s = await setup(target, [`CREATE TABLE ${q(target.name, t)} (id int PRIMARY KEY, ${q(target.name, 'a$xc$b')} int)`, `INSERT INTO ${q(target.name, t)} VALUES (1, 5)`], 'xc_hostile');
      await s.write('0001_dollar', { renameTable: { from: t, to: 'u$xc$' } }, { renameColumn: { table: 'u$xc$', from: 'a$xc$b', to: 'c$xc$' } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO ${q(target.name, t)} (id, ${q(target.name, 'a$xc$b')}) VALUES (2, 6)`);
      await s.xc.rollback();
      expect(await s.db.query(`SELECT id, ${q(target.name, 'a$xc$b')} AS v FROM ${q(target.name, t)} ORDER BY id`)).toEqual([
        { id: 1, v: 5 },
        { id: 2, v: 6 },
      ]);
      await s.xc.apply();
      await s.xc.deploy.record({ app: 'shop', version: 'v2', level: '0001_dollar' });
      await s.xc.contract();
      expect(await s.db.query(`SELECT id, ${q(target.name, 'c$xc$')} AS v FROM ${q(target.name, 'u$xc$')} ORDER BY id`)).toEqual([
        { id: 1, v: 5 },
        { id: 2, v: 6 },
      ]);
    });
  });
}

const q = (dialect: string, name: string) => (dialect === 'postgres' ? `"${name}"` : `\`${name}\``);

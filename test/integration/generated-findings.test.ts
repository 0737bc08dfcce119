/**
 * What the generated sequences (test/fuzz) found after issue 10's first
 * round, one regression test each, on every dialect: a foreign key's index
 * (MySQL drops or keeps one on its own), and a foreign key a column copy
 * re-creates at contract on a table a later operation renames, and a
 * contract over two tables that writers of both use (a deadlock must cost
 * xc a retry, never the application a write).
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { Writer } from '../helpers/writers.js';
import { dump, record, refused, rejection, setup, toContracted } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`generated sequences, found and fixed (${target.name})`, () => {
    const schema = [
      `CREATE TABLE owners (id int PRIMARY KEY)`,
      `INSERT INTO owners (id) VALUES (1), (2)`,
      `CREATE TABLE pets (id int PRIMARY KEY, owner_id int, kind varchar(20))`,
      `INSERT INTO pets (id, owner_id, kind) VALUES (1, 1, 'cat'), (2, 2, 'dog'), (3, NULL, 'fox')`,
    ];
    const orphanInsert = `INSERT INTO pets (id, owner_id) VALUES (99, 42)`;
    const fk = { addForeignKey: { table: 'pets', columns: ['owner_id'], references: { table: 'owners', columns: ['id'] }, name: 'pets_owner_fk' } };

    it('an index dropped in the migration that adds a foreign key over its columns: contract keeps one for the key (fuzz seed 4, MySQL)', async () => {
      const s = await setup(target, [...schema, `CREATE INDEX pets_owner_ix ON pets (owner_id)`]);
      await s.write('0001_swap', { dropIndex: { table: 'pets', name: 'pets_owner_ix' } }, fk);
      await toContracted(s, '0001_swap');
      const names = (await s.db.indexes('pets')).map((i) => i.name);
      expect(names).not.toContain('pets_owner_ix');
      expect((await rejection(s.db.query(orphanInsert))).message).toMatch(/foreign key|pets_owner_fk/i);
    });

    it('an index an existing foreign key needs, dropped: the key keeps an index of its own (fuzz seed 4, MySQL)', async () => {
      const s = await setup(target, [...schema, `CREATE INDEX pets_owner_ix ON pets (owner_id, kind)`, `ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)`]);
      await s.write('0001_drop', { dropIndex: { table: 'pets', name: 'pets_owner_ix' } });
      await toContracted(s, '0001_drop');
      expect((await s.db.indexes('pets')).map((i) => i.name)).not.toContain('pets_owner_ix');
      expect((await rejection(s.db.query(orphanInsert))).message).toMatch(/foreign key|pets_owner_fk/i);
    });

    it('an addIndex that MySQL lets replace a foreign key\'s own index is rolled back to the schema before (fuzz seed 104, MySQL)', async () => {
      const s = await setup(target, [...schema, `ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)`]);
      const before = (await dump(s.db, ['pets'])) as Record<string, unknown>;
      await s.write('0001_ix', { addIndex: { table: 'pets', columns: ['owner_id', 'kind'], name: 'pets_owner_kind_ix' } });
      await s.xc.apply();
      await s.xc.rollback();
      expect({ ...((await dump(s.db, ['pets'])) as Record<string, unknown>), state: undefined }).toEqual({ ...before, state: undefined });
      expect((await rejection(s.db.query(orphanInsert))).message).toMatch(/foreign key|pets_owner_fk/i);
    });

    it("a foreign key added over another's columns, rolled back: the first key's index keeps its name (fuzz seed 389, MariaDB gives it the new key's)", async () => {
      const second = { addForeignKey: { ...fk.addForeignKey, name: 'pets_keeper_fk' } };
      for (const operations of [[{ dropConstraint: { table: 'pets', name: 'pets_owner_fk' } }, second], [second]]) {
        const s = await setup(target, [...schema, `ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)`]);
        const before = (await dump(s.db, ['pets'])) as Record<string, unknown>;
        await s.write('0001_swap', ...operations);
        await s.xc.apply();
        await s.xc.rollback();
        expect({ ...((await dump(s.db, ['pets'])) as Record<string, unknown>), state: undefined }).toEqual({ ...before, state: undefined });
        expect((await rejection(s.db.query(orphanInsert))).message).toMatch(/foreign key|pets_owner_fk/i);
      }
    });

    it('a column copy re-creates its foreign key at contract: the parent table is not renamed before (fuzz seed 103)', async () => {
      const s = await setup(target, [...schema, `ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)`]);
      await s.write('0001_both', { renameColumn: { table: 'pets', from: 'owner_id', to: 'keeper_id' } }, { renameTable: { from: 'owners', to: 'keepers' } });
      await refused(s, ['pets', 'owners'], /operations\[1\]\.renameTable: table "owners" is named by 0001_both \(operations\[0\]\.renameColumn\) until it is contracted/);
      // The other way round the key is re-created against the new name: fine.
      await s.write('0001_both', { renameTable: { from: 'owners', to: 'keepers' } }, { renameColumn: { table: 'pets', from: 'owner_id', to: 'keeper_id' } });
      await toContracted(s, '0001_both');
      expect(await s.db.query(`SELECT id, keeper_id FROM pets ORDER BY id`)).toEqual([
        { id: 1, keeper_id: 1 },
        { id: 2, keeper_id: 2 },
        { id: 3, keeper_id: null },
      ]);
      expect((await rejection(s.db.query(`INSERT INTO pets (id, keeper_id) VALUES (99, 42)`))).message).toMatch(/foreign key|pets_owner_fk/i);
    });

    it('a contract that locks two tables while writers use both: no write fails, xc retries instead (fuzz seed 5)', async () => {
      // Each table references the other: an insert into either one checks its parent in the other.
      const s = await setup(target, [...schema, `ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)`, `ALTER TABLE owners ADD COLUMN fav int`, `ALTER TABLE owners ADD CONSTRAINT owners_fav_fk FOREIGN KEY (fav) REFERENCES pets (id)`]);
      await s.write('0001_rename', { renameColumn: { table: 'owners', from: 'fav', to: 'favourite' } });
      await s.xc.apply();
      await record(s.xc, '0001_rename');
      const writers = [
        new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO pets (id, owner_id) VALUES (?, ?)`, params: [1000 + i, 1 + (i % 2)] }), 0),
        new Writer(await s.db.connection(), (i) => ({ sql: `INSERT INTO owners (id, favourite) VALUES (?, 1)`, params: [1000 + i] }), 0),
      ];
      for (const w of writers) w.start();
      await new Promise((r) => setTimeout(r, 100));
      try {
        await s.xc.contract();
      } finally {
        for (const w of writers) await w.stop();
      }
      expect(writers.flatMap((w) => w.errors)).toEqual([]);
      expect(await s.db.count(`SELECT count(*) FROM pets WHERE id >= 1000`)).toBe(writers[0]!.writes);
      expect(await s.db.count(`SELECT count(*) FROM owners WHERE id >= 1000 AND favourite = 1`)).toBe(writers[1]!.writes);
    });

    it("a column an in-flight addColumn gives a default keeps it through a later migration's contract (fuzz seed 102, MySQL restates it)", async () => {
      const s = await setup(target, schema);
      await s.write('0001_add', { addColumn: { table: 'pets', column: { name: 'tag', type: 'varchar(40)', default: "'none'" }, up: "'none'" } });
      await s.xc.apply();
      await s.write('0002_nn', { setNotNull: { table: 'pets', column: 'tag' } });
      await s.xc.apply();
      await toContracted(s, '0002_nn');
      await s.db.query(`INSERT INTO pets (id) VALUES (10)`);
      expect(await s.db.query(`SELECT id, tag FROM pets ORDER BY id`)).toEqual([1, 2, 3, 10].map((id) => ({ id, tag: 'none' })));
    });

    it('a copy made NOT NULL at contract is not dropped in the same migration: new writers would fail between the two (fuzz seed 8)', async () => {
      const s = await setup(target, schema);
      await s.write('0001_m', { alterColumn: { table: 'pets', column: 'kind', to: 'kind2', nullable: false, up: "COALESCE(kind, 'none')", down: 'kind2' } }, { dropColumn: { table: 'pets', column: 'kind2' } });
      await refused(s, ['pets'], /operations\[1\]\.dropColumn: column "pets"\."kind2" is made \(or kept\) NOT NULL by 0001_m \(operations\[0\]\.alterColumn\) at its contract/);
    });

    it('an index a later sql operation makes on a renamed column, in flight: a later migration may drop it (fuzz seed 257: "has no index")', async () => {
      const s = await setup(target, schema);
      const create = target.name === 'postgres' ? 'CREATE INDEX "pets_sx1" ON "pets" ("breed")' : 'CREATE INDEX `pets_sx1` ON `pets` (`breed`)';
      const drop = target.name === 'postgres' ? 'DROP INDEX "pets_sx1"' : 'DROP INDEX `pets_sx1` ON `pets`';
      await s.write('0001_m', { renameColumn: { table: 'pets', from: 'kind', to: 'breed' } }, { sql: { expand: create, rollback: drop } });
      await s.xc.apply();
      await s.write('0002_m', { dropIndex: { table: 'pets', name: 'pets_sx1' } });
      await s.xc.apply();
      await record(s.xc, '0002_m');
      await s.xc.contract();
      expect((await s.db.indexes('pets')).map((i) => i.name)).not.toContain('pets_sx1');
      expect(await s.db.query(`SELECT id, breed FROM pets ORDER BY id`)).toEqual([{ id: 1, breed: 'cat' }, { id: 2, breed: 'dog' }, { id: 3, breed: 'fox' }]);
    });

    it('an index a sql operation makes on a column the same migration renames away: contract drops the old column with it (fuzz seed 279, MariaDB: DROP COLUMN … INSTANT refused, left contracting)', async () => {
      const s = await setup(target, schema);
      const create = target.name === 'postgres' ? 'CREATE INDEX "pets_sx3" ON "pets" ("kind")' : 'CREATE INDEX `pets_sx3` ON `pets` (`kind`)';
      const drop = target.name === 'postgres' ? 'DROP INDEX IF EXISTS "pets_sx3"' : 'DROP INDEX IF EXISTS `pets_sx3` ON `pets`';
      await s.write('0001_m', { sql: { expand: create, rollback: drop } }, { renameColumn: { table: 'pets', from: 'kind', to: 'breed' } });
      await s.xc.apply();
      await record(s.xc, '0001_m');
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted']);
      expect((await s.db.indexes('pets')).map((i) => i.name)).not.toContain('pets_sx3');
      expect(await s.db.query(`SELECT id, breed FROM pets ORDER BY id`)).toEqual([{ id: 1, breed: 'cat' }, { id: 2, breed: 'dog' }, { id: 3, breed: 'fox' }]);
    });

    it("a sql operation's index over a foreign key's column, dropped by its rollback: MariaDB refuses (it dropped the key's own index for it); the message says how to go on, and xc goes on (fuzz seed 320)", async () => {
      const s = await setup(target, [...schema, `ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id)`]);
      const create = target.name === 'postgres' ? 'CREATE INDEX "pets_sx3" ON "pets" ("owner_id")' : 'CREATE INDEX `pets_sx3` ON `pets` (`owner_id`)';
      const drop = target.name === 'postgres' ? 'DROP INDEX "pets_sx3"' : 'DROP INDEX `pets_sx3` ON `pets`';
      await s.write('0001_m', { sql: { expand: create, rollback: drop } });
      await s.xc.apply();
      if (target.name === 'mysql') {
        const stopped = await rejection(s.xc.rollback());
        expect(stopped.exitCode).toBe(1);
        expect(stopped.message).toMatch(/needed in a foreign key constraint[\s\S]*create an index over the key's columns yourself/);
        // As the message says: an index of the key's own, then xc again.
        await s.db.query(`CREATE INDEX pets_owner_ix ON pets (owner_id)`);
      }
      await s.xc.rollback();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['rolled_back']);
      expect((await s.db.indexes('pets')).map((i) => i.name)).not.toContain('pets_sx3');
      expect((await rejection(s.db.query(orphanInsert))).message).toMatch(/foreign key|pets_owner_fk/i);
    });

    it("a column added after another's in-place change, then changed in place itself by a later migration: its cut-over names no shadow the earlier one's took away (fuzz seed 339, MariaDB: \"Unknown column\", left contracting)", async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY, alpha int)`, `INSERT INTO users (id, alpha) VALUES (1, 1), (2, 12)`]);
      await s.write('0001_m', { alterColumn: { table: 'users', column: 'alpha', type: 'bigint', default: '3' } }, { addColumn: { table: 'users', column: { name: 'beta', type: 'int', nullable: true, default: '3' } } });
      await s.write('0002_m', { alterColumn: { table: 'users', column: 'beta', check: { name: 'users_cc1', expression: 'beta <= 9' }, up: 'CASE WHEN beta > 9 THEN 9 ELSE beta END' } });
      await s.xc.apply();
      await s.db.query(`UPDATE users SET beta = 12 WHERE id = 2`);
      await record(s.xc, '0002_m');
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted']);
      // In their places: what an application's positional INSERT or SELECT * reads.
      expect((await s.db.columns('users')).map((c) => c.name)).toEqual(['id', 'alpha', 'beta']);
      expect(await s.db.query(`SELECT id, alpha, beta FROM users ORDER BY id`)).toEqual([
        { id: 1, alpha: '1', beta: 3 },
        { id: 2, alpha: '12', beta: 9 },
      ]);
    });

    it("a key dropped with a converting `down` while another migration's unique key converts a column through its shadow: the trigger names no shadow, and writes go on after that one's contract (fuzz seed 502, PostgreSQL: \"column _xc_other.xc_shadow0_… does not exist\")", async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, alpha varchar(40), beta varchar(40), eps int, CONSTRAINT orders_mu1 UNIQUE (alpha, beta))`, `INSERT INTO orders (id, alpha, beta, eps) VALUES (1, 'a', 'b', 1), (2, 'a', 'c', 1)`]);
      const suffix = (c: string) => ({ postgres: `(COALESCE(${c}, '') || '-' || CAST(id AS varchar(40)))`, mysql: `CONCAT(COALESCE(${c}, ''), '-', CAST(id AS CHAR(40)))` });
      await s.write('0001_m', { createConstraint: { table: 'orders', name: 'orders_uq2', type: 'unique', columns: ['eps'], up: { eps: '(COALESCE(eps, 0) * 1000000 + id)' } } });
      await s.write('0002_m', { dropMultiColumnConstraint: { table: 'orders', name: 'orders_mu1', up: { alpha: 'alpha' }, down: { alpha: suffix('alpha'), beta: suffix('beta') } } });
      await s.xc.apply();
      await record(s.xc, '0002_m');
      await s.xc.contract({ id: '0001_m' });
      // The new version's writes, with 0002's trigger still on the table.
      await s.db.query(`UPDATE orders SET alpha = 'z' WHERE id = 1`);
      await s.db.query(`INSERT INTO orders (id, alpha, beta, eps) VALUES (3, 'a', 'b', 7)`);
      await s.xc.contract();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['contracted', 'contracted']);
      expect(await s.db.count(`SELECT count(*) FROM orders`)).toBe(3);
    });

    it("the same, an old writer's duplicate of the dropped key while the other unique key is made through its shadow: converted, not refused (fuzz seed 502: a row sharing the default the future key's column has was taken for the one an upsert updates)", async () => {
      const s = await setup(target, [`CREATE TABLE orders (id int PRIMARY KEY, alpha varchar(40), beta varchar(40), CONSTRAINT orders_mu1 UNIQUE (alpha, beta))`, `INSERT INTO orders (id, alpha, beta) VALUES (1, 'qrs', 'u67'), (2, 'a', 'c')`]);
      const suffix = (c: string) => ({ postgres: `(COALESCE(${c}, '') || '-' || CAST(id AS varchar(40)))`, mysql: `CONCAT(COALESCE(${c}, ''), '-', CAST(id AS CHAR(40)))` });
      await s.write('0001_m', { addColumn: { table: 'orders', column: { name: 'eps', type: 'int', nullable: true, default: '3' } } });
      await s.write('0002_m', { createConstraint: { table: 'orders', name: 'orders_uq2', type: 'unique', columns: ['eps'], up: { eps: '(COALESCE(eps, 0) * 1000000 + id)' } } });
      await s.write('0003_m', { dropMultiColumnConstraint: { table: 'orders', name: 'orders_mu1', up: { alpha: 'alpha' }, down: { alpha: suffix('alpha'), beta: suffix('beta') } } });
      await s.xc.apply();
      await s.db.query(`INSERT INTO orders (id, alpha, beta) VALUES (100068, 'qrs', 'u67')`);
      expect(await s.db.query(`SELECT id, alpha, beta FROM orders ORDER BY id`)).toEqual([
        { id: 1, alpha: 'qrs', beta: 'u67' },
        { id: 2, alpha: 'a', beta: 'c' },
        { id: 100068, alpha: 'qrs-100068', beta: 'u67-100068' },
      ]);
    });

    it("a foreign key's column given a default in place, in flight: its parent table may be renamed (one ALTER of the child, no key carried; fuzz seed 195)", async () => {
      const s = await setup(target, [`CREATE TABLE users (id int PRIMARY KEY)`, `CREATE TABLE orders (id int PRIMARY KEY, alpha int, CONSTRAINT orders_fk3 FOREIGN KEY (alpha) REFERENCES users (id))`, `INSERT INTO users VALUES (1)`, `INSERT INTO orders VALUES (1, 1)`]);
      await s.write('0001_m', { alterColumn: { table: 'orders', column: 'alpha', default: '1' } });
      await s.xc.apply();
      await s.write('0002_m', { renameTable: { from: 'users', to: 'people' } });
      await s.xc.apply();
      await record(s.xc, '0002_m');
      await s.xc.contract();
      await s.db.query(`INSERT INTO orders (id) VALUES (2)`);
      expect(await s.db.query(`SELECT o.id, p.id AS parent FROM orders o JOIN people p ON p.id = o.alpha ORDER BY o.id`)).toEqual([{ id: 1, parent: 1 }, { id: 2, parent: 1 }]);
      expect(await rejection(s.db.query(`INSERT INTO orders VALUES (3, 9)`))).toBeTruthy();
    });
  });
}

/**
 * An `up` that reads another table, where the application's role writes the table but may not read that one
 * (campaign EK). PostgreSQL runs the dual-write trigger with the rights of the role that writes: from expand on, that
 * role's INSERTs failed with "permission denied for table secret", and plan had said nothing. Now plan and apply
 * note it, naming the role, what it lacks and the GRANT. MySQL/MariaDB run a trigger as its definer (xc's user, whose
 * rights plan checks): no note, and the role's writes go through.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { targets } from '../helpers/targets.js';
import { onCleanup, record, setup, type Setup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`an up reading a table the writing role may not read (${target.name})`, () => {
    const isPg = target.name === 'postgres';

    /** A role that may read and write `orders` only (by `grant`, the table's by default); `insert` adds an order as it. */
    async function writer(s: Setup, grant = 'SELECT, INSERT, UPDATE'): Promise<{ name: string; insert: (id: number, ref: number) => Promise<unknown> }> {
      const name = `xc_wr_${randomBytes(4).toString('hex')}`;
      if (isPg) {
        await s.db.query(`CREATE ROLE ${name}`);
        onCleanup(async () => void (await s.db.query(`DROP OWNED BY ${name}`).then(() => s.db.query(`DROP ROLE ${name}`))));
        await s.db.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
        await s.db.query(`GRANT ${grant} ON orders TO ${name}`);
        const client = new pg.Client({ connectionString: s.db.url });
        await client.connect();
        onCleanup(() => client.end());
        await client.query(`SET ROLE ${name}`);
        return { name, insert: (id, ref) => client.query(`INSERT INTO orders (id, ref) VALUES ($1, $2)`, [id, ref]) };
      }
      await s.db.query(`CREATE USER '${name}'@'%'`);
      onCleanup(() => s.db.query(`DROP USER IF EXISTS '${name}'@'%'`).then(() => undefined));
      await s.db.query(`GRANT ${grant} ON orders TO '${name}'@'%'`);
      const url = new URL(s.db.url);
      url.username = name;
      const conn = await mysql.createConnection({ uri: url.toString() });
      onCleanup(() => conn.end());
      return { name, insert: (id, ref) => conn.query(`INSERT INTO orders (id, ref) VALUES (?, ?)`, [id, ref]) };
    }

    const notesOf = async (s: Setup) => ((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations[0]?.notes ?? [];

    it('PostgreSQL: noted at plan and apply with the GRANT, and its writes fail as said until granted; MySQL/MariaDB: no note, its writes go through', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE secret (k int PRIMARY KEY, v varchar(20))`,
          `INSERT INTO secret VALUES (1, 'one'), (2, 'two')`,
          `CREATE TABLE orders (id int PRIMARY KEY, ref int)`,
          `INSERT INTO orders VALUES (1, 1), (2, 2)`,
        ],
        'xc_wrights',
      );
      const role = await writer(s);
      await role.insert(3, 1);
      await s.write('0001_label', { addColumn: { table: 'orders', column: { name: 'label', type: 'varchar(20)' }, up: '(SELECT s.v FROM secret s WHERE s.k = ref)' } });
      const notes = (await notesOf(s)).filter((n) => /may not use/.test(n));
      if (isPg) {
        const note = expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addColumn: up: ${role.name} writes "orders" but may not use column secret\\.k, column secret\\.v, which this expression reads: .*GRANT SELECT \\(k\\) ON secret TO ${role.name}; GRANT SELECT \\(v\\) ON secret TO ${role.name};`));
        expect(notes).toEqual([note]);
        const applied = await s.xc.apply();
        expect(applied.migrations[0]).toMatchObject({ notes: expect.arrayContaining([note]) });
        // What the note says: the old version's writes fail from expand on, until it is granted.
        await expect(role.insert(4, 2)).rejects.toThrow(/permission denied for table secret/);
        await s.db.query(`GRANT SELECT ON secret TO ${role.name}`);
      } else {
        expect(notes).toEqual([]);
        await s.xc.apply();
      }
      await role.insert(4, 2);
      expect(await s.db.query(`SELECT id, label FROM orders ORDER BY id`)).toEqual([
        { id: 1, label: 'one' },
        { id: 2, label: 'two' },
        { id: 3, label: 'one' },
        { id: 4, label: 'two' },
      ]);
    });

    it('a role that may read what up reads, or an up reading only its row: no note', async () => {
      const s = await setup(target, [`CREATE TABLE secret (k int PRIMARY KEY, v varchar(20))`, `CREATE TABLE orders (id int PRIMARY KEY, ref int)`], 'xc_wrights');
      const role = await writer(s);
      await s.write('0001_label', { addColumn: { table: 'orders', column: { name: 'label', type: 'varchar(20)' }, up: `CONCAT('#', ref)` } });
      expect((await notesOf(s)).filter((n) => /may not use/.test(n))).toEqual([]);
      await s.db.query(isPg ? `GRANT SELECT ON secret TO ${role.name}` : `GRANT SELECT ON secret TO '${role.name}'@'%'`);
      await s.write('0001_label', { addColumn: { table: 'orders', column: { name: 'label', type: 'varchar(20)' }, up: '(SELECT s.v FROM secret s WHERE s.k = ref)' } });
      expect((await notesOf(s)).filter((n) => /may not use/.test(n))).toEqual([]);
    });

    // Campaign EN: three ways a writer reads what `up` reads otherwise than xc's role, none noted before.
    it('a writer by column grants, a SECURITY INVOKER function reading a table, a lookup under row-level security: PostgreSQL notes each as it happens; MySQL/MariaDB: no note, the values right', async () => {
      const s = await setup(
        target,
        [
          `CREATE TABLE secret (k int PRIMARY KEY, v varchar(20), owner varchar(40))`,
          `INSERT INTO secret VALUES (1, 'one', 'nobody'), (2, 'two', 'nobody')`,
          `CREATE TABLE orders (id int PRIMARY KEY, ref int)`,
          `INSERT INTO orders VALUES (1, 1), (2, 2)`,
        ],
        'xc_wrights',
      );
      const byColumns = await writer(s, 'SELECT (id, ref), INSERT (id, ref), UPDATE (ref)');
      const label = (up: string) => s.write('0001_label', { addColumn: { table: 'orders', column: { name: 'label', type: 'varchar(20)' }, up } });
      const rightsNotes = async () => (await notesOf(s)).filter((n) => / write(s)? "orders"/.test(n));
      if (!isPg) {
        // The trigger runs as its definer: an INVOKER function it calls reads as xc's user.
        await s.db.query(`CREATE FUNCTION lookup(i int) RETURNS varchar(20) READS SQL DATA SQL SECURITY INVOKER RETURN (SELECT v FROM secret WHERE k = i)`);
        await label('lookup(ref)');
        expect(await rightsNotes()).toEqual([]);
        await s.xc.apply();
        await byColumns.insert(3, 2);
        expect(await s.db.query(`SELECT id, label FROM orders ORDER BY id`)).toEqual([{ id: 1, label: 'one' }, { id: 2, label: 'two' }, { id: 3, label: 'two' }]);
        return;
      }
      const who = byColumns.name;
      // 1. Writing by column grants is writing: the lookup it may not read is noted.
      await label('(SELECT s.v FROM secret s WHERE s.k = ref)');
      expect(await rightsNotes()).toEqual([expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addColumn: up: ${who} writes "orders" but may not use column secret\\.k, column secret\\.v, which this expression reads: .*GRANT SELECT \\(k\\) ON secret TO ${who};`))]);
      // 2. Through a SECURITY INVOKER function: with a SQL-standard body, what the body reads is named; with a body kept as text, the function is.
      await s.db.query(`CREATE FUNCTION lookup_std(i int) RETURNS varchar LANGUAGE sql STABLE BEGIN ATOMIC SELECT v FROM secret WHERE k = i; END`);
      await s.db.query(`CREATE FUNCTION lookup_text(i int) RETURNS varchar LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN (SELECT v FROM secret WHERE k = i); END $$`);
      await s.db.query(`CREATE FUNCTION lookup_definer(i int) RETURNS varchar LANGUAGE sql STABLE SECURITY DEFINER AS $$ SELECT v FROM secret WHERE k = i $$`);
      await label('lookup_std(ref)');
      expect(await rightsNotes()).toEqual([expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addColumn: up: ${who} writes "orders" but may not use column secret\\.k, column secret\\.v, which this expression reads`))]);
      await label('lookup_text(ref)');
      expect(await rightsNotes()).toEqual([expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addColumn: up: ${who} writes "orders", and this expression calls function lookup_text\\(integer\\), SECURITY INVOKER, whose body the server keeps as text`))]);
      await label('lookup_definer(ref)');
      expect(await rightsNotes()).toEqual([]);
      // What the notes say: the writer's insert fails through either invoker function, and goes through the definer's.
      await label('lookup_text(ref)');
      await s.xc.apply();
      await expect(byColumns.insert(3, 1)).rejects.toThrow(/permission denied for table secret/);
      await s.xc.rollback();
      // 3. Allowed to read it, under row-level security that shows it no row: its rows would get NULL.
      await s.db.query(`GRANT SELECT ON secret TO ${who}`);
      await s.db.query(`ALTER TABLE secret ENABLE ROW LEVEL SECURITY`);
      await s.db.query(`CREATE POLICY mine ON secret FOR SELECT USING (owner = current_user)`);
      await label('(SELECT s.v FROM secret s WHERE s.k = ref)');
      expect(await rightsNotes()).toEqual([expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addColumn: up: ${who} writes "orders", and table secret, which this expression reads, has row-level security that it does not bypass: .*NULL from a lookup that finds nothing`))]);
      await s.xc.apply();
      await byColumns.insert(3, 1);
      expect(await s.db.query(`SELECT id, label FROM orders ORDER BY id`)).toEqual([{ id: 1, label: 'one' }, { id: 2, label: 'two' }, { id: 3, label: null }]);
      // The backfill, as xc's role, stored the value: contract's verify refuses the row the trigger computed otherwise.
      await record(s.xc, '0001_label');
      await expect(s.xc.contract()).rejects.toThrow(/id="3"/);
    });

    // Campaign EP: what runs with the writer's rights behind an expression — a security_invoker view's query, an
    // operator's function, a domain's CHECK — and a check constraint, which PostgreSQL also runs as the writer.
    it.runIf(isPg)('what an expression runs as the writer behind a view, an operator or a domain is read through; a check is noted as a trigger is; a schema without USAGE is what to grant', async () => {
      const s = await setup(target, [`CREATE TABLE secret (k int PRIMARY KEY, v int)`, `INSERT INTO secret VALUES (1, 10), (2, 20)`, `CREATE TABLE orders (id int PRIMARY KEY, ref int)`, `INSERT INTO orders VALUES (1, 1), (2, 2)`], 'xc_wrights');
      const role = await writer(s);
      const who = role.name;
      const column = (up: string) => s.write('0001_c', { addColumn: { table: 'orders', column: { name: 'c', type: 'int' }, up } });
      const rightsNotes = async () => (await notesOf(s)).filter((n) => / write(s)? "orders"/.test(n));
      const lacksSecret = (path: string, columns = 'column secret\\.k, column secret\\.v') => expect.stringMatching(new RegExp(`^operations\\[0\\]\\.${path}: ${who} writes "orders" but may not use ${columns}, which this expression reads`));
      await s.db.query(`CREATE VIEW inv WITH (security_invoker = true) AS SELECT k, v FROM secret`);
      await s.db.query(`CREATE VIEW owners AS SELECT k, v FROM secret`);
      await s.db.query(`GRANT SELECT ON inv, owners TO ${who}`);
      await column('(SELECT i.v FROM inv i WHERE i.k = ref)');
      expect(await rightsNotes()).toEqual([lacksSecret('addColumn: up')]);
      // A plain view reads as its owner: nothing to note.
      await column('(SELECT o.v FROM owners o WHERE o.k = ref)');
      expect(await rightsNotes()).toEqual([]);
      await s.db.query(`CREATE FUNCTION plus_secret(x int, y int) RETURNS int LANGUAGE sql STABLE BEGIN ATOMIC SELECT (SELECT v FROM secret WHERE k = x) + y; END`);
      await s.db.query(`CREATE OPERATOR @! (leftarg = int, rightarg = int, function = plus_secret)`);
      await column('ref @! 0');
      expect(await rightsNotes()).toEqual([lacksSecret('addColumn: up')]);
      await s.db.query(`CREATE FUNCTION known(x int) RETURNS boolean LANGUAGE sql STABLE BEGIN ATOMIC SELECT x IS NULL OR EXISTS (SELECT 1 FROM secret WHERE k = x); END`);
      await s.db.query(`CREATE DOMAIN known_ref AS int CHECK (known(VALUE))`);
      await column('CAST(ref AS known_ref)');
      expect(await rightsNotes()).toEqual([lacksSecret('addColumn: up', 'column secret\\.k')]);
      await s.db.query(`CREATE SCHEMA hidden`);
      await s.db.query(`CREATE FUNCTION hidden.twice(x int) RETURNS int LANGUAGE sql IMMUTABLE BEGIN ATOMIC SELECT x * 2; END`);
      await column('hidden.twice(ref)');
      expect(await rightsNotes()).toEqual([expect.stringMatching(new RegExp(`: ${who} writes "orders" but may not use schema hidden, which this expression reads: .*GRANT USAGE ON SCHEMA hidden TO ${who};`))]);
      // A check runs as the writer: noted, and the writes fail as said.
      await s.write('0001_c', { addCheck: { table: 'orders', name: 'ref_known', expression: 'known(ref)' } });
      expect(await rightsNotes()).toEqual([expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addCheck: expression: ${who} writes "orders" but may not use column secret\\.k, which this expression reads: the check runs with the rights of the role that writes`))]);
      await s.xc.apply();
      await expect(role.insert(3, 1)).rejects.toThrow(/permission denied for table secret/);
      await s.db.query(`GRANT SELECT ON secret TO ${who}`);
      await role.insert(3, 1);
      expect(await s.db.query(`SELECT id, ref FROM orders ORDER BY id`)).toEqual([{ id: 1, ref: 1 }, { id: 2, ref: 2 }, { id: 3, ref: 1 }]);
    });

    it.runIf(isPg)('PUBLIC writing the table: the note is for PUBLIC, which covers every role, one created later too (campaign EP)', async () => {
      const s = await setup(target, [`CREATE TABLE secret (k int PRIMARY KEY, v int)`, `CREATE TABLE orders (id int PRIMARY KEY, ref int)`, `GRANT INSERT, UPDATE ON orders TO PUBLIC`], 'xc_wrights');
      await writer(s);
      await s.write('0001_c', { addColumn: { table: 'orders', column: { name: 'c', type: 'int' }, up: '(SELECT s.v FROM secret s WHERE s.k = ref)' } });
      expect((await notesOf(s)).filter((n) => / write(s)? "orders"/.test(n))).toEqual([
        expect.stringMatching(/^operations\[0\]\.addColumn: up: PUBLIC writes "orders" but may not use column secret\.k, column secret\.v, .*`GRANT SELECT \(k\) ON secret TO PUBLIC; GRANT SELECT \(v\) ON secret TO PUBLIC;`/),
      ]);
    });

    it.runIf(isPg)('a table whose name has a double quote in it is named as SQL would take it (its quote doubled)', async () => {
      const s = await setup(target, [`CREATE TABLE secret (k int PRIMARY KEY, v int)`, `CREATE TABLE "quo""te" (id int PRIMARY KEY, ref int)`, `GRANT INSERT, UPDATE ON "quo""te" TO PUBLIC`], 'xc_wrights');
      await s.write('0001_c', { addColumn: { table: 'quo"te', column: { name: 'c', type: 'int' }, up: '(SELECT s.v FROM secret s WHERE s.k = ref)' } });
      expect((await notesOf(s)).filter((n) => /PUBLIC writes/.test(n))).toEqual([expect.stringMatching(/^operations\[0\]\.addColumn: up: PUBLIC writes "quo""te" but may not use column secret\.k/)]);
    });
  });
}

/**
 * A role that reads a table by column grants alone (PostgREST's and Hasura's API roles, a reporting user on MariaDB)
 * needs every column for a whole-row read: `SELECT *`, a function over the row (a PostgREST computed column). A column
 * an expand adds without its grants denies those reads — the old version's too — until it is granted (campaign DA:
 * 105 failed reads after an `addColumn`). xc does not widen a role's privileges by itself: plan and apply say so, with
 * the GRANT to put in a `sql` operation after the one that adds the column. A copy's new column gets the old one's
 * grants on PostgreSQL (README "Column privileges"), and none on MySQL/MariaDB, where it is noted too.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { targets } from '../helpers/targets.js';
import { onCleanup, record, setup, type Setup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`a column added where a role reads the table by column grants alone (${target.name})`, () => {
    const isPg = target.name === 'postgres';

    /** The role, granted SELECT on `people`'s two columns only; `readAll` runs `SELECT *` as it. */
    async function reader(s: Setup): Promise<{ grantee: string; readAll: () => Promise<unknown> }> {
      const name = `xc_cg_${randomBytes(4).toString('hex')}`;
      if (isPg) {
        await s.db.query(`CREATE ROLE ${name}`);
        onCleanup(async () => void (await s.db.query(`DROP OWNED BY ${name}`).then(() => s.db.query(`DROP ROLE ${name}`))));
        await s.db.query(`GRANT USAGE ON SCHEMA public TO ${name}`);
        await s.db.query(`GRANT SELECT (id, name) ON people TO ${name}`);
        const client = new pg.Client({ connectionString: s.db.url });
        await client.connect();
        onCleanup(() => client.end());
        await client.query(`SET ROLE ${name}`);
        return { grantee: `"${name}"`, readAll: async () => (await client.query(`SELECT * FROM people ORDER BY id`)).rows };
      }
      await s.db.query(`CREATE USER '${name}'@'%'`);
      onCleanup(() => s.db.query(`DROP USER IF EXISTS '${name}'@'%'`).then(() => undefined));
      await s.db.query(`GRANT SELECT (id, name) ON people TO '${name}'@'%'`);
      const url = new URL(s.db.url);
      url.username = name;
      const conn = await mysql.createConnection({ uri: url.toString() });
      onCleanup(() => conn.end());
      return { grantee: `'${name}'@'%'`, readAll: async () => (await conn.query(`SELECT * FROM people ORDER BY id`))[0] };
    }

    const notesOf = async (s: Setup, id: string) => ((await s.xc.plan()) as { migrations: { id: string; notes?: string[] }[] }).migrations.find((m) => m.id === id)?.notes ?? [];
    const q = (name: string) => (isPg ? `"${name}"` : `\`${name}\``);

    it('addColumn: noted at plan and apply with the GRANT; the whole-row read is denied without it, and reads every column with it in a `sql` operation after', async () => {
      const s = await setup(target, [`CREATE TABLE people (id int PRIMARY KEY, name varchar(40) NOT NULL)`, `INSERT INTO people VALUES (1, 'Ann'), (2, 'Bo')`], 'xc_cgrants');
      const role = await reader(s);
      expect(await role.readAll()).toEqual([{ id: 1, name: 'Ann' }, { id: 2, name: 'Bo' }]);
      await s.write('0001_slug', { addColumn: { table: 'people', column: { name: 'slug', type: 'varchar(40)' }, up: 'lower(name)' } });
      const grant = `GRANT SELECT (${q('slug')}) ON ${q('people')} TO ${role.grantee}`;
      const note = expect.stringContaining(`reads "people" by column grants alone: from expand on, its whole-row reads (SELECT *, a function over the row) are denied until it is granted "slug" — put \`${grant}\``);
      expect(await notesOf(s, '0001_slug')).toContainEqual(note);
      const applied = await s.xc.apply();
      expect(applied.migrations[0]).toMatchObject({ notes: expect.arrayContaining([note]) });
      // What the note says: the old version's `SELECT *` is denied from expand on.
      await expect(role.readAll()).rejects.toThrow(/permission denied|SELECT command denied/);
      await s.write('0002_grant', { sql: { expand: grant, rollback: `REVOKE SELECT (${q('slug')}) ON ${q('people')} FROM ${role.grantee}` } });
      await s.xc.apply();
      expect(await role.readAll()).toEqual([{ id: 1, name: 'Ann', slug: 'ann' }, { id: 2, name: 'Bo', slug: 'bo' }]);
    });

    it('a copy\'s new column (renameColumn): its grants carried on PostgreSQL, no note; noted on MySQL/MariaDB, where it gets none', async () => {
      const s = await setup(target, [`CREATE TABLE people (id int PRIMARY KEY, name varchar(40) NOT NULL)`, `INSERT INTO people VALUES (1, 'Ann')`], 'xc_cgrants');
      const role = await reader(s);
      await s.write('0001_rename', { renameColumn: { table: 'people', from: 'name', to: 'full_name' } });
      const notes = await notesOf(s, '0001_rename');
      if (isPg) {
        expect(notes.join('\n')).not.toMatch(/column grants alone/);
        await s.xc.apply();
        expect(await role.readAll()).toEqual([{ id: 1, name: 'Ann', full_name: 'Ann' }]);
      } else {
        expect(notes).toContainEqual(expect.stringContaining(`is granted "full_name" — put \`GRANT SELECT (\`full_name\`) ON \`people\` TO ${role.grantee}\``));
        await s.write('0001_rename', { renameColumn: { table: 'people', from: 'name', to: 'full_name' } }, { sql: { expand: `GRANT SELECT (full_name) ON people TO ${role.grantee}`, rollback: 'SELECT 1' } });
        expect((await notesOf(s, '0001_rename')).join('\n')).not.toMatch(/column grants alone/);
        await s.xc.apply();
        expect(await role.readAll()).toEqual([{ id: 1, name: 'Ann', full_name: 'Ann' }]);
      }
      await record(s.xc, '0001_rename');
      await s.xc.contract();
      expect(await role.readAll()).toEqual([{ id: 1, full_name: 'Ann' }]);
    });

    it('only those whose whole-row reads the column would deny: not a role short of a column already, nor one with the table\'s SELECT through a role it has; a role named as GRANT takes it (campaign DC)', async () => {
      const s = await setup(target, [`CREATE TABLE people (id int PRIMARY KEY, name varchar(40) NOT NULL, secret varchar(40))`, `INSERT INTO people VALUES (1, 'Ann', 's')`], 'xc_cgrants');
      const tag = randomBytes(4).toString('hex');
      const [some, group, member, role] = ['some', 'group', 'member', 'role'].map((n) => `xc_cg${n}_${tag}`);
      if (isPg) {
        for (const r of [some, group, member, role]) {
          await s.db.query(`CREATE ROLE ${r}`);
          onCleanup(async () => void (await s.db.query(`DROP OWNED BY ${r}`).then(() => s.db.query(`DROP ROLE ${r}`))));
        }
        await s.db.query(`GRANT SELECT (id, name) ON people TO ${some}`); // short of "secret": its SELECT * fails already
        await s.db.query(`GRANT SELECT ON people TO ${group}`);
        await s.db.query(`GRANT ${group} TO ${member}`);
        await s.db.query(`GRANT SELECT (id, name, secret) ON people TO ${member}, ${role}`);
      } else {
        for (const u of [some, member]) {
          await s.db.query(`CREATE USER '${u}'@'%'`);
          onCleanup(() => s.db.query(`DROP USER IF EXISTS '${u}'@'%'`).then(() => undefined));
        }
        await s.db.query(`CREATE ROLE ${role}`);
        onCleanup(() => s.db.query(`DROP ROLE IF EXISTS ${role}`).then(() => undefined));
        await s.db.query(`GRANT SELECT (id, name) ON people TO '${some}'@'%'`);
        await s.db.query(`GRANT SELECT (id, name, secret) ON people TO ${role}`);
        await s.db.query(`GRANT SELECT ON people TO '${member}'@'%'`);
      }
      await s.write('0001_slug', { addColumn: { table: 'people', column: { name: 'slug', type: 'varchar(40)' } } });
      const notes = (await notesOf(s, '0001_slug')).filter((n) => /column grants alone/.test(n));
      const grantee = isPg ? `"${role}"` : `\`${role}\``;
      expect(notes).toEqual([expect.stringMatching(new RegExp(`^operations\\[0\\]\\.addColumn: \`?${role}\`? reads "people" by column grants alone: .* put \`(GRANT SELECT \\([^)]*\\) ON [^ ]+ TO ${grantee})\``))]);
      // The GRANT as written runs.
      const grant = /put `(GRANT .*?)` \(and what/.exec(notes[0]!)![1]!;
      await s.write('0001_slug', { addColumn: { table: 'people', column: { name: 'slug', type: 'varchar(40)' } } }, { sql: { expand: grant, rollback: 'SELECT 1' } });
      // The migration has the GRANT it was asked for: nothing left to say (campaign DC: the note stayed).
      expect((await notesOf(s, '0001_slug')).join('\n')).not.toMatch(/column grants alone/);
      await s.xc.apply();
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
    });

    it('a later `sql` of the same migration that does not grant that role the column leaves the note: another column, role, host or table, a REVOKE after, a grantee in a comment (campaigns DC, DM)', async () => {
      const s = await setup(target, [`CREATE TABLE people (id int PRIMARY KEY, name varchar(40) NOT NULL)`], 'xc_cgrants');
      const role = await reader(s);
      const other = isPg ? 'postgres' : "'root'@'localhost'";
      const bare = role.grantee.replace(/^"|"$/g, '').replace(/^'([^']*)'@.*$/, '$1');
      const otherHost = isPg ? role.grantee.toUpperCase() : `'${bare}'@'localhost'`;
      const cases = [
        [`GRANT SELECT (name) ON people TO ${role.grantee}`],
        [`GRANT SELECT ON people TO ${other}`],
        [`GRANT SELECT (name), UPDATE (slug) ON people TO ${role.grantee}`],
        [`GRANT SELECT (slug) ON people TO ${role.grantee}`, `REVOKE SELECT (slug) ON people FROM ${role.grantee}`],
        [`GRANT SELECT ON people TO ${other} -- ${role.grantee}`],
        [`GRANT SELECT ON ${isPg ? 'information_schema' : 'mysql'}.people TO ${role.grantee}`],
        [`GRANT SELECT (slug) ON people TO ${otherHost}`],
      ];
      for (const statements of cases) {
        await s.write('0001_slug', { addColumn: { table: 'people', column: { name: 'slug', type: 'varchar(40)' } } }, ...statements.map((expand) => ({ sql: { expand, rollback: 'SELECT 1' } })));
        expect((await notesOf(s, '0001_slug')).join('\n'), statements.join('; ')).toMatch(/column grants alone: .* "slug"/);
      }
      // As a pipeline writes it: quoted or not, the column among others, with GRANT OPTION.
      await s.write('0001_slug', { addColumn: { table: 'people', column: { name: 'slug', type: 'varchar(40)' } } }, { sql: { expand: `GRANT SELECT (id, ${isPg ? '"slug"' : '`slug`'}) ON people TO ${role.grantee} WITH GRANT OPTION`, rollback: 'SELECT 1' } });
      expect((await notesOf(s, '0001_slug')).join('\n')).not.toMatch(/column grants alone/);
    });

    it('no role reads by column grants alone (a table-level SELECT): no note', async () => {
      const s = await setup(target, [`CREATE TABLE people (id int PRIMARY KEY, name varchar(40) NOT NULL)`], 'xc_cgrants');
      await s.write('0001_slug', { addColumn: { table: 'people', column: { name: 'slug', type: 'varchar(40)' } } });
      expect((await notesOf(s, '0001_slug')).join('\n')).not.toMatch(/column grants alone/);
    });
  });
}

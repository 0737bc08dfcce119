/**
 * Issue 13: createTable's and addColumn's pgroll options refused where they
 * cannot be made — on MySQL/MariaDB what only PostgreSQL has, naming the
 * option and why; on both, what no server can do (two primary keys, a
 * constraint over a missing column, a name given twice, an identity of text,
 * a generated column added to an existing table). Each is exit 2 by plan and
 * by apply, nothing created. And addColumn's check meets a row breaking it
 * before contract: the contract is refused, nothing removed.
 */
import { expect, it } from 'vitest';
import { targets } from '../helpers/targets.js';
import { refused, rejection, record, setup, toContracted } from '../helpers/scenario.js';

const USERS = [`CREATE TABLE users (id int PRIMARY KEY, name varchar(40))`, `INSERT INTO users VALUES (1, 'ada')`];
const id = { name: 'id', type: 'int', primaryKey: true };
const table = (extra: Record<string, unknown>, columns: unknown[] = [id, { name: 'a', type: 'int' }, { name: 'b', type: 'int' }]) => ({ createTable: { table: 't', columns, ...extra } });

for (const target of targets) {
  const pg = target.name === 'postgres';

  target.describe(`createTable and addColumn options refused where they cannot be made (${target.name})`, () => {
    it('what only PostgreSQL has is refused on MySQL/MariaDB naming the option and why (and taken by PostgreSQL)', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      const cases: [unknown, RegExp][] = [
        [table({ constraints: [{ name: 'x', type: 'exclude', exclude: { elements: 'a WITH =' } }] }), /constraints\[0\]\.exclude: .*no exclusion constraints/],
        [table({ constraints: [{ name: 'u', type: 'unique', columns: ['a'], include: ['b'] }] }), /constraints\[0\]\.include: .*no INCLUDE columns/],
        [table({ constraints: [{ name: 'u', type: 'unique', columns: ['a'], nullsNotDistinct: true }] }), /constraints\[0\]\.nullsNotDistinct: .*NULLs as distinct/],
        [table({ constraints: [{ name: 'u', type: 'unique', columns: ['a'], storageParameters: 'fillfactor=70' }] }), /constraints\[0\]\.storageParameters: .*storage parameters/],
        [table({ constraints: [{ name: 'u', type: 'unique', columns: ['a'], deferrable: true }] }), /constraints\[0\]\.deferrable: .*DEFERRABLE/],
        [table({ constraints: [{ name: 'f', type: 'foreign_key', columns: ['a'], references: { table: 'users', columns: ['id'] }, initiallyDeferred: true }] }), /constraints\[0\]\.initiallyDeferred: .*DEFERRABLE/],
        [table({ constraints: [{ name: 'f', type: 'foreign_key', columns: ['a'], references: { table: 'users', columns: ['id'], matchType: 'full' } }] }), /constraints\[0\]\.matchType: .*MATCH/],
        [table({}, [id, { name: 'a', type: 'int', references: { table: 'users', column: 'id', deferrable: true } }]), /columns\[1\]\.references\.deferrable: .*DEFERRABLE/],
        [table({}, [{ name: 'id', type: 'int', primaryKey: true, generated: { identity: 'always' } }]), /columns\[0\]\.generated\.identity: .*no GENERATED ALWAYS AS IDENTITY/],
        [{ addColumn: { table: 'users', column: { name: 'boss', type: 'int', references: { table: 'users', column: 'id', matchType: 'full' } } } }, /addColumn\.column\.references\.matchType: .*MATCH/],
      ];
      for (const [op, message] of cases) {
        await s.write('0001_opt', op);
        if (!pg) {
          await refused(s, ['users'], message);
          continue;
        }
        // PostgreSQL makes it: planned without an issue.
        const plan = await s.xc.plan();
        expect(plan.migrations.length).toBeGreaterThan(0);
      }
    });

    it('what no server can do is refused on both, naming the path', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      const cases: [unknown, RegExp][] = [
        [table({ primaryKey: ['a'], constraints: [{ name: 'pk', type: 'primary_key', columns: ['b'] }] }), /createTable\.primaryKey: a table has one primary key; it is given by primaryKey and constraints\[0\]/],
        [table({ primaryKey: { name: 'k', columns: ['nope'] } }), /createTable\.primaryKey\.columns\[0\]: table "t" has no column "nope"/],
        [table({ constraints: [{ name: 'u', type: 'unique', columns: ['zz'] }] }), /constraints\[0\]\.columns\[0\]: table "t" has no column "zz"/],
        [table({ constraints: [{ name: 'same', type: 'check', check: 'a > 0' }, { name: 'same', type: 'unique', columns: ['b'] }] }), /constraints\[1\]\.name: constraint name "same" is given twice/],
        [table({ constraints: [{ name: 'f', type: 'foreign_key', columns: ['a'], references: { table: 'users', columns: ['name'] } }] }), /constraints\[0\]\.references\.columns: .*not its primary key or a unique index/],
        [table({ constraints: [{ name: 'c', type: 'check', check: 'nope > 0' }] }), /constraints\[0\]\.check: /],
        [table({ constraints: [{ name: 'c', type: 'check', check: 'a > 0', deferrable: true }] }), /constraints\[0\]\.deferrable: a check constraint cannot be deferrable/],
        [table({ constraints: [{ name: 'u', type: 'unique' }] }), /constraints\[0\]\.columns: a unique constraint needs `columns`/],
        [table({ constraints: [{ name: 'u', type: 'unique', columns: ['a'], storageParameters: 'fillfactor=70); DROP TABLE users; --' }] }), /constraints\[0\]\.storageParameters: must be name=value pairs/],
        [table({}, [id, { name: 'a', type: 'int', references: { table: 'users', column: 'id', matchType: 'partial' } }]), /references\.matchType: MATCH PARTIAL is not implemented/],
        [table({}, [id, { name: 'a', type: 'int', check: { expression: 'zz > 1' } }]), /columns\[1\]\.check\.expression: /],
        [table({}, [id, { name: 'a', type: 'varchar(10)', generated: { identity: 'byDefault' } }]), /columns\[1\]\.type: an identity column needs a plain integer type/],
        [table({}, [id, { name: 'a', type: 'int', default: '1', generated: { expression: 'id + 1' } }]), /columns\[1\]\.default: a generated column has no default/],
        [table({}, [id, { name: 'a', type: 'timestamp', generated: { expression: 'now()' } }]), /columns\[1\]\.generated\.expression: .*now/],
        [table({}, [id, { name: 'a', type: 'int', generated: { expression: 'nope + 1' } }]), /columns\[1\]\.generated\.expression: /],
        [{ addColumn: { table: 'users', column: { name: 'n2', type: 'int', generated: { expression: 'id * 2' } } } }, pg ? /addColumn\.column\.generated: a generated column cannot be added to an existing table online/ : /addColumn\.column\.generated: a generated column cannot be added to an existing table online: .*xc makes generated columns STORED; a VIRTUAL one, added instantly there, is for a `sql` operation/],
        [{ addColumn: { table: 'users', column: { name: 'n2', type: 'int', generated: { identity: 'byDefault' } } } }, /addColumn\.column\.generated: an identity column cannot be added/],
        // A bare word: meant as text far more often than as a name (campaign AV).
        [{ addColumn: { table: 'users', column: { name: 'plan', type: 'varchar(10)', default: 'free' } } }, /addColumn\.column\.default: .+ — free reads as a name, not a value: a text default is quoted as SQL quotes it \("default": "'free'"\)/],
        [{ addColumn: { table: 'users', column: { name: 'n2', type: 'int', check: { name: 'users_pkey', expression: 'n2 > 0' } } } }, pg ? /addColumn\.column\.check\.name: table "users" already has a constraint "users_pkey"/ : /./],
      ];
      for (const [op, message] of cases) {
        if (String(message) === '/./') continue; // MySQL names its primary key PRIMARY: no clash to show
        await s.write('0001_bad', op);
        await refused(s, ['users'], message);
      }
    });

    it('a JSON or YAML number or boolean as `default` is the SQL literal it prints as; one past 2^53 is refused (campaign BA)', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      for (const [value, message] of [
        [9007199254740993, /addColumn\.column\.default: 9007199254740992 \(as the parser read it\) is past what a JSON or YAML number holds exactly \(2\^53 - 1\), so digits may be lost: write the default as a string of its digits/],
        [{ value: 1 }, /addColumn\.column\.default: expected string or number or boolean, received object/],
        // Refused where it is written, with its line and column (a TypeScript file's number: as the parser read it, by value).
        [0.12345678901234567891, /0001_t\.json:1:\d+: 0\.12345678901234568 has more significant digits than a JSON or YAML number is sure to keep \(15\), so the parser may have changed it/],
        // A number for an ENUM is a member's position on MySQL/MariaDB (campaign BG), given as JSON or as SQL text.
        ...[1, '2'].map((n) => [{ enumLike: n }, new RegExp(`addColumn\\.column\\.default: ${n} for an ENUM is the member at that position on MySQL/MariaDB, not the member '${n}': give the member as a quoted SQL string \\("'${n}'"\\)`)] as const),
      ] as const) {
        const enumLike = typeof value === 'object' && 'enumLike' in value ? value.enumLike : undefined;
        await s.write('0001_t', { addColumn: { table: 'users', column: { name: 'n', type: enumLike === undefined ? 'bigint' : "enum('0','1','2')", default: enumLike ?? value } } });
        await refused(s, ['users'], message);
      }
      // What the servers would store apart, or change silently (campaign BL), given with the type or alone.
      for (const [op, message] of [
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'int', default: 0.1 } } }, /addColumn\.column\.default: 0\.1 is no whole number, and INT keeps only whole numbers: the server rounds the default to one; give a whole number/],
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'varchar(5)', default: true } } }, /addColumn\.column\.default: true for VARCHAR is stored as 'true' by PostgreSQL and as '1' by MySQL\/MariaDB: give the text as a quoted SQL string \("'true'"\)/],
        [{ addColumn: { table: 'users', column: { name: 'n', type: pg ? 'jsonb' : 'json', default: false } } }, /addColumn\.column\.default: false for JSONB? is stored as 'false' by PostgreSQL and as '0'/],
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'date', default: 0.5 } } }, /addColumn\.column\.default: 0\.5 is a number, which the servers read as a date apart/],
        [{ alterColumn: { table: 'users', column: 'name', type: 'varchar(80)', default: 'TRUE' } }, /alterColumn\.default: TRUE for VARCHAR is stored as 'true'/],
        [{ alterColumn: { table: 'users', column: 'id', default: 2.5 } }, /alterColumn\.default: 2\.5 is no whole number, and INT(EGER)? keeps only whole numbers/],
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'numeric(10, 0)', default: 1.5 } } }, /addColumn\.column\.default: 1\.5 is no whole number, and NUMERIC keeps only whole numbers/],
        // Campaign BU: more decimals than the type keeps; the article before the type's name.
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'numeric(5,2)', default: 1.234 } } }, /addColumn\.column\.default: 1\.234 has 3 digits after the point, and numeric\(5,2\) keeps 2: the server rounds the default; give it with 2 at most/],
        // Campaign BW: written with an exponent (JavaScript writes 0.0000001 back as 1e-7).
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'numeric(10,6)', default: 0.0000001 } } }, /addColumn\.column\.default: 1e-7 has 7 digits after the point, and numeric\(10,6\) keeps 6/],
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'numeric(5,2)', default: '1.2e-3' } } }, /addColumn\.column\.default: 1\.2e-3 has 4 digits after the point/],
        [{ addColumn: { table: 'users', column: { name: 'n', type: pg ? 'interval' : 'time', default: 5 } } }, new RegExp(`addColumn\\.column\\.default: 5 is a number, which the servers read as ${pg ? 'an interval' : 'a time'} apart`)],
        ...(pg ? [] : [[{ addColumn: { table: 'users', column: { name: 'n', type: "set('a','b')", default: 1 } } }, /addColumn\.column\.default: 1 for a SET is the member at that position/] as const]),
        // Campaign BW: out of the type's range, said of the type (MariaDB named plan's probe variable, xc_value).
        [{ addColumn: { table: 'users', column: { name: 'n', type: 'int', default: 1e20 } } }, pg ? /addColumn\.column\.default: integer out of range/ : /addColumn\.column\.default: Out of range value for int \(the column's type\)/],
      ] as const) {
        await s.write('0001_t', op);
        await refused(s, ['users'], message);
      }
      await s.write('0001_t', table({}, [id, { name: 'n', type: 'int', nullable: false, default: 0 }, { name: 'active', type: 'boolean', default: true }]));
      await s.write('0002_score', { addColumn: { table: 'users', column: { name: 'score', type: 'numeric(5,2)', nullable: false, default: -2.5 } } }, { addColumn: { table: 'users', column: { name: 'big', type: pg ? 'double precision' : 'double', default: 1e20 } } });
      await s.write('0003_n', { alterColumn: { table: 't', column: 'n', default: 7 } });
      await s.xc.apply();
      // The old version's insert names none of them: each gets its default, before and after contract.
      await s.db.query(`INSERT INTO users (id, name) VALUES (2, 'bob')`);
      await toContracted(s, '0003_n');
      await s.db.query(`INSERT INTO t (id) VALUES (1)`);
      await s.db.query(`INSERT INTO users (id, name) VALUES (3, 'cy')`);
      expect(await s.db.query(`SELECT id, n, ${pg ? 'active' : 'CAST(active AS SIGNED) AS active'} FROM t`)).toEqual([{ id: 1, n: 7, active: pg ? true : 1 }]);
      expect((await s.db.query<{ score: string }>(`SELECT score FROM users ORDER BY id`)).map((r) => String(r.score))).toEqual(['-2.50', '-2.50', '-2.50']);
      // A float's exponent, short as written (campaign BU: refused as "past 2^53"), is the value the column holds.
      expect((await s.db.query<{ big: unknown }>(`SELECT big FROM users ORDER BY id`)).map((r) => Number(r.big))).toEqual([1e20, 1e20, 1e20]);
    });

    it('a bare word as default: quoting is offered for text only, now() for a time; a bare `user` taken as SQL\'s USER is noted (campaign BD)', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      for (const [column, message] of [
        [{ name: 'n', type: 'int', default: 'free' }, /addColumn\.column\.default: (?![^]*quoted as SQL quotes it)/],
        [{ name: 'at', type: pg ? 'timestamptz' : 'datetime', default: 'now' }, /addColumn\.column\.default: .+ — now reads as a name, not a value: for the time of each insert write "now\(\)" or "CURRENT_TIMESTAMP" \(a quoted 'now' would be read once, as the default is set\)/],
        [{ name: 'plan', type: 'varchar(10)', default: 'free' }, /— free reads as a name, not a value: a text default is quoted as SQL quotes it \("default": "'free'"\)/],
        // TRUE is a value: PostgreSQL's word on it for an int is all (campaign BG); MySQL stores 1.
        ...(pg ? [[{ name: 'm', type: 'int', default: true }, /addColumn\.column\.default: (?![^]*reads as a name)/] as const] : []),
        // YAML 1.1's yes, text to YAML 1.2 (campaign BK).
        [{ name: 'ok', type: 'boolean', default: 'yes' }, /addColumn\.column\.default: .+ — yes reads as a name, not a value \(YAML 1\.2 takes it as text, not as a boolean\): write true or false/],
        // And on a bit(1) (campaign BL).
        [{ name: 'ok', type: 'bit(1)', default: 'no' }, /addColumn\.column\.default: .+ — no reads as a name, not a value \(YAML 1\.2 takes it as text, not as a boolean\): write true or false/],
      ] as const) {
        await s.write('0001_d', { addColumn: { table: 'users', column } });
        await refused(s, ['users'], message);
      }
      await s.write('0001_d', { addColumn: { table: 'users', column: { name: 'plan', type: 'varchar(10)', default: 'user' } } });
      if (!pg) return refused(s, ['users'], /— user reads as a name, not a value: a text default is quoted/);
      const plan = (await s.xc.plan()) as { migrations: { notes?: string[] }[] };
      expect(plan.migrations[0]!.notes).toContain('operations[0].addColumn: column.default: `user` is SQL\'s USER, the name of the role that inserts the row — for the text, quote it as SQL does ("default": "\'user\'")');
      // Its kin likewise (campaign BL: taken silently).
      await s.write('0001_d', { addColumn: { table: 'users', column: { name: 'plan', type: 'varchar(40)', default: 'session_user' } } });
      const kin = (await s.xc.plan()) as { migrations: { notes?: string[] }[] };
      expect(kin.migrations[0]!.notes).toContain('operations[0].addColumn: column.default: `session_user` is SQL\'s SESSION_USER, the name of the role that inserts the row — for the text, quote it as SQL does ("default": "\'session_user\'")');
    });

    it('constraint names differing only in case: two names on PostgreSQL, one on MySQL/MariaDB (refused there)', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      await s.write('0001_case', table({ constraints: [{ name: 'Pos', type: 'check', check: 'a > 0' }, { name: 'pos', type: 'check', check: 'b > 0' }] }));
      if (!pg) return refused(s, ['users'], /constraints\[1\]\.name: constraint name "pos" is given twice/);
      await toContracted(s, '0001_case');
      const names = await s.db.query<{ n: string }>(`SELECT conname AS n FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c' ORDER BY conname COLLATE "C"`);
      expect(names.map((r) => r.n)).toEqual(['Pos', 'pos']);
    });

    it.skipIf(pg)('MariaDB: a generated column cannot be NOT NULL', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      const mariadb = (await s.db.query<{ v: string }>(`SELECT VERSION() AS v`))[0]!.v.includes('MariaDB');
      await s.write('0001_gen', table({}, [id, { name: 'a', type: 'int' }, { name: 'b', type: 'int', nullable: false, generated: { expression: 'a * 2' } }]));
      if (mariadb) await refused(s, ['users'], /columns\[2\]\.nullable: MariaDB refuses NOT NULL on a generated column/);
      else expect((await s.xc.plan()).migrations.length).toBe(1);
    });

    it('a unique column whose key name a named constraint of the table has gets …_key1, as PostgreSQL names it', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      await s.write('0001_t', table({ constraints: [{ name: 't_a_key', type: 'check', check: 'b > 0' }] }, [id, { name: 'a', type: 'int', unique: true }, { name: 'b', type: 'int' }]));
      await toContracted(s, '0001_t');
      expect((await s.db.indexes('t')).filter((i) => i.unique).map((i) => `${i.name} (${i.columns.join(', ')})`)).toEqual(['t_a_key1 (a)']);
    });

    it("names addColumn gives its check, foreign key and unique key are known to the next migration of the same plan", async () => {
      const s = await setup(target, USERS, 'xc_topt');
      await s.write('0001_boss', { addColumn: { table: 'users', column: { name: 'boss', type: 'int', unique: true, references: { name: 'users_boss', table: 'users', column: 'id' }, check: { name: 'no_self', expression: 'boss <> id' } } } });
      await s.write('0002_drop', { dropConstraint: { table: 'users', name: 'users_boss' } }, { dropConstraint: { table: 'users', name: 'no_self' } }, { dropConstraint: { table: 'users', name: 'users_boss_key' } });
      const plan = await s.xc.plan();
      expect(plan.migrations.map((m) => m.id)).toEqual(['0001_boss', '0002_drop']);
    });

    it('a column derived by `up` from a new identity column: PostgreSQL fills the identity before triggers, MySQL/MariaDB after (refused)', async () => {
      const s = await setup(target, USERS, 'xc_topt');
      await s.write('0001_t', table({}, [{ name: 'id', type: 'int', primaryKey: true, generated: { identity: 'byDefault' } }, { name: 'a', type: 'int' }]));
      await s.write('0002_twice', { addColumn: { table: 't', column: { name: 'twice', type: 'int' }, up: 'id * 2' } });
      if (pg) expect((await s.xc.plan()).migrations.map((m) => m.id)).toEqual(['0001_t', '0002_twice']);
      else await refused(s, ['users'], /"t"\."id" gets its value from the server only after triggers run/);
      // A generated column, on both.
      await s.write('0001_t', table({}, [id, { name: 'a', type: 'int' }, { name: 'g', type: 'int', generated: { expression: 'a + 1' } }]));
      await s.write('0002_twice', { addColumn: { table: 't', column: { name: 'twice', type: 'int' }, up: 'g * 2' } });
      await refused(s, ['users'], /"t"\."g" gets its value from the server only after triggers run/);
    });

    it('a renamed column keeps its foreign key whole: ON UPDATE, and on PostgreSQL MATCH FULL and DEFERRABLE', async () => {
      const key = pg ? 'MATCH FULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED' : 'ON UPDATE CASCADE';
      const s = await setup(target, [...USERS, `CREATE TABLE pets (id int PRIMARY KEY, owner int, CONSTRAINT pets_owner FOREIGN KEY (owner) REFERENCES users (id) ${key})`, `INSERT INTO pets VALUES (1, 1)`], 'xc_topt');
      await s.write('0001_rename', { renameColumn: { table: 'pets', from: 'owner', to: 'owner_id' } });
      await toContracted(s, '0001_rename');
      const rule = pg
        ? `SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = 'pets_owner'`
        : `SELECT UPDATE_RULE AS d FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'pets_owner'`;
      expect((await s.db.query<{ d: string }>(rule)).map((r) => r.d)).toEqual([pg ? 'FOREIGN KEY (owner_id) REFERENCES users(id) MATCH FULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED' : 'CASCADE']);
      await s.db.query(`UPDATE users SET id = 5 WHERE id = 1`);
      expect(await s.db.count(`SELECT owner_id FROM pets WHERE id = 1`)).toBe(5);
    });

    it("addColumn's check: a row the new version wrote breaking it stops the contract before anything is removed", async () => {
      const s = await setup(target, USERS, 'xc_topt');
      await s.write('0001_age', { addColumn: { table: 'users', column: { name: 'age', type: 'int', check: { name: 'age_check', expression: 'age >= 18' } }, up: '20' } });
      await s.xc.apply();
      // Taken before contract: nothing enforces the check yet.
      await s.db.query(`INSERT INTO users (id, name, age) VALUES (2, 'kid', 5)`);
      await record(s.xc, '0001_age');
      const err = await rejection(s.xc.contract());
      expect(err.message).toMatch(/age_check/);
      expect((await s.xc.status()).migrations.map((m) => m.phase)).toEqual(['backfilled']);
      // Fixed, the contract goes through and enforces it.
      await s.db.query(`UPDATE users SET age = 18 WHERE id = 2`);
      await s.xc.contract();
      await expect(s.db.query(`INSERT INTO users (id, name, age) VALUES (3, 'kid', 5)`)).rejects.toThrow();
    });
  });
}

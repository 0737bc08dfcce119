/**
 * Generated keys: the types each server builds a primary key over (23 on MariaDB, 27 on PostgreSQL), alone and
 * as the second column of a composite key, holding random distinct values with their edges (negative and extreme
 * numbers, floats that round alike, trailing spaces, case and accents under _ci collations, bytes, times before
 * 1970 and across a DST change, ENUM labels out of alphabetical order; on PostgreSQL an enum, a composite and a
 * domain of the test's own). An in-place `alterColumn` of another column walks each table three times —
 * MariaDB's fill, the backfill, the verify before contract — in batches of a random 1–4 rows; every row must be
 * walked once per pass and keep its value through the contract, whose cut-over replaces the column with the
 * walked shadow (a row a walk skipped comes out as the shadow's default, 0). PostgreSQL's database is set to the
 * session settings that change how values read as text (extra_float_digits 0, DateStyle SQL/DMY, IntervalStyle
 * sql_standard, a TimeZone with DST). backfill-keys.test.ts walks the keys someone thought of, with writers;
 * this one the types nobody listed (it found an integer[] key's failed backfill, and fails on the ENUM, SET,
 * BIT, FLOAT and composite keys walked as before). XC_KEYWALK_SEED=N replays a run (the seed is in the test's name), XC_KEYWALK_SEED=random
 * draws one.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';
import { rng } from '../fuzz/writers.js';

/** A fixed seed unless asked: a suite that gates a merge runs what was run here; `XC_KEYWALK_SEED=random` explores. */
const SEED = process.env.XC_KEYWALK_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.XC_KEYWALK_SEED ?? 20261203);
const ROWS = 36;

type Rand = () => number;
/** A key type and a generator of SQL literals of it; edges are drawn first, then random values. */
interface KeyType {
  type: string;
  edges: string[];
  random: (r: Rand) => string;
}

const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const str = (s: string) => `'${s.replace(/'/g, "''")}'`;
const pad2 = (n: number) => String(n).padStart(2, '0');
/** Text that collates in interesting ways: case, accents, spaces inside and at the end, punctuation. */
const word = (r: Rand) => Array.from({ length: int(r, 0, 6) }, () => pick(r, ['a', 'A', 'b', 'é', 'E', 'z', 'Z', ' ', '_', '0', '9', 'ß', 'ñ', '-'])).join('');
/** Doubles of every magnitude, some a rounding apart. */
const double = (r: Rand) => String(pick(r, [r() * 10 ** int(r, -30, 30), -(r() * 10 ** int(r, -5, 5)), 0.1 * int(r, 1, 9) + 0.2 * int(r, 0, 3), 1 + int(r, 1, 4) * 2 ** -52]));
/** Single-precision values a few ulps apart, which their 6-digit text cannot tell apart. */
const single = (r: Rand) => String(Math.fround(pick(r, [1, 0.3, 1e20, -2.5]) * (1 + int(r, -3, 3) * 2 ** -23)));
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => int(r, 0, 255).toString(16).padStart(2, '0')).join('');
const date = (r: Rand, from: number, to: number) => `${String(int(r, from, to)).padStart(4, '0')}-${pad2(int(r, 1, 12))}-${pad2(int(r, 1, 28))}`;
const clock = (r: Rand) => `${pad2(int(r, 0, 23))}:${pad2(int(r, 0, 59))}:${pad2(int(r, 0, 59))}.${String(int(r, 0, 999999)).padStart(6, '0')}`;

const MYSQL_TYPES: KeyType[] = [
  { type: 'int', edges: ['-2147483648', '2147483647', '0', '-1'], random: (r) => String(int(r, -2e9, 2e9)) },
  { type: 'bigint unsigned', edges: ['18446744073709551615', '9223372036854775808', '0'], random: (r) => `${int(r, 1, 18)}${String(int(r, 0, 1e9)).padStart(9, '0')}` },
  { type: 'tinyint', edges: ['-128', '127'], random: (r) => String(int(r, -128, 127)) },
  { type: 'decimal(20,6)', edges: ['-99999999999999.999999', '99999999999999.999999', '0.000001'], random: (r) => `${r() < 0.5 ? '-' : ''}${int(r, 0, 1e6)}.${String(int(r, 0, 999999)).padStart(6, '0')}` },
  { type: 'double', edges: ['1.7976931348623157e308', '-1.7976931348623157e308', '5e-324', '0.30000000000000004', '0.3'], random: double },
  { type: 'float', edges: ['3.4e38', '-3.4e38', '1.0000001', '1.0000002', '1'], random: single },
  { type: 'float(9,3)', edges: ['-999999.999', '999999.999'], random: (r) => (r() * 2e6 - 1e6).toFixed(3) },
  { type: 'char(8)', edges: [str(''), str('a'), str('a '), str(' a')], random: (r) => str(word(r)) },
  { type: 'varchar(20) CHARACTER SET latin1', edges: [str('é'), str('E'), str('ß'), str('ss')], random: (r) => str(word(r)) },
  { type: 'varchar(20) COLLATE utf8mb4_bin', edges: [str('a'), str('a '), str('A')], random: (r) => str(word(r)) },
  { type: 'varchar(20) COLLATE utf8mb4_unicode_nopad_ci', edges: [str('a'), str('a '), str('a  ')], random: (r) => str(word(r)) },
  { type: 'binary(4)', edges: ["X'00000000'", "X'FFFFFFFF'", "X'61000000'"], random: (r) => `X'${hex(r, 4)}'` },
  { type: 'varbinary(6)', edges: ["X''", "X'00'", "X'0000'", "X'FF'"], random: (r) => `X'${hex(r, int(r, 0, 6))}'` },
  { type: 'date', edges: [str('1000-01-01'), str('9999-12-31')], random: (r) => str(date(r, 1000, 9999)) },
  { type: 'datetime(6)', edges: [str('1000-01-01 00:00:00'), str('9999-12-31 23:59:59.999999')], random: (r) => str(`${date(r, 1900, 2100)} ${clock(r)}`) },
  { type: 'timestamp(6)', edges: [str('1970-01-01 00:00:01'), str('2038-01-19 03:14:07.999999')], random: (r) => str(`${date(r, 1971, 2037)} ${clock(r)}`) },
  { type: 'time(6)', edges: [str('-838:59:59'), str('838:59:59'), str('-00:00:00.000001'), str('00:00:00')], random: (r) => str(`${r() < 0.4 ? '-' : ''}${int(r, 0, 838)}:${pad2(int(r, 0, 59))}:${pad2(int(r, 0, 59))}.${int(r, 0, 999999)}`) },
  { type: 'year', edges: ['1901', '2155', '0'], random: (r) => String(int(r, 1901, 2155)) },
  { type: "enum('z','a','m','b','y','c','ö')", edges: [str('z'), str('ö'), str('a')], random: (r) => str(pick(r, ['z', 'a', 'm', 'b', 'y', 'c', 'ö'])) },
  { type: "set('z','a','m','b')", edges: [str(''), str('z,a,m,b')], random: (r) => str(['z', 'a', 'm', 'b'].filter(() => r() < 0.5).join(',')) },
  { type: 'bit(10)', edges: ["b'0'", "b'1111111111'"], random: (r) => `b'${int(r, 0, 1023).toString(2)}'` },
  { type: 'uuid', edges: [str('00000000-0000-0000-0000-000000000000'), str('ffffffff-ffff-ffff-ffff-ffffffffffff')], random: (r) => str(`${hex(r, 4)}-${hex(r, 2)}-${hex(r, 2)}-${hex(r, 2)}-${hex(r, 6)}`) },
  { type: 'inet6', edges: [str('::'), str('::1'), str('::ffff:1.2.3.4')], random: (r) => str(`${int(r, 0, 65535).toString(16)}::${int(r, 0, 65535).toString(16)}`) },
];

const PG_TYPES: KeyType[] = [
  { type: 'integer', edges: ['-2147483648', '2147483647', '0'], random: (r) => String(int(r, -2e9, 2e9)) },
  { type: 'bigint', edges: ['-9223372036854775808', '9223372036854775807'], random: (r) => `${r() < 0.5 ? '-' : ''}${int(r, 1, 9)}${String(int(r, 0, 1e9)).padStart(9, '0')}` },
  { type: 'smallint', edges: ['-32768', '32767'], random: (r) => String(int(r, -32768, 32767)) },
  { type: 'numeric', edges: ["'NaN'", '1e-30', '-1e30', '0.1', '0.10'], random: (r) => `${r() < 0.5 ? '-' : ''}${int(r, 0, 1e9)}.${String(int(r, 0, 1e9)).padStart(int(r, 1, 20), '0')}` },
  { type: 'numeric(20,6)', edges: ['-99999999999999.999999', '0.000001'], random: (r) => `${r() < 0.5 ? '-' : ''}${int(r, 0, 1e6)}.${int(r, 0, 999999)}` },
  { type: 'real', edges: ["'NaN'", "'Infinity'", "'-Infinity'", '1.0000001', '1.0000002'], random: (r) => `${single(r)}::real` },
  { type: 'double precision', edges: ["'NaN'", "'Infinity'", "'-Infinity'", '0.30000000000000004', '0.3', '5e-324'], random: (r) => `${double(r)}::float8` },
  { type: 'text', edges: [str(''), str('a'), str('a '), str('A')], random: (r) => str(word(r)) },
  { type: 'text COLLATE "C"', edges: [str('a'), str('B'), str('é')], random: (r) => str(word(r)) },
  { type: 'char(8)', edges: [str(''), str('a'), str(' a')], random: (r) => str(word(r)) },
  { type: 'bytea', edges: ["'\\x'", "'\\x00'", "'\\xff'"], random: (r) => `'\\x${hex(r, int(r, 0, 6))}'` },
  { type: 'date', edges: ["'infinity'", "'-infinity'", str('4713-01-01 BC'), str('0001-01-01')], random: (r) => str(date(r, 1, 9999)) },
  { type: 'timestamp(6)', edges: ["'infinity'", "'-infinity'", str('1969-12-31 23:59:59.999999')], random: (r) => str(`${date(r, 1800, 2200)} ${clock(r)}`) },
  // America/New_York: 2026-11-01 01:30 happens twice; each is its own instant.
  { type: 'timestamptz', edges: [str('2026-11-01 05:30:00+00'), str('2026-11-01 06:30:00+00'), str('2026-03-08 07:30:00+00')], random: (r) => str(`2026-11-01 ${pad2(int(r, 4, 7))}:${pad2(int(r, 0, 59))}:${pad2(int(r, 0, 59))}.${int(r, 0, 999999)}+00`) },
  { type: 'time(6)', edges: [str('00:00'), str('24:00')], random: (r) => str(clock(r)) },
  { type: 'interval', edges: [str('-178000000 years'), str('1 day'), str('1 mon'), str('-1 sec')], random: (r) => str(`${int(r, -400, 400)} mon ${int(r, -40, 40)} days ${int(r, -100000, 100000)} sec`) },
  { type: 'uuid', edges: [str('00000000-0000-0000-0000-000000000000')], random: (r) => str(`${hex(r, 4)}-${hex(r, 2)}-${hex(r, 2)}-${hex(r, 2)}-${hex(r, 6)}`) },
  { type: 'inet', edges: [str('0.0.0.0/0'), str('::/0'), str('10.0.0.1/8'), str('10.0.0.1')], random: (r) => str(r() < 0.5 ? `${int(r, 0, 255)}.${int(r, 0, 255)}.0.${int(r, 0, 255)}/${int(r, 8, 32)}` : `${int(r, 0, 65535).toString(16)}::${int(r, 0, 65535).toString(16)}`) },
  { type: 'bit(10)', edges: ["B'0000000000'", "B'1111111111'"], random: (r) => `B'${int(r, 0, 1023).toString(2).padStart(10, '0')}'` },
  { type: 'varbit(10)', edges: ["B''", "B'0'", "B'00'"], random: (r) => `B'${Array.from({ length: int(r, 0, 10) }, () => (r() < 0.5 ? '0' : '1')).join('')}'` },
  { type: 'kind', edges: [str('z'), str('ä')], random: (r) => str(pick(r, ['z', 'a', 'm', 'b', 'y', 'c', 'ä'])) },
  { type: 'integer[]', edges: ["'{}'", "'{NULL}'", "'{1,NULL}'"], random: (r) => `'{${Array.from({ length: int(r, 0, 3) }, () => int(r, -9, 9)).join(',')}}'` },
  { type: 'money', edges: ['-92233720368547758.08', '0.01'], random: (r) => `${int(r, -1e6, 1e6)}.${pad2(int(r, 0, 99))}` },
  { type: 'jsonb', edges: ["'null'", "'{}'", "'[]'", `'{"a":1,"b":2}'`], random: (r) => `'${JSON.stringify(pick(r, [{ [word(r)]: int(r, -9, 9) }, [int(r, 0, 9), word(r)], word(r), r()]))}'` },
  { type: 'boolean', edges: ['true', 'false'], random: (r) => String(r() < 0.5) },
  // A composite: compared with one, a bare parameter is an anonymous record (the backfill stopped).
  { type: 'pair', edges: [`ROW(NULL, NULL)::pair`, `ROW(1, '')::pair`, `ROW(1, NULL)::pair`], random: (r) => `ROW(${int(r, -3, 3)}, ${str(word(r))})::pair` },
  { type: 'dint', edges: ['-2147483648', '0'], random: (r) => String(int(r, -1e6, 1e6)) },
];

const STYLES = [`extra_float_digits = 0`, `DateStyle = 'SQL, DMY'`, `IntervalStyle = 'sql_standard'`, `TimeZone = 'America/New_York'`];

for (const target of targets) {
  target.describe(`the walk over generated keys of every type (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    const types = target.name === 'mysql' ? MYSQL_TYPES : PG_TYPES;

    /** ROWS literals (edges first), as distinct as the type's own equality makes them: duplicates are skipped at insert. */
    const literals = (t: KeyType, r: Rand) => [...t.edges, ...Array.from({ length: ROWS - t.edges.length }, () => t.random(r))];

    async function load(db: Db, table: string, t: KeyType, composite: boolean, r: Rand): Promise<void> {
      const key = composite ? 'g int NOT NULL, ' : '';
      await db.query(`CREATE TABLE ${table} (${key}k ${t.type} NOT NULL, n int NOT NULL, PRIMARY KEY (${composite ? 'g, k' : 'k'}))`);
      const ignore = db.dialect === 'mysql' ? 'IGNORE ' : '';
      const conflict = db.dialect === 'postgres' ? ' ON CONFLICT DO NOTHING' : '';
      // One row a statement, n its order: a statement of many rows would stop at a duplicate on PostgreSQL.
      for (const [i, v] of literals(t, r).entries()) await db.query(`INSERT ${ignore}INTO ${table} (${composite ? 'g, ' : ''}k, n) VALUES (${composite ? `${int(r, 1, 3)}, ` : ''}${v}, ${i + 1})${conflict}`);
    }

    it(
      `walks each row once and keeps its value through contract (seed ${SEED})`,
      async () => {
        const r = rng(SEED);
        const db = await target.create('xc_keywalk');
        const dir = await mkdtemp(path.join(tmpdir(), 'xc-keywalk-'));
        cleanup.push(() => rm(dir, { recursive: true, force: true }), () => db.drop());
        if (db.dialect === 'postgres') {
          await db.query(`CREATE TYPE kind AS ENUM ('z', 'a', 'm', 'b', 'y', 'c', 'ä')`);
          await db.query(`CREATE TYPE pair AS (a int, b text)`);
          await db.query(`CREATE DOMAIN dint AS int`);
          for (const s of STYLES) await db.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET ${s.replace(/'/g, "''")}', current_database()); END $$`);
        }
        const tables = types.flatMap((t, i) => [
          { name: `k${i}`, t, composite: false },
          { name: `c${i}`, t, composite: true },
        ]);
        for (const x of tables) await load(db, x.name, x.t, x.composite, r);
        const before = new Map<string, { rows: number; sum: number }>();
        for (const x of tables) {
          const [row] = await db.query<{ cnt: unknown; total: unknown }>(`SELECT COUNT(*) AS cnt, SUM(n) AS total FROM ${x.name}`);
          before.set(x.name, { rows: Number(row!.cnt), sum: Number(row!.total) });
          expect(Number(row!.cnt), `${x.name} ${x.t.type}: enough distinct keys`).toBeGreaterThan(1);
        }

        const operations = tables.map((x) => ({ alterColumn: { table: x.name, column: 'n', type: 'bigint', up: 'n', down: 'n' } }));
        await writeFile(path.join(dir, '0001_keys.json'), JSON.stringify({ operations }));
        const batchSize = int(r, 1, 4);
        const xc = createXc({ url: db.url, dir, batchSize });
        cleanup.push(() => xc.close());
        await xc.apply();
        await xc.deploy.record({ app: 'shop', version: '2' });
        await xc.contract();

        const passes = await db.query<{ seq: number; table_name: string; done: unknown }>(`SELECT seq, table_name, SUM(done) AS done FROM ${db.dialect === 'postgres' ? 'xc.backfill' : 'xc_backfill'} GROUP BY seq, table_name`);
        for (const x of tables) {
          const what = `${x.name}: ${x.composite ? '(int, ' : ''}${x.t.type}${x.composite ? ')' : ''}, batches of ${batchSize}, seed ${SEED}`;
          const [row] = await db.query<{ cnt: unknown; total: unknown; zero: unknown }>(`SELECT COUNT(*) AS cnt, SUM(n) AS total, SUM(CASE WHEN n = 0 THEN 1 ELSE 0 END) AS zero FROM ${x.name}`);
          expect({ rows: Number(row!.cnt), sum: Number(row!.total), zero: Number(row!.zero) }, what).toEqual({ ...before.get(x.name), zero: 0 });
          const walked = passes.filter((p) => p.table_name === x.name);
          expect(walked.length, what).toBeGreaterThan(0);
          for (const p of walked) expect(Number(p.done), `${what}, pass ${p.seq}`).toBe(before.get(x.name)!.rows);
        }
      },
      300_000,
    );
  });
}

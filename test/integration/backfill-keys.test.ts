/**
 * The backfill walks any row key to its end, each row once, on every dialect:
 * a binary key (MySQL BINARY(16) holding UUIDs and VARBINARY(20),
 * PostgreSQL bytea, PGlite's too), a text key in a case- and accent-insensitive collation
 * (MySQL's default) and a composite (int, varchar) key, in many small
 * batches; the verify before contract walks them too; and a walk interrupted
 * after a few batches resumes from its stored cursor — a binary key's bytes,
 * not their lossy text (which made the walk restart from a wrong place, and
 * on MySQL never end).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { createXc, type XcEvent, type XcOptions } from '../../src/index.js';
import { decodeCursor } from '../../src/state/cursor.js';
import { rejection } from '../helpers/cli.js';
import { targets, type Db } from '../helpers/targets.js';

/** A hung walk would run until the test's timeout: fail well before, with the batches it took. */
const TIMEOUT_MS = 90_000;

/** Keys that sort differently by bytes and by a _ci/_ai collation, and are distinct in both. */
const COLLATED = ['a', 'B', 'c', 'D', 'é', 'Ñ', 'z', 'Z0', 'ÿ', '_', ' x', 'Ä1'];

/** Distinct byte strings of 1 to 20 bytes: the extremes, prefixes of each other (ab < ab\0), and random ones. */
function varbinaryKeys(n: number): Buffer[] {
  const keys = new Map<string, Buffer>();
  for (const b of [Buffer.from([0]), Buffer.from([0, 0]), Buffer.from([0xff]), Buffer.alloc(20, 0xff), Buffer.from('ab'), Buffer.from('ab\0'), Buffer.from([0x80]), Buffer.from([0x7f, 0xff])]) keys.set(b.toString('hex'), b);
  while (keys.size < n) {
    const b = randomBytes(1 + (keys.size % 20));
    keys.set(b.toString('hex'), b);
  }
  return [...keys.values()];
}

function binary16Keys(n: number): Buffer[] {
  const keys = new Map<string, Buffer>([Buffer.alloc(16, 0), Buffer.alloc(16, 0xff)].map((b) => [b.toString('hex'), b]));
  while (keys.size < n) {
    const b = randomBytes(16);
    keys.set(b.toString('hex'), b);
  }
  return [...keys.values()];
}

/** A UUID stored as 16 bytes, made by the server. */
const uuidBytes = (db: Db) => (db.dialect === 'mysql' ? `UNHEX(REPLACE(UUID(), '-', ''))` : `decode(replace(CAST(gen_random_uuid() AS text), '-', ''), 'hex')`);

const state = (db: Db, t: string) => (db.dialect === 'postgres' ? `xc.${t}` : `xc_${t}`);

for (const target of targets) {
  target.describe(`backfill over binary, collated and composite keys (${target.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanup.splice(0).reverse()) await f();
    });

    /** A database with the tables, a migration of `operations`, and an xc whose batches stop the walk once it takes more than `maxBatches`. */
    async function setup(ddl: string[], operations: unknown[], maxBatches: number, opts: Partial<XcOptions> = {}) {
      const db = await target.create('xc_keys');
      const dir = await mkdtemp(path.join(tmpdir(), 'xc-keys-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }), () => db.drop());
      for (const sql of ddl) await db.query(sql);
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations }));
      const events: XcEvent[] = [];
      let batches = 0;
      const xc = createXc({
        url: db.url,
        dir,
        ...opts,
        onEvent: (e) => {
          events.push(e);
          if (e.event === 'backfill' && ++batches > maxBatches) throw new Error(`the walk does not end: ${batches} batches`);
          opts.onEvent?.(e);
        },
      });
      cleanup.push(() => xc.close());
      return { db, xc, events };
    }

    const binary = (n: number) => (target.name === 'mysql' ? `BINARY(${n})` : 'bytea');
    const varbinary = target.name === 'mysql' ? 'VARBINARY(20)' : 'bytea';
    const tables = [
      `CREATE TABLE uuids (id ${binary(16)} NOT NULL PRIMARY KEY, v int NOT NULL)`,
      `CREATE TABLE blobs (id ${varbinary} NOT NULL PRIMARY KEY, v int NOT NULL)`,
      `CREATE TABLE names (id varchar(40) NOT NULL PRIMARY KEY, v int NOT NULL)`,
      `CREATE TABLE pairs (g int NOT NULL, name varchar(20) NOT NULL, v int NOT NULL, PRIMARY KEY (g, name))`,
    ];

    async function seed(db: Db) {
      await db.seed('uuids', ['id', 'v'], binary16Keys(500).map((k, i) => [k, i]));
      // And 300 UUIDs as the application would store them.
      await db.query(`INSERT INTO uuids (id, v) VALUES ${Array.from({ length: 300 }, (_, i) => `(${uuidBytes(db)}, ${1000 + i})`).join(', ')}`);
      await db.seed('blobs', ['id', 'v'], varbinaryKeys(700).map((k, i) => [k, i]));
      await db.seed('names', ['id', 'v'], [...COLLATED, ...Array.from({ length: 600 }, (_, i) => `${COLLATED[i % COLLATED.length]}${i}`)].map((k, i) => [k, i]));
      await db.seed('pairs', ['g', 'name', 'v'], Array.from({ length: 700 }, (_, i) => [i % 3, `${COLLATED[i % COLLATED.length]}${Math.floor(i / 3)}`, i]));
    }

    const addW = (table: string) => ({ addColumn: { table, column: { name: 'w', type: 'int', nullable: false }, up: 'v * 2 + 1' } });

    it(
      'walks each key to its end, every row once and given its value, and verifies it before contract',
      async () => {
        const { db, xc, events } = await setup(tables, ['uuids', 'blobs', 'names', 'pairs'].map(addW), 400, { batchSize: 45 });
        await seed(db);
        const rows: Record<string, number> = { uuids: 800, blobs: 700, names: 612, pairs: 700 };
        for (const [t, n] of Object.entries(rows)) expect(await db.count(`SELECT count(*) FROM ${t}`), t).toBe(n);

        await xc.apply();
        for (const [t, n] of Object.entries(rows)) {
          expect(await db.count(`SELECT count(*) FROM ${t} WHERE w = v * 2 + 1`), t).toBe(n);
        }
        // Each pass over a table counted its rows exactly once, in several batches, and finished.
        const passes = await db.query<{ seq: number; table_name: string; done: number; open: number }>(
          `SELECT seq, table_name, SUM(done) AS done, SUM(CASE WHEN finished_at IS NULL THEN 1 ELSE 0 END) AS open FROM ${state(db, 'backfill')} GROUP BY seq, table_name`,
        );
        expect(passes.filter((p) => Number(p.seq) >= 0).map((p) => p.table_name).sort()).toEqual(Object.keys(rows).sort());
        for (const p of passes) {
          expect(Number(p.done), `${p.table_name} pass ${p.seq}`).toBe(rows[p.table_name]);
          expect(Number(p.open)).toBe(0);
        }
        expect(events.filter((e) => e.event === 'backfill' && e.table === 'uuids').length).toBeGreaterThan(10);

        await xc.deploy.record({ app: 'shop', version: '2' });
        await xc.contract();
        for (const [t, n] of Object.entries(rows)) expect(await db.count(`SELECT count(*) FROM ${t} WHERE w = v * 2 + 1`), t).toBe(n);
      },
      TIMEOUT_MS,
    );

    it(
      'verifies a column copy over a binary key in chunks, and finds the row that disagrees',
      async () => {
        const down = target.name === 'mysql' ? 'CAST(v2 AS SIGNED)' : 'CAST(v2 AS int)';
        const { db, xc } = await setup([tables[1]!], [{ alterColumn: { table: 'blobs', column: 'v', to: 'v2', type: 'bigint', up: 'v', down } }], 400, { batchSize: 60 });
        const keys = varbinaryKeys(700);
        await db.seed('blobs', ['id', 'v'], keys.map((k, i) => [k, i]));
        await xc.apply();
        expect(await db.count(`SELECT count(*) FROM blobs WHERE v2 = v`)).toBe(700);
        // The row last in key order made to disagree behind the triggers' back: the verify must walk to it.
        const last = [...keys].sort(Buffer.compare).at(-1)!;
        const c = await db.connection();
        // PostgreSQL: xc's triggers fire in every session_replication_role (ENABLE ALWAYS); they stand aside by name, as for a batch.
        if (db.dialect === 'postgres') await c.query(`SELECT set_config('xc.bypass', '${(await db.triggers()).join(',')}', false)`);
        // On MySQL, the bypass variable of each trigger pair (its name without the _i/_u of each trigger).
        else await c.query(`SET ${(await db.triggers()).map((t) => `@xc_bypass_${t.replace(/_[iu]$/, '')} = 1`).join(', ')}`);
        await c.query(`UPDATE blobs SET v2 = -7 WHERE id = ?`, [last]);
        expect(await db.count(`SELECT count(*) FROM blobs WHERE v2 = -7`)).toBe(1);
        await xc.deploy.record({ app: 'shop', version: '2' });
        const refused = await rejection(xc.contract());
        expect(refused.exitCode).toBe(1);
        expect(refused.message).toContain('-7');
        // Converted again, verified, contracted: v2, the bigint copy, is left.
        await xc.backfill({ id: '0001' });
        await xc.contract();
        expect(await db.count(`SELECT count(*) FROM blobs WHERE id = ? AND v2 = ?`, [last, keys.indexOf(last)])).toBe(1);
        expect(await db.count(`SELECT count(*) FROM blobs`)).toBe(700);
      },
      TIMEOUT_MS,
    );

    /**
     * MariaDB orders an ENUM or SET key by its number but compares it with a string as text, a BIT by its value
     * but with a string as bytes, and reads a FLOAT as text rounded to 6 digits: walked by their text, the
     * ENUM key's walk and verify skipped the rows whose labels sort before the last chunk's, and the contract
     * replaced their values with the shadow's default (0); the FLOAT key's largest rows fell outside the last
     * chunk. PostgreSQL compares its enum in order; a float's text is exact only with extra_float_digits above 0
     * (the database's 0 here: xc's sessions set their own).
     */
    const orderedKeys =
      target.name === 'mysql'
        ? {
            ddl: [
              `CREATE TABLE kinds (k enum('z','a','m','b','y','c') NOT NULL PRIMARY KEY, v int NOT NULL)`,
              `CREATE TABLE tagged (u int NOT NULL, k set('z','a','m') NOT NULL, v int NOT NULL, PRIMARY KEY (u, k))`,
              `CREATE TABLE flags (k bit(12) NOT NULL PRIMARY KEY, v int NOT NULL)`,
              `CREATE TABLE points (k float NOT NULL PRIMARY KEY, v int NOT NULL)`,
            ],
            rows: {
              kinds: [`('z', 1), ('a', 2), ('m', 3), ('b', 4), ('y', 5), ('c', 6)`],
              tagged: [`(1, 'z', 1), (1, 'a', 2), (1, 'z,m', 3), (2, 'm', 4), (2, 'a,z', 5), (2, '', 6), (3, 'z,a,m', 7)`],
              flags: [`(b'1', 1), (b'10', 2), (b'111111111111', 3), (b'100000', 4), (b'0', 5), (b'111111111110', 6)`],
              points: [`(1.0000001, 1), (1.0000002, 2), (0.29999998, 3), (1, 4), (-0.1, 5), (3.4e38, 6), (3.3999998e38, 7)`],
            },
          }
        : {
            ddl: [
              `CREATE TYPE kind AS ENUM ('z', 'a', 'm', 'b', 'y', 'c')`,
              `CREATE TABLE kinds (k kind NOT NULL PRIMARY KEY, v int NOT NULL)`,
              `CREATE TABLE tagged (u int NOT NULL, k kind NOT NULL, v int NOT NULL, PRIMARY KEY (u, k))`,
              `CREATE TABLE flags (k real NOT NULL PRIMARY KEY, v int NOT NULL)`,
              `CREATE TABLE points (k double precision NOT NULL PRIMARY KEY, v int NOT NULL)`,
            ],
            rows: {
              kinds: [`('z', 1), ('a', 2), ('m', 3), ('b', 4), ('y', 5), ('c', 6)`],
              tagged: [`(1, 'z', 1), (1, 'a', 2), (1, 'm', 3), (2, 'm', 4), (2, 'z', 5), (2, 'c', 6), (3, 'y', 7)`],
              flags: [`(1.0000001, 1), (1.0000002, 2), (0.29999998, 3), (1, 4), (-0.1, 5), (3.4e38, 6), (3.3999998e38, 7)`],
              points: [`(0.1::float8 + 0.2::float8, 1), (1.0000000000000002, 2), (0.3, 3), (1, 4), (1e300 * 1.0000000000000002, 5), (1e300, 6), (-0.1, 7)`],
            },
          };

    it(
      'walks keys whose text does not compare in the index order (ENUM, SET, BIT, FLOAT; PostgreSQL enum and floats): every row keeps its value through contract',
      async () => {
        const tables = Object.keys(orderedKeys.rows);
        const bigint = (table: string) => ({ alterColumn: { table, column: 'v', type: 'bigint', up: 'v', down: 'v' } });
        const { db, xc } = await setup(orderedKeys.ddl, tables.map(bigint), 400, { batchSize: 1 });
        // At 0, PostgreSQL reads 0.30000000000000004 as '0.3': a session of xc's inheriting it would walk by rounded keys.
        if (db.dialect === 'postgres') await db.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET extra_float_digits = 0', current_database()); END $$`);
        for (const [t, values] of Object.entries(orderedKeys.rows)) await db.query(`INSERT INTO ${t} (${t === 'tagged' ? 'u, ' : ''}k, v) VALUES ${values.join(', ')}`);
        const before = await Promise.all(tables.map((t) => db.count(`SELECT count(*) FROM ${t}`)));
        expect(before.every((n) => n >= 6)).toBe(true);

        await xc.apply();
        const passes = await db.query<{ table_name: string; done: number }>(`SELECT table_name, SUM(done) AS done FROM ${state(db, 'backfill')} WHERE seq >= 0 GROUP BY seq, table_name`);
        for (const p of passes) expect(Number(p.done), p.table_name).toBe(before[tables.indexOf(p.table_name)]);
        await xc.deploy.record({ app: 'shop', version: '2' });
        await xc.contract();
        for (const [i, t] of tables.entries()) {
          // Each row's value is the one it was inserted with: v is 1..n in insertion order, so its sum and count tell.
          const n = before[i]!;
          expect(await db.count(`SELECT count(*) FROM ${t} WHERE v BETWEEN 1 AND ${n}`), t).toBe(n);
          expect(await db.count(`SELECT SUM(v) FROM ${t}`), t).toBe((n * (n + 1)) / 2);
        }
      },
      TIMEOUT_MS,
    );

    it.runIf(target.name === 'mysql')(
      'names a row that fails by its ENUM label, not the position the walk compares',
      async () => {
        const { db, xc } = await setup([orderedKeys.ddl[0]!], [{ addColumn: { table: 'kinds', column: { name: 'w', type: 'tinyint', nullable: true }, up: 'v * 50' } }], 400, { batchSize: 2 });
        await db.query(`INSERT INTO kinds (k, v) VALUES ${orderedKeys.rows.kinds[0]}`);
        const refused = await rejection(xc.apply());
        // v = 3 is the first row (in key order z, a, m, …) whose w is past tinyint's 127: 'm', position 3.
        expect(refused.message).toContain('at the row k=m:');
        expect(await db.count(`SELECT count(*) FROM kinds WHERE w IS NOT NULL`)).toBe(2);
      },
      TIMEOUT_MS,
    );

    it(
      'resumes an interrupted walk over a binary key from the bytes it stopped at',
      async () => {
        let stopAt = 3;
        const { db, xc } = await setup([tables[0]!], [addW('uuids')], 400, {
          batchSize: 50,
          // The process "dies" right after its third batch committed.
          onEvent: (e) => {
            if (e.event === 'backfill' && --stopAt === 0) throw new Error('interrupted');
          },
        });
        const keys = binary16Keys(600);
        await db.seed('uuids', ['id', 'v'], keys.map((k, i) => [k, i]));
        expect((await rejection(xc.apply())).message).toContain('interrupted');

        // The cursor is the 150th key in byte order (BINARY and bytea both compare bytes), stored as those bytes.
        const sorted = [...keys].sort(Buffer.compare);
        const open = await db.query<{ position: string; done: number }>(`SELECT position, done FROM ${state(db, 'backfill')} WHERE finished_at IS NULL`);
        expect(open).toHaveLength(1);
        expect(Number(open[0]!.done)).toBe(150);
        const cursor = decodeCursor(open[0]!.position)!;
        expect(Buffer.isBuffer(cursor[0])).toBe(true);
        expect((cursor[0] as Buffer).equals(sorted[149]!)).toBe(true);
        // Exactly the rows up to it have their value.
        expect(await db.count(`SELECT count(*) FROM uuids WHERE w IS NOT NULL`)).toBe(150);

        await xc.apply();
        expect(await db.count(`SELECT count(*) FROM uuids WHERE w = v * 2 + 1`)).toBe(600);
        const passes = await db.query<{ seq: number; done: number }>(`SELECT seq, SUM(done) AS done FROM ${state(db, 'backfill')} GROUP BY seq`);
        for (const p of passes) expect(Number(p.done), `pass ${p.seq}`).toBe(600);
      },
      TIMEOUT_MS,
    );
  });
}

describe('backfill over a bytea key (PGlite)', () => {
  it('walks it to its end, every row given its value: PGlite returns bytes as a bare Uint8Array', async () => {
    const db = new PGlite();
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-keys-'));
    const xc = createXc({ connection: db, dir, batchSize: 40 });
    try {
      await db.exec(`CREATE TABLE blobs (id bytea PRIMARY KEY, v int NOT NULL)`);
      const keys = varbinaryKeys(300);
      await db.query(`INSERT INTO blobs (id, v) VALUES ${keys.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`, keys.flatMap((k, i) => [k, i]));
      await writeFile(path.join(dir, '0001.json'), JSON.stringify({ operations: [{ addColumn: { table: 'blobs', column: { name: 'w', type: 'int', nullable: false }, up: 'v * 2 + 1' } }] }));
      await xc.apply();
      expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM blobs WHERE w = v * 2 + 1`)).rows[0]!.n).toBe(300);
      expect((await db.query<{ done: number }>(`SELECT done::int AS done FROM xc.backfill`)).rows).toEqual([{ done: 300 }]);
    } finally {
      await xc.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A row `up` cannot convert (bad JSON under a text → jsonb change, a 0 under `100 / b`): the backfill stops at it and
 * names it, but until then the old version's writes of that row's other columns go on. Campaign BN: from expand on,
 * every update of such a row failed in the trigger — an ORM's save of a nickname, a bulk UPDATE touching the row — for
 * a value the write had not touched. A write of a value `up` cannot convert is still refused, as plan says. Both
 * servers, with an old-version writer updating every row (the bad one included) from before the expand to after.
 */
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets } from '../helpers/targets.js';
import { rejection, setup, toContracted, type Setup } from '../helpers/scenario.js';
import { Writer } from '../helpers/writers.js';

const ROWS = 40;
const BAD = 7;

/** Apply (which may stop at the bad row) while the old version updates `note` of every row in turn. */
async function applyWhileNotesChange(s: Setup): Promise<{ writer: Writer; applied: Error | undefined }> {
  const writer = new Writer(await s.db.connection(), (i) => ({ sql: 'UPDATE items SET note = ? WHERE id = ?', params: [`w${i}`, (i % ROWS) + 1] }), 1).start();
  await new Promise((r) => setTimeout(r, 100));
  const applied = await s.xc.apply().then(() => undefined, (err: Error) => err);
  // Past the bad row twice more after the apply ended, the triggers in place.
  const after = writer.writes + writer.errors.length + 2 * ROWS;
  while (writer.writes + writer.errors.length < after) await new Promise((r) => setTimeout(r, 20));
  await writer.stop();
  return { writer, applied };
}

for (const target of targets) {
  const pg = target.name === 'postgres';
  target.describe(`rows up cannot convert (${target.name})`, () => {
    it("addColumn with up: the old version's updates of another column of a row up fails on go on; a write making up fail is refused; fixed, the apply converges", async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, b int, note varchar(20))`], 'xc_unconv');
      await s.db.seed('items', ['id', 'b', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1 === BAD ? 0 : i + 1, 'n']));
      await s.write('0001_ratio', { addColumn: { table: 'items', column: { name: 'ratio', type: 'decimal(12,2)', nullable: true }, up: '100.0 / b' } });
      const { writer, applied } = await applyWhileNotesChange(s);
      expect(writer.errors).toEqual([]);
      // PostgreSQL's backfill stops at the row; MariaDB's (strict, ERROR_FOR_DIVISION_BY_ZERO) leaves it NULL, its test reading NULL.
      if (pg) expect(applied?.message).toMatch(new RegExp(`stopped at the row id=${BAD}: division by zero`));
      else expect(applied).toBeUndefined();
      // The write itself making `up` fail: refused, as before.
      expect((await rejection(s.db.query('UPDATE items SET b = 0 WHERE id = 2'))).message).toMatch(/division by (zero|0)/i);
      await s.db.query('UPDATE items SET b = 4 WHERE id = ?', [BAD]);
      await toContracted(s, '0001_ratio');
      const rows = await s.db.query<{ id: number; b: number; ratio: string | null }>('SELECT id, b, ratio FROM items ORDER BY id');
      expect(rows).toHaveLength(ROWS);
      const wrong = rows.filter((r) => Number(r.ratio) !== Math.round((100 / r.b) * 100) / 100);
      expect(wrong).toEqual([]);
      // Filled once fixed: by the resumed backfill (PostgreSQL), by the trigger on the fixing update (MariaDB).
      expect(Number(rows[BAD - 1]!.ratio)).toBe(25);
    });

    it("a value too long for the new column: the old version's other updates go on, the row stays unfilled (not cut: campaign BO kept 'toolo' on MariaDB) until the backfill stops at it; fixed, it converges", async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, s varchar(30), note varchar(20))`], 'xc_unconv');
      await s.db.seed('items', ['id', 's', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1 === BAD ? 'toolongvalue' : `s${i + 1}`, 'n']));
      await s.write('0001_code', { addColumn: { table: 'items', column: { name: 'code', type: 'varchar(5)', nullable: true }, up: 's' } });
      const { writer, applied } = await applyWhileNotesChange(s);
      expect(writer.errors).toEqual([]);
      expect(applied?.message).toMatch(new RegExp(`stopped at the row id=${BAD}: .*(too long|Data too long)`, 'i'));
      // Unfilled, as the trigger found it: never a cut value the backfill's test would take for filled.
      expect(await s.db.query(`SELECT code FROM items WHERE id = ${BAD}`)).toEqual([{ code: null }]);
      await s.db.query(`UPDATE items SET s = 'short' WHERE id = ?`, [BAD]);
      await toContracted(s, '0001_code');
      const rows = await s.db.query<{ s: string; code: string }>('SELECT s, code FROM items ORDER BY id');
      expect(rows.filter((r) => r.code !== r.s)).toEqual([]);
    });

    it("addColumn of a JSON column over text that is no JSON: the old version's other updates go on (MariaDB: JSON_VALID checked after the trigger, campaign BU); fixed, it converges", async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, payload text, note varchar(20))`], 'xc_unconv');
      await s.db.seed('items', ['id', 'payload', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1 === BAD ? 'notjson' : `[${i + 1}]`, 'n']));
      await s.write('0001_doc', { addColumn: { table: 'items', column: { name: 'doc', type: 'json', nullable: true }, up: pg ? 'CAST(payload AS json)' : 'payload' } });
      const { writer, applied } = await applyWhileNotesChange(s);
      expect(writer.errors).toEqual([]);
      expect(applied?.message).toMatch(new RegExp(`stopped at the row id=${BAD}: .*(invalid input syntax for type json|CONSTRAINT .*doc.* failed)`, 'i'));
      // MariaDB's 4025 by its own name, not mysql2's MySQL one (campaign BU: ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE).
      expect((applied as { details?: { code?: unknown } }).details?.code).toBe(pg ? '22P02' : 'ER_CONSTRAINT_FAILED');
      expect(await s.db.query(`SELECT doc FROM items WHERE id = ${BAD}`)).toEqual([{ doc: null }]);
      // A mixed multi-row update of other columns goes on too; one writing text that is no JSON is refused.
      await s.db.query(`UPDATE items SET note = 'bulk' WHERE id BETWEEN ${BAD - 2} AND ${BAD + 2}`);
      expect((await rejection(s.db.query(`UPDATE items SET payload = '{also bad' WHERE id = 2`))).message).toMatch(/invalid input syntax for type json|CONSTRAINT .*doc.* failed/i);
      await s.db.query(`UPDATE items SET payload = '[${BAD}]' WHERE id = ?`, [BAD]);
      await toContracted(s, '0001_doc');
      const rows = await s.db.query<{ id: number; payload: string; doc: unknown; note: string }>('SELECT id, payload, doc, note FROM items ORDER BY id');
      const docText = (d: unknown) => (typeof d === 'string' ? d : JSON.stringify(d)).replace(/\s/g, '');
      expect(rows.filter((r) => docText(r.doc) !== r.payload)).toEqual([]);
      expect(rows.filter((r) => r.id >= BAD - 2 && r.id <= BAD + 2).map((r) => r.note)).toEqual(Array(5).fill('bulk'));
    });

    it('a bad last row: every batch before it fills its rows and the backfill stops naming it — up is read only in a batch\'s own rows (PostgreSQL orders a WHERE by cost: the cast ran before a key list, over the whole table)', async () => {
      const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, payload text, note varchar(20))`], 'xc_unconv');
      await s.db.seed('items', ['id', 'payload', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1 === ROWS ? 'notjson' : `[${i + 1}]`, 'n']));
      await s.write('0001_doc', { addColumn: { table: 'items', column: { name: 'doc', type: 'json', nullable: true }, up: pg ? 'CAST(payload AS json)' : 'payload' } });
      const xc = createXc({ url: s.db.url, dir: s.dir, batchSize: 10, parallel: 1 });
      try {
        const err = await rejection(xc.apply());
        expect(err.message).toMatch(new RegExp(`stopped at the row id=${ROWS}: `));
      } finally {
        await xc.close();
      }
      // Batches of 10: the three before the bad row's are in; its own wrote nothing.
      expect(await s.db.count(`SELECT count(*) FROM items WHERE doc IS NOT NULL`)).toBe(ROWS - 10);
    });

    if (pg) {
      it("alterColumn in place, text → jsonb over a row of bad JSON: the old version's updates of its other columns go on; fixed, the apply resumes and contracts", async () => {
        const s = await setup(target, [`CREATE TABLE items (id int PRIMARY KEY, doc text, note varchar(20))`], 'xc_unconv');
        await s.db.seed('items', ['id', 'doc', 'note'], Array.from({ length: ROWS }, (_, i) => [i + 1, i + 1 === BAD ? '{bad' : `{"n": ${i + 1}}`, 'n']));
        await s.write('0001_doc', { alterColumn: { table: 'items', column: 'doc', type: 'jsonb', up: 'CAST(doc AS jsonb)' } });
        const { writer, applied } = await applyWhileNotesChange(s);
        expect(writer.errors).toEqual([]);
        expect(applied?.message).toMatch(new RegExp(`stopped at the row id=${BAD}: invalid input syntax for type json`));
        expect((await rejection(s.db.query(`UPDATE items SET doc = '{also bad' WHERE id = 2`))).message).toMatch(/invalid input syntax for type json/);
        await s.db.query(`UPDATE items SET doc = '{"n": ${BAD}}' WHERE id = ?`, [BAD]);
        await toContracted(s, '0001_doc');
        const rows = await s.db.query<{ id: number; n: number; note: string }>(`SELECT id, (doc->>'n')::int AS n, note FROM items ORDER BY id`);
        expect(rows.map((r) => r.n)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
        expect(rows.filter((r) => !/^w\d+$/.test(r.note))).toEqual([]); // every row's note written by the old version
        expect((await s.db.columns('items')).find((c) => c.name === 'doc')?.type).toBe('jsonb');
      });
    }
  });
}

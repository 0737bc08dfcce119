/**
 * Well-formed migrations with hostile content, generated from a seed: names
 * holding quotes, backticks, dollar quotes, comment starts, NUL, unicode,
 * reserved words, names at the 63/64-byte boundary in multi-byte characters,
 * names of what exists (the canary, xc's own tables); types with statements,
 * comments or constraints after them; `up`/`down`/`where`/`check`/`default`
 * expressions that try to leave their statement or transaction, read or
 * write other tables, or are volatile.
 *
 * Every input is either done exactly as written — each name it creates is in
 * the catalog byte for byte, a literal `up` is the value of every row — and
 * then rolled back to the schema it started from, or refused (exit 2) with
 * nothing changed; or, for a value only some rows cannot take, its backfill
 * stops naming the row (exit 1) and it rolls back to that schema. `plan` changes nothing in any case, and no input may touch
 * the canary's rows.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Conn, Dialect } from '../db.js';
import { changed, type Catalog } from './catalog.js';
import { call, cliMessage, inputDb, jsonProblems, runXc, sample, tempDir, withXc, type ClassContext } from './common.js';

type Expect =
  | { table: string }
  | { column: [table: string, name: string]; plain?: boolean }
  | { index: [table: string, name: string] }
  | { constraint: [table: string, name: string] }
  /** Every row of the table holds exactly this value in that column. */
  | { values: [table: string, column: string, value: string] };

export interface HostileInput {
  what: string;
  operation: Record<string, unknown>;
  /** What a successful apply must have made. */
  expect: Expect[];
  /**
   * An expression calls something that writes (the canary's `canary_evil()`, a DELETE): trusted SQL, which
   * `apply` runs as written (README, security) — so the canary may change at apply, and never at `plan`.
   */
  writes: boolean;
}

export const TARGET_DDL = [`CREATE TABLE target (id int PRIMARY KEY, name varchar(40), n int)`, `INSERT INTO target (id, name, n) VALUES (1, 'ada', 1), (2, 'bob; --', 2), (3, NULL, 3)`];

const NAME_PIECES = ['"', "'", '`', '$$', '$xc$', '$1', '?', ';', '--', '/*', '*/', '\\', ' ', '\t', '\n', '%s', ':x', '.', ',', '(', ')', 'é', 'ß', 'İ', '🙂', 'e\u0301', '\u202e', '\u200b', '\u0000', ' DROP TABLE canary', 'select', 'order'];
/** Whole names: reserved words, names of what exists, and the 63/64-byte boundary in 1-, 2- and 4-byte characters. */
const WHOLE_NAMES = [
  'select', 'order', 'user', 'group', 'table', 'from', 'NULL', 'xc', 'xc_migrations', 'xc_events', 'migrations', 'canary', 'CANARY', 'canary_seq', 'target', 'Target', 'TARGET',
  ' ', 'a ', ' a', '"', "'", '`', '$xc$', '$$', '\\', '\u0000', 'x\u0000y',
  'x'.repeat(63), 'x'.repeat(64), `${'é'.repeat(31)}x`, 'é'.repeat(32), `${'🙂'.repeat(15)}abc`, '🙂'.repeat(16), `${'x'.repeat(61)}é`, `${'x'.repeat(62)}é`,
];

const TYPES = [
  'varchar(200)', 'text', 'character varying(200)', 'int', 'bigint', 'integer', 'INT', 'double precision', 'numeric(10,2)', 'json', 'jsonb', 'uuid', 'int[]', 'serial', 'canary', '"int"',
  'int; DROP TABLE canary; --', 'int); DROP TABLE canary; --', 'varchar(200)) ; DROP TABLE canary; --', 'int /* comment */', 'int -- comment', 'int /* unterminated', 'int NOT NULL', 'int DEFAULT 7', 'int CHECK (false)',
  'int REFERENCES canary (id)', 'int PRIMARY KEY', 'int UNIQUE', 'int GENERATED ALWAYS AS (1) STORED', 'int, extra int', 'varchar(10) COLLATE "C"', 'varchar(10) CHARACTER SET latin1', "enum('a','b')",
  "enum('a'); DROP TABLE canary; --", 'int\u0000', 'in t', 'varchar(99999999)', 'numeric(1000,2)', 'varchar(0)', 'varchar', 'char(300)', '$$int$$', '',
];

/** Literal values an `up` may carry: the rows must hold exactly these (no backslash: MySQL reads it as an escape). */
const VALUES = ["it's", '; DROP TABLE canary; --', '/* x', '*/', '$$', '$xc$', "$xc$ || 'x' || $xc$", '?', '$1', ':x', '%s', 'é🙂', '"', '`', 'a\nb', '--', '', "'); DROP TABLE canary; --"];
const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;

const ESCAPES = [
  '1); DROP TABLE canary; --', '1; DROP TABLE canary', '1; COMMIT; DROP TABLE canary; SELECT 1', 'true) LIMIT 0; COMMIT; DROP TABLE canary; SELECT (1', "'x'); DROP TABLE canary; --",
  "'x' -- a trailing comment", "'x' /* unterminated", "'unterminated", '"unterminated', '$$ unterminated', '$xc$ || 1', "'a' $xc$", '(((', ')))', '1 \\; DROP TABLE canary', ';', '--', '/*',
  '(SELECT v FROM canary WHERE id = 1)', '(SELECT count(*) FROM canary)', 'canary_evil()', '(SELECT canary_evil())', '(SELECT v FROM canary WHERE canary_evil() = 1 LIMIT 1)',
  "(WITH d AS (DELETE FROM canary RETURNING id) SELECT 'x')", "nextval('canary_seq')", 'NEXTVAL(canary_seq)', 'random()', 'RAND()', 'now()', 'UUID()', 'pg_sleep(0)', 'SLEEP(0)',
  "set_config('search_path', 'pg_catalog', false)", "@x := 'y'", "'{\"a\":1}'::jsonb ? 'a'", "name || ';'", "CONCAT(name, ';')", 'name', 'n * 2', 'NULL', 'n > 0', 'true',
];

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** apply's exit 1 for a value only some rows cannot take (`CONCAT(name, ';')` into an int): the row named, the migration left to roll back. */
const STOPPED_AT_ROW = /backfill of ".*" stopped at the row \S+=/;

function name(rnd: () => number, i: number): string {
  const r = rnd();
  if (r < 0.35) return pick(rnd, WHOLE_NAMES);
  const a = pick(rnd, NAME_PIECES);
  return r < 0.7 ? `h${i}${a}` : `${a}h${i}${pick(rnd, NAME_PIECES)}`;
}

function expression(rnd: () => number): { text: string | { postgres: string; mysql: string }; value?: string } {
  const r = rnd();
  if (r < 0.35) {
    const v = pick(rnd, VALUES);
    return { text: literal(v), value: v };
  }
  if (r < 0.45) return { text: { postgres: pick(rnd, ESCAPES), mysql: pick(rnd, ESCAPES) } };
  return { text: pick(rnd, ESCAPES) };
}

const pkColumn = { name: 'id', type: 'int', primaryKey: true, nullable: false };

/** The `i`-th input; the same `rnd` state gives the same input. */
function hostile(rnd: () => number, i: number): Omit<HostileInput, 'writes'> {
  const template = pick(rnd, ['createTable', 'createTable', 'addColumn', 'addColumn', 'addColumnDefault', 'renameColumn', 'renameTable', 'addIndex', 'addCheck', 'alterColumn', 'setNotNull'] as const);
  const n = name(rnd, i);
  const cleanType = rnd() < 0.6;
  const type = cleanType ? 'varchar(200)' : pick(rnd, TYPES);
  const e = expression(rnd);
  const show = (x: unknown) => String(JSON.stringify(x)).slice(0, 120);
  switch (template) {
    case 'createTable': {
      const col = name(rnd, i);
      const twin = rnd() < 0.2 ? [{ name: col.toUpperCase() === col ? col.toLowerCase() : col.toUpperCase(), type: 'int' }] : [];
      const def = rnd() < 0.3 ? { default: typeof e.text === 'string' ? e.text : e.text.postgres } : {};
      const columns = [pkColumn, { name: col, type, ...def }, ...twin];
      return {
        what: `createTable ${show(n)} with column ${show(col)} ${show(type)}${def.default ? ` default ${show(def.default)}` : ''}${twin.length ? ` and ${show(twin[0]!.name)}` : ''}`,
        operation: { createTable: { table: n, columns } },
        expect: [{ table: n }, ...columns.map((c) => ({ column: [n, c.name] as [string, string] }))],
      };
    }
    case 'addColumn': {
      const up = rnd() < 0.85 ? e : undefined;
      return {
        what: `addColumn ${show(n)} ${show(type)} up ${show(up?.text)}`,
        operation: { addColumn: { table: 'target', column: { name: n, type }, ...(up ? { up: up.text } : {}) } },
        expect: [{ column: ['target', n], plain: true }, ...(up?.value !== undefined && cleanType ? [{ values: ['target', n, up.value] as [string, string, string] }] : [])],
      };
    }
    case 'addColumnDefault':
      return {
        what: `addColumn ${show(n)} ${show(type)} default ${show(e.text)}`,
        operation: { addColumn: { table: 'target', column: { name: n, type, default: typeof e.text === 'string' ? e.text : e.text.mysql } } },
        expect: [{ column: ['target', n] }],
      };
    case 'renameColumn':
      return { what: `renameColumn name to ${show(n)}`, operation: { renameColumn: { table: 'target', from: 'name', to: n } }, expect: [{ column: ['target', n] }] };
    case 'renameTable':
      return { what: `renameTable target to ${show(n)}`, operation: { renameTable: { from: 'target', to: n } }, expect: [{ table: n }] };
    case 'addIndex': {
      const where = rnd() < 0.5 ? (typeof e.text === 'string' ? e.text : e.text.postgres) : undefined;
      return {
        what: `addIndex ${show(n)}${where ? ` where ${show(where)}` : ''}`,
        operation: { addIndex: { table: 'target', columns: ['name'], name: n, ...(where ? { where } : {}) } },
        expect: [{ index: ['target', n] }],
      };
    }
    case 'addCheck': {
      const expression = typeof e.text === 'string' ? e.text : e.text.postgres;
      return { what: `addCheck ${show(n)} ${show(expression)}`, operation: { addCheck: { table: 'target', name: n, expression } }, expect: [{ constraint: ['target', n] }] };
    }
    case 'alterColumn': {
      const down = expression(rnd);
      return {
        what: `alterColumn n to ${show(n)} ${show(type)} up ${show(e.text)} down ${show(down.text)}`,
        operation: { alterColumn: { table: 'target', column: 'n', to: n, type, up: e.text, down: down.text } },
        expect: [{ column: ['target', n] }],
      };
    }
    default:
      return { what: `setNotNull name up ${show(e.text)}`, operation: { setNotNull: { table: 'target', column: 'name', up: e.text } }, expect: [] };
  }
}

export function hostileCorpus(rnd: () => number, n: number): HostileInput[] {
  return Array.from({ length: n }, (_, i) => {
    const h = hostile(rnd, i);
    return { ...h, writes: /canary_evil|DELETE/.test(JSON.stringify(h.operation)) };
  });
}

const quote = (d: Dialect, s: string) => (d === 'postgres' ? `"${s.replace(/"/g, '""')}"` : `\`${s.replace(/`/g, '``')}\``);

/** What of `expect` the catalog does not show, byte for byte. */
async function missing(d: Dialect, c: Conn, expect: Expect[]): Promise<string[]> {
  const pg = d === 'postgres';
  const tables = (await c.query<{ t: string }>(pg ? `SELECT relname AS t FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'p')` : `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()`)).map((r) => r.t);
  const columns = await c.query<{ t: string; c: string; nullable: string | boolean; def: string | null }>(
    pg
      ? `SELECT k.relname AS t, a.attname AS c, NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE k.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped`
      : `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, IS_NULLABLE = 'YES' AS nullable, COLUMN_DEFAULT AS def FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()`,
  );
  const indexes = await c.query<{ t: string; i: string }>(
    pg ? `SELECT t.relname AS t, i.relname AS i FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid WHERE t.relnamespace = 'public'::regnamespace` : `SELECT DISTINCT TABLE_NAME AS t, INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()`,
  );
  const constraints = await c.query<{ t: string; k: string }>(
    pg ? `SELECT t.relname AS t, k.conname AS k FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid WHERE t.relnamespace = 'public'::regnamespace` : `SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS k FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`,
  );
  const out: string[] = [];
  for (const e of expect) {
    if ('table' in e && !tables.includes(e.table)) out.push(`no table ${JSON.stringify(e.table)} (tables: ${JSON.stringify(tables)})`);
    if ('column' in e) {
      const col = columns.find((r) => r.t === e.column[0] && r.c === e.column[1]);
      if (!col) out.push(`no column ${JSON.stringify(e.column[1])} on ${JSON.stringify(e.column[0])} (it has ${JSON.stringify(columns.filter((r) => r.t === e.column[0]).map((r) => r.c))})`);
      // Added nullable without a default, as the file says: a type that smuggled in NOT NULL or DEFAULT shows here.
      else if (e.plain && (!Number(col.nullable) || (col.def !== null && col.def !== 'NULL'))) out.push(`column ${JSON.stringify(e.column[1])} is ${Number(col.nullable) ? '' : 'NOT NULL '}with default ${col.def}: the file declared neither`);
    }
    if ('index' in e && !indexes.some((r) => r.t === e.index[0] && r.i === e.index[1])) out.push(`no index ${JSON.stringify(e.index[1])} on ${JSON.stringify(e.index[0])}`);
    // MySQL/MariaDB cannot add a check unvalidated: until contract it is enforced by xc's triggers, not a constraint.
    if ('constraint' in e && pg && !constraints.some((r) => r.t === e.constraint[0] && r.k === e.constraint[1])) out.push(`no constraint ${JSON.stringify(e.constraint[1])} on ${JSON.stringify(e.constraint[0])}`);
    if ('values' in e) {
      const [t, col, v] = e.values;
      const got = (await c.query<{ v: unknown }>(`SELECT ${quote(d, col)} AS v FROM ${quote(d, t)}`)).map((r) => r.v);
      const wrong = got.filter((x) => x !== v);
      if (wrong.length) out.push(`${wrong.length} of ${got.length} rows of ${JSON.stringify(t)}.${JSON.stringify(col)} hold ${JSON.stringify(wrong[0])}, not the literal's ${JSON.stringify(v)}`);
    }
  }
  return out;
}

/**
 * Each input through plan, apply and (when applied) rollback, in-process,
 * against one database that keeps what earlier inputs left in xc's state;
 * a sample's `plan --json` also through the CLI, which must agree.
 */
export async function runHostileInputs(ctx: ClassContext, n: number, cliCount: number): Promise<void> {
  const corpus = hostileCorpus(ctx.rnd, n);
  const viaCli = sample(ctx.rnd, n, cliCount);
  const db = await inputDb(ctx.server, `xc_in_hostile_${ctx.round}`, TARGET_DDL);
  try {
    for (const [index, input] of corpus.entries()) {
      if (ctx.only !== undefined && index !== ctx.only) continue;
      ctx.starting(index, input.what);
      const t = await tempDir('xc-in-hostile-');
      const problems: string[] = [];
      let outcome = '';
      let broken = false;
      try {
        await writeFile(path.join(t.dir, `h${String(index).padStart(4, '0')}.json`), JSON.stringify({ operations: [input.operation] }));
        const before = await db.catalog();
        const expectSame = async (after: string, parts?: (keyof Catalog)[]) => {
          const diff = changed(before, await db.catalog(), parts);
          for (const p of diff) problems.push(`${after}: ${p}`);
          broken ||= diff.length > 0;
        };
        await withXc({ url: db.url, dir: t.dir, allowMissing: true }, async (xc) => {
          const plan = await call(() => xc.plan());
          await expectSame(`plan (exit ${plan.code})`);
          if (plan.code !== 0 && plan.code !== 2) problems.push(`plan: exit ${plan.code}: ${plan.message.slice(0, 400)}`);
          if (viaCli.has(index)) {
            const r = await runXc(['plan', '--json', '--allow-missing', '--url', db.url, '--dir', t.dir]);
            problems.push(...jsonProblems(r, plan.code === 0));
            if (r.code !== plan.code) problems.push(`cli plan: exit ${r.code} where the library's plan gave ${plan.code}: ${cliMessage(r).slice(0, 300)}`);
            await expectSame(`cli plan (exit ${r.code})`);
          }
          const apply = await call(() => xc.apply());
          outcome = `plan ${plan.code}, apply ${apply.code}`;
          if (apply.code === 2) return expectSame('apply (exit 2)');
          if (apply.code === 1 && STOPPED_AT_ROW.test(apply.message)) {
            // A value only some rows cannot take (README, "What validation refuses"): the backfill names the row, and rollback undoes.
            const rollback = await call(() => xc.rollback());
            outcome += `, stopped at a row, rollback ${rollback.code}`;
            if (rollback.code !== 0) problems.push(`rollback after the backfill stopped at a row: exit ${rollback.code}: ${rollback.message.slice(0, 400)}`);
            return expectSame('rollback after the backfill stopped at a row', input.writes ? ['schema'] : ['schema', 'canary']);
          }
          if (apply.code !== 0) {
            problems.push(`apply: exit ${apply.code}, expected 0 or 2: ${apply.message.slice(0, 400)}`);
            return expectSame(`apply (exit ${apply.code})`);
          }
          if (plan.code !== 0) problems.push(`apply did what plan refused: ${plan.message.slice(0, 300)}`);
          for (const m of await missing(ctx.dialect, db.conn, input.expect)) problems.push(`after apply: ${m}`);
          if (!input.writes) await expectSame('apply', ['canary']);
          const rollback = await call(() => xc.rollback());
          outcome += `, rollback ${rollback.code}`;
          if (rollback.code !== 0) problems.push(`rollback: exit ${rollback.code}: ${rollback.message.slice(0, 400)}`);
          // The sequence may have moved (an `up` calling nextval ran); the schema and the canary are back as they were.
          await expectSame('rollback', input.writes ? ['schema'] : ['schema', 'canary']);
        });
      } catch (err) {
        problems.push(`the check itself failed: ${String((err as Error)?.stack ?? err).slice(0, 600)}`);
        broken = true;
      } finally {
        await t.remove();
      }
      // Whatever a violation left behind must not spoil the inputs after it.
      if (broken || problems.length || input.writes) await db.reset();
      ctx.record({ cls: 'hostile', index, what: input.what, outcome, problems, cli: viaCli.has(index) });
    }
  } finally {
    await db.drop();
  }
}

/**
 * Runs one scenario on one database through the library: builds and seeds
 * the starting schema, writes each migration file when its turn comes, runs
 * the commands the schedule says with the old and the new version writing
 * during and between them, passes the gate the way a pipeline does
 * (`deploy.record` at the migration's level, then `contract`), and checks the
 * invariants after every command. Throws a `FuzzFailure` naming the command,
 * the migration and what broke.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createXc, exitCodeOf, type Xc } from '../../src/index.js';
import type { Db } from '../helpers/targets.js';
import type { Queryable } from '../helpers/writers.js';
import { DataModel } from './data.js';
import { cancel, enforce, verdict } from './enforced.js';
import type { Scenario } from './generator.js';
import { checkData, checkFinalSchema, dumpDiff, schemaDump } from './invariants.js';
import { checkExpr, cloneSchema, defaultSql, endMigration, migrationJson, project, type GenMigration, type SchemaDef, type Value } from './model.js';
import { rng, valueFor, VersionWriter } from './writers.js';

export interface Stats {
  sequences: number;
  commands: number;
  rowsChecked: number;
  writes: number;
  /** InnoDB deadlocks between the versions' writers, retried (VersionWriter). */
  deadlocksRetried?: number;
  refused: number;
  /** Refused migrations by reason (the operation and the first words of what was wrong). */
  refusals: Record<string, number>;
  /** Operations of the migrations that passed plan, by kind (alterColumn carrying a constraint: alterConstraint). */
  applied?: Record<string, number>;
  notes: string[];
}

export class FuzzFailure extends Error {}

export const idOf = (i: number) => `000${i + 1}_m`;

/**
 * `keyed`: whether a table's key draws from a sequence of its own (DEFAULT nextval): the writers give their ids, but
 * MariaDB opens the sequence with the table, which a step holding LOCK TABLES must lock too (mysql/sequences.ts).
 */
async function createSchema(db: Db, s: SchemaDef, random: () => number, keyed: () => boolean, keyedNames: Set<string>): Promise<Map<string, Record<string, Value>[]>> {
  const q = (id: string) => (db.dialect === 'postgres' ? `"${id}"` : `\`${id}\``);
  const rows = new Map<string, Record<string, Value>[]>();
  for (const t of s.tables) {
    const cols = t.columns.map((c) => `${q(c.name)} ${c.type}${c.nullable ? '' : ' NOT NULL'}${c.default !== undefined ? ` DEFAULT ${defaultSql(c.default)}` : ''}`);
    const cons = [
      ...t.checks.map((k) => `CONSTRAINT ${q(k.name)} CHECK (${checkExpr(t.columns.find((c) => c.name === k.column)!)})`),
      ...t.fks.map((k) => `CONSTRAINT ${q(k.name)} FOREIGN KEY (${q(k.column)}) REFERENCES ${q(k.refTable)} (id)`),
      ...(t.multi ?? []).map((k) => `CONSTRAINT ${q(k.name)} ${k.kind === 'check' ? `CHECK (${k.columns.map(q).join(' + ')} <= ${k.sum})` : `UNIQUE (${k.columns.map(q).join(', ')})`}`),
    ];
    const sequence = keyed() ? `${t.name}_ids` : undefined;
    if (sequence) await db.query(`CREATE SEQUENCE ${q(sequence)} START WITH 1000000`);
    if (sequence) keyedNames.add(t.name);
    const key = sequence ? ` DEFAULT ${db.dialect === 'postgres' ? `nextval('${q(sequence)}')` : `nextval(${q(sequence)})`}` : '';
    await db.query(`CREATE TABLE ${q(t.name)} (id int PRIMARY KEY${key}${cols.map((c) => `, ${c}`).join('')}${cons.map((c) => `, ${c}`).join('')})`);
    for (const i of t.indexes) await db.query(`CREATE INDEX ${q(i.name)} ON ${q(t.name)} (${i.columns.map(q).join(', ')})`);
    const n = 12 + Math.floor(random() * 9);
    const data = Array.from({ length: n }, (_, k) => ({ id: k + 1, ...Object.fromEntries(t.columns.map((c) => [c.name, valueFor(c, random)])) }) as Record<string, Value>);
    // Seeded rows meet the constraints over several columns: a sum over the check's bound has its first column set
    // to 1; a key another row has, its first column set to one no other row has (by the row's id).
    for (const k of t.multi ?? []) {
      const [first] = k.columns as [string];
      const c = t.columns.find((x) => x.name === first)!;
      const seen = new Set<string>();
      for (const r of data) {
        const vals = k.columns.map((x) => r[x] ?? null);
        if (vals.some((v) => v === null)) continue;
        if (k.kind === 'check' && vals.reduce<number>((a, v) => a + Number(v), 0) > k.sum!) r[first] = 1;
        if (k.kind !== 'unique') continue;
        const key = JSON.stringify(vals.map((v) => String(v).toLowerCase()));
        if (seen.has(key)) r[first] = c.type === 'varchar(40)' ? (c.domain === 'digits' ? String(100 + Number(r.id)) : `w${r.id}`) : 100 + Number(r.id);
        seen.add(JSON.stringify(k.columns.map((x) => String(r[x]).toLowerCase())));
      }
    }
    await db.seed(t.name, ['id', ...t.columns.map((c) => c.name)], data.map((r) => Object.values(r)));
    rows.set(t.name, data);
  }
  return rows;
}

/** A draw of its own (the data's and the scenario's stay as they were for a seed): about one table in four keyed by a sequence. */
const keyedTables = (seed: number) => {
  const draw = rng(seed ^ 0x5e9);
  return () => draw() < 0.25;
};

/** Runs the scenario; returns normally when every invariant held. */
export async function runScenario(db: Db, sc: Scenario, stats: Stats): Promise<void> {
  const random = rng(sc.dataSeed);
  const keyed = new Set<string>();
  const model = new DataModel(sc.schema, await createSchema(db, sc.schema, random, keyedTables(sc.dataSeed), keyed), db.dialect);
  const dir = await mkdtemp(path.join(tmpdir(), 'xc-fuzz-'));
  const xc = createXc({ url: db.url, dir, batchSize: 4, lockRetryForMs: 30000, actor: 'fuzz' });
  const run = new Run(db, sc, model, xc, dir, random, stats, keyed);
  try {
    await run.all();
  } finally {
    await xc.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

class Run {
  /** Views: the schema each version sees (index = how many migrations it was built with). */
  private views: SchemaDef[];
  private applied = 0;
  private contracted = 0;
  private backfilledUpTo = 0;
  private baseDump: string[] = [];
  private readonly conns: (Queryable | undefined)[] = [];

  constructor(
    private readonly db: Db,
    private readonly sc: Scenario,
    private readonly model: DataModel,
    private readonly xc: Xc,
    private readonly dir: string,
    private readonly random: () => number,
    private readonly stats: Stats,
    /** Tables whose key draws from a sequence. */
    private readonly keyed: ReadonlySet<string>,
  ) {
    this.views = [cloneSchema(sc.schema)];
    for (const m of sc.migrations) {
      const v = cloneSchema(this.views.at(-1)!);
      for (const op of m.operations) project(v, op);
      endMigration(v);
      this.views.push(v);
    }
  }

  private fail(what: string, details: string[] = []): never {
    throw new FuzzFailure([what, ...details.map((d) => `  ${d}`)].join('\n'));
  }

  private async writer(level: number, parity: 0 | 1, racing: number[] = []): Promise<VersionWriter> {
    const label = `${parity === 0 ? 'old' : 'new'} version (level ${level ? idOf(level - 1) : 'none'})`;
    // One connection per version for the whole scenario (each writer runs its writes one after another).
    this.conns[parity] ??= await this.db.connection();
    return new VersionWriter(label, this.conns[parity]!, this.db.dialect, this.model, this.views[level]!, parity, rng(Math.floor(this.random() * 2 ** 31)), new Set(racing));
  }

  /** The writers live in this phase: the old version (below the oldest in flight), and the newest one that can run (from its migration's dual_write). */
  private async writers(opts: { racing?: number[]; old?: boolean; new?: boolean } = {}): Promise<VersionWriter[]> {
    const ws: VersionWriter[] = [];
    if (opts.old !== false) ws.push(await this.writer(this.contracted, 0, opts.racing));
    if (opts.new !== false && this.backfilledUpTo > this.contracted) ws.push(await this.writer(this.backfilledUpTo, 1, opts.racing));
    return ws;
  }

  /**
   * A command with writers running during it, then the invariants. `after` tells the model what the command did once
   * the writers have stopped: a write is recorded when it returns, and one that ran while a contract still had its
   * triggers may return after the command did.
   */
  private async command<T>(name: string, ws: VersionWriter[], fn: () => Promise<T>, after?: (result: T) => void): Promise<T> {
    this.stats.commands++;
    for (const w of ws) w.start();
    let result: T;
    try {
      result = await fn();
    } finally {
      for (const w of ws) await w.stop();
      this.stats.writes += ws.reduce((n, w) => n + w.writes, 0);
    this.stats.deadlocksRetried = (this.stats.deadlocksRetried ?? 0) + ws.reduce((n, w) => n + w.deadlocksRetried, 0);
    }
    after?.(result);
    const errors = ws.flatMap((w) => w.errors);
    if (errors.length) this.fail(`${name}: a write the running version may make failed`, errors.slice(0, 5));
    await this.check(name);
    return result;
  }

  private async check(after: string): Promise<void> {
    const { problems, rows } = await checkData(this.db, this.model);
    this.stats.rowsChecked += rows;
    if (problems.length) this.fail(`after ${after}: the data is not what the writes and the migrations make it`, problems);
  }

  /** Writes between commands, by the versions that are live now. */
  private async between(): Promise<void> {
    const ws = await this.writers();
    for (const w of ws) await w.some(3);
    this.stats.writes += ws.reduce((n, w) => n + w.writes, 0);
    this.stats.deadlocksRetried = (this.stats.deadlocksRetried ?? 0) + ws.reduce((n, w) => n + w.deadlocksRetried, 0);
    const errors = ws.flatMap((w) => w.errors);
    if (errors.length) this.fail('between commands: a write the running version may make failed', errors.slice(0, 5));
  }

  async all(): Promise<void> {
    const { sc } = this;
    this.baseDump = await schemaDump(this.db);
    // Every operation kind avoided (`--avoid`): nothing to run.
    if (sc.migrations.length === 0) return void this.stats.sequences++;
    const last = sc.end.rollback ? sc.end.at : sc.migrations.length - 1;
    for (let i = 0; i <= last; i++) {
      const m = sc.migrations[i]!;
      const expandOnly = sc.end.rollback && i === sc.end.at && sc.end.atExpand;
      if (!(await this.begin(i, m, sc.schedule[i]!.expandFirst || expandOnly))) break;
      if (!expandOnly) await this.finishApply(i);
      await this.between();
      if (i < last) for (let k = 0; k < sc.schedule[i]!.contractAfter && this.contracted < this.applied && this.backfilledUpTo > this.contracted; k++) await this.contractOne();
    }
    if (sc.end.rollback) await this.rollbackAll();
    else await this.contractAll();
  }

  /** Writes the file and runs the first command on it; false when it was refused (exit 2) — then nothing may have changed. */
  private async begin(i: number, m: GenMigration, expandFirst: boolean): Promise<boolean> {
    const file = path.join(this.dir, `${idOf(i)}.json`);
    await writeFile(file, JSON.stringify(migrationJson(m, `fuzz migration ${i + 1}`, this.db.dialect), null, 2));
    const before = await schemaDump(this.db);
    // What plan must answer for the constraints the migration creates, from the rows there now; writers keep to them
    // from now on (a write racing the build of a unique index would fail it).
    const expected = verdict(this.model, m.operations, this.db.dialect);
    enforce(this.model, i, m.operations, false);
    // The model learns the migration's links once the command returns: writes racing it are made under the links
    // before, and what the new links derive for every row is soft until the backfill.
    // None where plan must refuse: writers keeping to the new constraint could mend the very rows that break it while
    // plan reads them (seed 121: a row's 50 updated to 5 under `alpha <= 9`), and the verdict would no longer hold.
    const ws = expected === 'refuse' ? [] : await this.writers({ new: true });
    try {
      this.stats.commands++;
      for (const w of ws) w.start();
      try {
        await this.xc.apply(expandFirst ? { to: 'expand' } : {});
      } finally {
        for (const w of ws) await w.stop();
      }
    } catch (err) {
      if (exitCodeOf(err) !== 2) this.fail(`apply ${idOf(i)} failed (exit ${exitCodeOf(err)}): ${(err as Error).message}`);
      const diff = dumpDiff(before, await schemaDump(this.db));
      if (diff.length) this.fail(`apply ${idOf(i)} was refused (exit 2) but changed the schema`, [(err as Error).message, ...diff.slice(0, 10)]);
      const phase = (await this.xc.status()).migrations.find((x) => x.id === idOf(i))?.phase;
      if (phase !== 'pending') this.fail(`apply ${idOf(i)} was refused (exit 2) but the state says ${phase}`);
      // MariaDB: an in-place change of a table keyed by a sequence is refused at plan (mysql/sequences.ts: no LOCK TABLES
      // may hold it): a right answer.
      const sequenced = this.db.dialect === 'mysql' && [...this.keyed].some((t) => (err as Error).message.includes(`of \`${t}\` draws from sequence`));
      if (!m.conflict && expected === 'pass' && !sequenced) this.fail(`apply ${idOf(i)} refused a plausible migration (exit 2): ${(err as Error).message}`);
      cancel(this.model, i);
      this.stats.refused++;
      const reason = /operations\[\d+\]\.(\w+)[^:]*: (.{0,48})/.exec((err as Error).message);
      const key = reason ? `${reason[1]}: ${reason[2]}` : (err as Error).message.slice(0, 60);
      this.stats.refusals[key] = (this.stats.refusals[key] ?? 0) + 1;
      await unlink(file);
      this.views = this.views.slice(0, i + 1);
      await this.check(`refused apply of ${idOf(i)}`);
      return false;
    }
    const errors = ws.flatMap((w) => w.errors);
    this.stats.writes += ws.reduce((n, w) => n + w.writes, 0);
    this.stats.deadlocksRetried = (this.stats.deadlocksRetried ?? 0) + ws.reduce((n, w) => n + w.deadlocksRetried, 0);
    if (errors.length) this.fail(`apply ${idOf(i)}: a write the running version may make failed`, errors.slice(0, 5));
    if (expected === 'refuse') this.fail(`apply ${idOf(i)} passed plan, yet existing rows break a constraint it creates (or it asks what xc refuses): plan must refuse it (exit 2)`);
    this.model.expand(i, m.operations);
    this.applied = i + 1;
    for (const op of m.operations) {
      const kind = Object.keys(op)[0]!;
      this.stats.applied ??= {};
      this.stats.applied[kind] = (this.stats.applied[kind] ?? 0) + 1;
    }
    if (!expandFirst) this.markBackfilled(i);
    await this.check(`apply${expandFirst ? ' --to expand' : ''} of ${idOf(i)}`);
    await this.phaseIs(i, expandFirst ? 'dual_write' : 'backfilled');
    return true;
  }

  private markBackfilled(i: number): void {
    this.model.backfilled(i);
    this.backfilledUpTo = i + 1;
  }

  private async phaseIs(i: number, phase: string): Promise<void> {
    const got = (await this.xc.status()).migrations.find((x) => x.id === idOf(i))?.phase;
    if (got !== phase) this.fail(`${idOf(i)} is ${got}, expected ${phase}`);
  }

  private async finishApply(i: number): Promise<void> {
    if (this.backfilledUpTo > i) return;
    await this.between();
    // The previous version is live beside the old one while this migration is backfilled.
    const ws = await this.writers();
    await this.command(`apply of ${idOf(i)} (backfill)`, ws, async () => {
      try {
        await this.xc.apply();
      } catch (err) {
        this.fail(`apply (backfill) of ${idOf(i)} failed (exit ${exitCodeOf(err)}): ${(err as Error).message}`);
      }
      this.markBackfilled(i);
    });
    await this.phaseIs(i, 'backfilled');
  }

  /** The gate as a pipeline passes it: the version at this level is live, the older one retired; then contract. */
  private async contractOne(): Promise<void> {
    const k = this.contracted;
    const id = idOf(k);
    if (k > 0) await this.xc.deploy.retire({ app: 'fuzz', version: `v${k}` });
    await this.xc.deploy.record({ app: 'fuzz', version: `v${k + 1}`, level: id });
    const m = this.sc.migrations[k]!;
    // While the contract removes its triggers, what they derive for a racing write may or may not happen: soft.
    const ws = await this.writers({ old: false, racing: [k] });
    await this.command(
      `contract ${id}`,
      ws,
      async () => {
        try {
          await this.xc.contract({ id });
        } catch (err) {
          await this.noWayOut(k, err);
        }
      },
      () => this.model.contract(k, m.operations),
    );
    this.contracted++;
  }

  /**
   * A contract failed. Acceptable only for a setNotNull without `up` whose column an old writer left NULLs in — and
   * then there must still be a way out: rollback, or contract again once the rows are fixed.
   */
  private async noWayOut(k: number, err: unknown): Promise<void> {
    const m = this.sc.migrations[k]!;
    const message = `contract ${idOf(k)} failed (exit ${exitCodeOf(err)}): ${(err as Error).message}`;
    const nulls = m.operations.flatMap((op) => ('setNotNull' in op && !op.setNotNull.up ? [op.setNotNull] : [])).filter((s) => [...(this.model.resolve(s.table)?.rows.values() ?? [])].some((r) => r.get(s.column)?.v === null));
    if (nulls.length === 0) this.fail(message);
    this.stats.notes.push(`${message} — NULLs from old writers; trying the way out`);
    for (const s of nulls) await this.fillNulls(s.table, s.column);
    try {
      await this.xc.contract({ id: idOf(k) });
    } catch (again) {
      this.fail(`${message}\n  and after the NULLs were fixed, contract failed again (exit ${exitCodeOf(again)}): ${(again as Error).message} — stuck`);
    }
  }

  /**
   * A rollback failed. Acceptable only where it makes a column NOT NULL again (dropNotNull) that the new version
   * wrote NULLs into meanwhile — and then giving those rows a value must let the rollback finish (dropNotNull.ts).
   */
  private async rollbackAfterNulls(from: number, err: unknown): Promise<void> {
    const message = `rollback ${idOf(from)} failed (exit ${exitCodeOf(err)}): ${(err as Error).message}`;
    const nulls = this.model.links.flatMap((l) => (l.kind === 'nullable' && l.m >= from && [...l.table.rows.values()].some((r) => r.get(l.col)?.v === null) ? [l] : []));
    if (nulls.length === 0) this.fail(message);
    this.stats.notes.push(`${message} — NULLs from the new version; trying the way out`);
    for (const l of nulls) await this.fillNulls(l.table.name, l.col);
    try {
      await this.xc.rollback({ id: idOf(from) });
    } catch (again) {
      this.fail(`${message}\n  and after the NULLs were given values, rollback failed again (exit ${exitCodeOf(again)}): ${(again as Error).message} — stuck`);
    }
  }

  /** Gives the rows of `table` whose `column` is NULL a value, in the database and in the model. */
  private async fillNulls(table: string, column: string): Promise<void> {
    const q = (id: string) => (this.db.dialect === 'postgres' ? `"${id}"` : `\`${id}\``);
    const t = this.model.resolve(table)!;
    const fix = valueFor({ ...t.columns.get(column)!, nullable: false }, this.random);
    await this.db.query(`UPDATE ${q(t.name)} SET ${q(column)} = ? WHERE ${q(column)} IS NULL`, [fix]);
    for (const [id, row] of t.rows) if (row.get(column)?.v === null) this.model.write(t, id, { [column]: fix }, new Set());
  }

  private async contractAll(): Promise<void> {
    while (this.contracted < this.applied) {
      if (this.backfilledUpTo <= this.contracted) await this.finishApply(this.contracted);
      await this.contractOne();
    }
    const expected = this.views[this.applied]!;
    const problems = await checkFinalSchema(this.db, expected);
    if (problems.length) this.fail('after contracting everything, the schema is not what the last version expects', problems);
    this.stats.sequences++;
  }

  private async rollbackAll(): Promise<void> {
    if (this.contracted < this.applied) {
      const from = this.contracted;
      // While the rollback removes the triggers, what they derive for a racing write may or may not happen: soft.
      const racing = Array.from({ length: this.applied - from }, (_, k) => from + k);
      const ws = await this.writers({ new: false, racing });
      await this.command(
        `rollback ${idOf(from)}`,
        ws,
        async () => {
          try {
            await this.xc.rollback({ id: idOf(from) });
          } catch (err) {
            await this.rollbackAfterNulls(from, err);
          }
        },
        () => {
          for (let k = this.applied - 1; k >= from; k--) this.model.rollback(k, this.sc.migrations[k]!.operations);
        },
      );
      if (from === 0) {
        const diff = dumpDiff(this.baseDump, await schemaDump(this.db));
        if (diff.length) this.fail('after rolling everything back, the schema is not what it was before the first migration', diff.slice(0, 12));
      }
    }
    this.stats.sequences++;
  }
}

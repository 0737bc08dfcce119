/**
 * The chaos suite's migrations: a small fixed catalogue that together uses
 * every operation of SPEC §3 that xc implements (2–4 per migration, so a
 * scenario stays short). Each entry says what it starts from (tables, seeded
 * rows), what the old and the new application version write (the writers
 * know both shapes), and where each version's rows are, and what they hold,
 * once the migration is contracted or rolled back.
 */
import type { Dialect } from './db.js';

export type Value = string | number | null;
export type Version = 'old' | 'new';
export type Flow = 'contract' | 'rollback';

/** One table an application version writes: the rows it inserts, and the update it makes to each a little later. */
export interface Target {
  table: string;
  insert(id: number): Record<string, Value>;
  update(id: number): Record<string, Value>;
}

/** A row a writer wrote, as it knows it: each column's possible values (two where a statement's fate is unknown). */
export interface WriterRow {
  id: number;
  cols: Record<string, Value[]>;
  /** The insert's fate is unknown: the row may be missing. */
  maybe: boolean;
}

/** Where one version's rows of one target are after a flow, and per column of that table the values each may hold. */
export interface ReadBack {
  table: string;
  columns: Record<string, (r: WriterRow) => Value[]>;
}

export interface SeedTable {
  name: string;
  /** CREATE TABLE, then any index: SQL both servers read alike. */
  ddl: string[];
  columns: string[];
  /** Rows seeded, given --rows. */
  count(rows: number): number;
  row(id: number, rnd: () => number): Value[];
}

export interface ChaosMigration {
  name: string;
  /** The operations it uses, for the report. */
  covers: string[];
  tables: SeedTable[];
  operations(d: Dialect): object[];
  writers: Record<Version, Target[]>;
  /** Per flow and version, one entry per target of that version; undefined where the target's table is gone. */
  after: Record<Flow, Record<Version, (ReadBack | undefined)[]>>;
  /** Tables an application session may hold a lock on while xc works (the blocker kind takes one that exists then). */
  lockable: string[];
}

/** Writer rows start here, so they never meet a seeded row; the new version's above NEW_BASE. */
export const OLD_BASE = 1_000_000;
export const NEW_BASE = 2_000_000;
export const value = (id: number) => (id * 7919) % 1_000_003;

const col = (name: string) => (r: WriterRow) => r.cols[name]!;
const is = (v: Value) => () => [v];
const same = (...names: string[]) => Object.fromEntries(names.map((n) => [n, col(n)]));

/** The table the first catalogue entry always had: an int balance, an owner, a tag, a nullable note. */
const accounts: SeedTable = {
  name: 'accounts',
  ddl: ['CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, owner varchar(100), tag varchar(10), note varchar(20))'],
  columns: ['id', 'balance', 'owner', 'tag', 'note'],
  count: (rows) => rows,
  row: (id, rnd) => [id, Math.floor(rnd() * 2_000_000_000), `o${Math.floor(rnd() * 1e9)}`, `t${Math.floor(rnd() * 10)}`, rnd() < 0.3 ? null : `n${Math.floor(rnd() * 1e6)}`],
};

/** What both versions write to `accounts` when neither renames its columns; `extra` adds the new version's own. */
const accountWriter = (version: Version, balance = 'balance', extra: (id: number) => Record<string, Value> = () => ({})): Target => ({
  table: 'accounts',
  insert: (id) => ({ id, [balance]: 0, owner: `w${id}`, tag: `t${id % 10}`, note: version === 'old' && id % 3 === 0 ? null : `${version[0]}${id}`, ...extra(id) }),
  update: (id) => ({ [balance]: value(id) }),
});

/** The migration the suite started with: a type change with a rename, an index, NOT NULL filled by `up`. */
const retype: ChaosMigration = {
  name: 'retype',
  covers: ['alterColumn', 'addIndex', 'setNotNull'],
  tables: [accounts],
  operations: (d) => [
    { alterColumn: { table: 'accounts', column: 'balance', to: 'balance_big', type: 'bigint', up: 'balance', down: d === 'postgres' ? 'CAST(balance_big AS int)' : 'CAST(balance_big AS SIGNED)' } },
    { addIndex: { table: 'accounts', columns: ['tag'] } },
    { setNotNull: { table: 'accounts', column: 'note', up: "COALESCE(note, 'none')" } },
  ],
  writers: { old: [accountWriter('old')], new: [accountWriter('new', 'balance_big')] },
  after: {
    // Old-version NULL notes are filled with 'none' by the trigger or the backfill; after a rollback the rows the old version wrote once the trigger was gone keep their NULL.
    contract: {
      old: [{ table: 'accounts', columns: { balance_big: col('balance'), ...same('owner', 'tag'), note: (r) => r.cols.note!.map((n) => n ?? 'none') } }],
      new: [{ table: 'accounts', columns: same('balance_big', 'owner', 'tag', 'note') }],
    },
    rollback: {
      old: [{ table: 'accounts', columns: { ...same('balance', 'owner', 'tag'), note: (r) => (r.cols.note![0] === null ? [null, 'none'] : r.cols.note!) } }],
      new: [{ table: 'accounts', columns: { balance: col('balance_big'), ...same('owner', 'tag', 'note') } }],
    },
  },
  lockable: ['accounts'],
};

/**
 * Columns come and go: a NOT NULL column filled by `up` (reading the row) with a default, a column dropped with `down`, a rename.
 * `up` and `down` read columns no writer updates and no other operation syncs (two triggers on one column are refused).
 */
const columns: ChaosMigration = {
  name: 'columns',
  covers: ['addColumn', 'dropColumn', 'renameColumn'],
  tables: [accounts],
  operations: () => [
    { addColumn: { table: 'accounts', column: { name: 'score', type: 'int', nullable: false, default: '0' }, up: 'char_length(tag) * 10' } },
    { dropColumn: { table: 'accounts', column: 'note', down: { postgres: "'d' || id", mysql: "CONCAT('d', id)" } } },
    { renameColumn: { table: 'accounts', from: 'owner', to: 'holder' } },
  ],
  writers: {
    old: [accountWriter('old')],
    // The new version knows score and holder, and no longer writes note.
    new: [
      {
        table: 'accounts',
        insert: (id) => ({ id, balance: 0, holder: `h${id}`, tag: `t${id % 10}`, score: id % 89 }),
        update: (id) => ({ balance: value(id) }),
      },
    ],
  },
  after: {
    contract: {
      old: [{ table: 'accounts', columns: { ...same('balance', 'tag'), holder: col('owner'), score: (r) => r.cols.tag!.map((t) => String(t).length * 10) } }],
      new: [{ table: 'accounts', columns: same('balance', 'holder', 'tag', 'score') }],
    },
    rollback: {
      // `down` fills note on every INSERT that leaves it NULL (README), the old version's own NULLs included while the trigger is there.
      old: [{ table: 'accounts', columns: { ...same('balance', 'owner', 'tag'), note: (r) => (r.cols.note![0] === null ? [null, `d${r.id}`] : r.cols.note!) } }],
      new: [{ table: 'accounts', columns: { ...same('balance', 'tag'), owner: col('holder'), note: (r) => [`d${r.id}`] } }],
    },
  },
  lockable: ['accounts'],
};

/** Tables come and go: one created (the new version writes it), one renamed (both write it, under their names; the new name sorts first, the order in which MariaDB's rollback swap once failed a write through the view), one dropped (the old version writes it). */
const tables: ChaosMigration = {
  name: 'tables',
  covers: ['createTable', 'renameTable', 'dropTable'],
  tables: [
    {
      name: 'events',
      ddl: ['CREATE TABLE events (id int PRIMARY KEY, account_id int NOT NULL, kind varchar(20))'],
      columns: ['id', 'account_id', 'kind'],
      count: (rows) => rows,
      row: (id, rnd) => [id, Math.floor(rnd() * 100_000), rnd() < 0.2 ? null : `k${Math.floor(rnd() * 50)}`],
    },
    {
      name: 'legacy',
      ddl: ['CREATE TABLE legacy (id int PRIMARY KEY, v varchar(20))'],
      columns: ['id', 'v'],
      count: (rows) => Math.ceil(rows / 4),
      row: (id, rnd) => [id, `v${Math.floor(rnd() * 1e6)}`],
    },
  ],
  operations: () => [
    { createTable: { table: 'ledger', columns: [{ name: 'id', type: 'int', primaryKey: true }, { name: 'account_id', type: 'int', nullable: false }, { name: 'amount', type: 'bigint', nullable: false, default: '0' }, { name: 'memo', type: 'varchar(40)' }] } },
    { renameTable: { from: 'events', to: 'activity' } },
    { dropTable: { table: 'legacy' } },
  ],
  writers: {
    old: [
      { table: 'events', insert: (id) => ({ id, account_id: id % 1000, kind: `o${id}` }), update: (id) => ({ kind: `u${value(id)}` }) },
      { table: 'legacy', insert: (id) => ({ id, v: `w${id}` }), update: (id) => ({ v: `u${value(id)}` }) },
    ],
    new: [
      { table: 'activity', insert: (id) => ({ id, account_id: id % 1000, kind: `n${id}` }), update: (id) => ({ kind: `u${value(id)}` }) },
      { table: 'ledger', insert: (id) => ({ id, account_id: id % 1000, amount: id * 3, memo: `m${id}` }), update: (id) => ({ amount: value(id) }) },
    ],
  },
  after: {
    contract: {
      old: [{ table: 'activity', columns: same('account_id', 'kind') }, undefined],
      new: [{ table: 'activity', columns: same('account_id', 'kind') }, { table: 'ledger', columns: same('account_id', 'amount', 'memo') }],
    },
    rollback: {
      old: [{ table: 'events', columns: same('account_id', 'kind') }, { table: 'legacy', columns: same('v') }],
      new: [{ table: 'events', columns: same('account_id', 'kind') }, undefined],
    },
  },
  lockable: ['events', 'activity', 'legacy', 'ledger'],
};

/** Both versions alike: every row references an owner and has a short tag (the foreign key and the check hold). */
const ownedAccountWriter = (version: Version): Target => ({
  table: 'accounts',
  insert: (id) => ({ id, balance: 0, owner_id: 1 + (id % 100), tag: `t${id % 10}`, note: version === 'old' && id % 3 === 0 ? null : `${version[0]}${id}` }),
  update: (id) => ({ balance: value(id) }),
});

/** Constraints and indexes: a foreign key and a check added (validated at contract), a check and an index dropped. */
const constraints: ChaosMigration = {
  name: 'constraints',
  covers: ['addForeignKey', 'addCheck', 'dropConstraint', 'dropIndex'],
  tables: [
    {
      name: 'owners',
      ddl: ['CREATE TABLE owners (id int PRIMARY KEY, name varchar(40))'],
      columns: ['id', 'name'],
      count: () => 100,
      row: (id) => [id, `owner ${id}`],
    },
    {
      name: 'accounts',
      ddl: [
        'CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, owner_id int, tag varchar(10), note varchar(20), CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0))',
        'CREATE INDEX accounts_note_idx ON accounts (note)',
      ],
      columns: ['id', 'balance', 'owner_id', 'tag', 'note'],
      count: (rows) => rows,
      row: (id, rnd) => [id, Math.floor(rnd() * 2_000_000_000), rnd() < 0.1 ? null : 1 + Math.floor(rnd() * 100), `t${Math.floor(rnd() * 10)}`, rnd() < 0.3 ? null : `n${Math.floor(rnd() * 1e6)}`],
    },
  ],
  operations: () => [
    { addForeignKey: { table: 'accounts', columns: ['owner_id'], references: { table: 'owners', columns: ['id'] } } },
    { addCheck: { table: 'accounts', name: 'accounts_tag_short', expression: 'char_length(tag) <= 3' } },
    { dropConstraint: { table: 'accounts', name: 'accounts_balance_nonneg' } },
    { dropIndex: { table: 'accounts', name: 'accounts_note_idx' } },
  ],
  writers: {
    old: [ownedAccountWriter('old')],
    new: [ownedAccountWriter('new')],
  },
  after: {
    contract: { old: [{ table: 'accounts', columns: same('balance', 'owner_id', 'tag', 'note') }], new: [{ table: 'accounts', columns: same('balance', 'owner_id', 'tag', 'note') }] },
    rollback: { old: [{ table: 'accounts', columns: same('balance', 'owner_id', 'tag', 'note') }], new: [{ table: 'accounts', columns: same('balance', 'owner_id', 'tag', 'note') }] },
  },
  lockable: ['accounts', 'owners'],
};

/** The author's own SQL with a batched backfill, beside a column added with a constant default (catalog only). */
const rawSql: ChaosMigration = {
  name: 'sql',
  covers: ['sql', 'addColumn'],
  tables: [accounts],
  operations: () => [
    {
      sql: {
        // Written to be re-run, as raw SQL must be where DDL is not transactional (MySQL): xc cannot see inside it.
        expand: 'ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tag_upper varchar(10)',
        backfill: { table: 'accounts', set: { tag_upper: 'UPPER(tag)' }, where: 'tag_upper IS NULL' },
        // Rows the old version wrote after the backfill passed them get theirs here (the old version is gone by contract).
        contract: 'UPDATE accounts SET tag_upper = UPPER(tag) WHERE tag_upper IS NULL',
        rollback: 'ALTER TABLE accounts DROP COLUMN IF EXISTS tag_upper',
      },
    },
    { addColumn: { table: 'accounts', column: { name: 'flag', type: 'int', nullable: false, default: '1' } } },
  ],
  writers: {
    old: [accountWriter('old')],
    new: [accountWriter('new', 'balance', (id) => ({ tag_upper: `T${id % 10}`, flag: 2 }))],
  },
  after: {
    contract: {
      old: [{ table: 'accounts', columns: { ...same('balance', 'owner', 'tag', 'note'), tag_upper: (r) => r.cols.tag!.map((t) => String(t).toUpperCase()), flag: is(1) } }],
      new: [{ table: 'accounts', columns: same('balance', 'owner', 'tag', 'note', 'tag_upper', 'flag') }],
    },
    rollback: {
      old: [{ table: 'accounts', columns: same('balance', 'owner', 'tag', 'note') }],
      new: [{ table: 'accounts', columns: same('balance', 'owner', 'tag', 'note') }],
    },
  },
  lockable: ['accounts'],
};

/** `accounts` with a NOT NULL unique-by-construction owner, a code the new version may leave out, and a named check. */
const checkedAccounts: SeedTable = {
  name: 'accounts',
  ddl: ['CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, owner varchar(100) NOT NULL, tag varchar(10), note varchar(20), code varchar(10) NOT NULL, CONSTRAINT accounts_tag_short CHECK (char_length(tag) <= 3))'],
  columns: ['id', 'balance', 'owner', 'tag', 'note', 'code'],
  count: (rows) => rows,
  row: (id, rnd) => [id, Math.floor(rnd() * 2_000_000_000), `o${id}`, `t${Math.floor(rnd() * 10)}`, rnd() < 0.3 ? null : `n${Math.floor(rnd() * 1e6)}`, `c${id % 97}`],
};

/**
 * Both versions write every column; the old version leaves some notes NULL. The new version writes every code: a NULL code
 * would make a rollback refuse (exit 1, naming the rows, as it should) and the harness re-runs a command until it exits 0.
 */
const checkedAccountWriter = (version: Version): Target => ({
  table: 'accounts',
  insert: (id) => ({ id, balance: 0, owner: `w${id}`, tag: `t${id % 10}`, note: version === 'old' && id % 3 === 0 ? null : `${version[0]}${id}`, code: `c${id % 97}` }),
  update: (id) => ({ balance: value(id) }),
});

/**
 * Columns changed where they stand (a shadow column, then the contract's cut-over: on MariaDB under LOCK TABLES),
 * a unique key built online, and NOT NULL taken away. (A renameConstraint of that table cannot share the migration:
 * the contract's steps may name its constraints, so plan refuses it.)
 */
const inPlace: ChaosMigration = {
  name: 'inplace',
  covers: ['alterColumn (in place)', 'createConstraint', 'dropNotNull'],
  tables: [checkedAccounts],
  operations: () => [
    { alterColumn: { table: 'accounts', column: 'balance', type: 'bigint' } },
    { alterColumn: { table: 'accounts', column: 'note', nullable: false, up: "COALESCE(note, 'none')", down: 'note' } },
    { createConstraint: { table: 'accounts', name: 'accounts_owner_key', type: 'unique', columns: ['owner'] } },
    { dropNotNull: { table: 'accounts', column: 'code' } },
  ],
  writers: { old: [checkedAccountWriter('old')], new: [checkedAccountWriter('new')] },
  after: {
    // Until contract the column keeps its old definition for both versions: an old-version NULL note is stored, and the shadow gets `up`'s 'none'.
    contract: {
      old: [{ table: 'accounts', columns: { ...same('balance', 'owner', 'tag', 'code'), note: (r) => r.cols.note!.map((n) => n ?? 'none') } }],
      new: [{ table: 'accounts', columns: same('balance', 'owner', 'tag', 'note', 'code') }],
    },
    rollback: {
      old: [{ table: 'accounts', columns: same('balance', 'owner', 'tag', 'note', 'code') }],
      new: [{ table: 'accounts', columns: same('balance', 'owner', 'tag', 'note', 'code') }],
    },
  },
  lockable: ['accounts'],
};

export const CATALOGUE: ChaosMigration[] = [retype, columns, tables, constraints, rawSql, inPlace];

/**
 * The migration of a scenario: the rounds walk the catalogue, each kind a
 * step further, so one round (`--runs 1`) already meets most entries, and
 * over rounds every kind meets every entry in every command.
 */
export function migrationFor(seed: number, round: number, kindIndex: number, names?: string[]): ChaosMigration {
  const list = names?.length ? CATALOGUE.filter((m) => names.includes(m.name)) : CATALOGUE;
  if (!list.length) throw new Error(`no catalogue entry named ${names!.join(', ')}; there are ${CATALOGUE.map((m) => m.name).join(', ')}`);
  return list[(seed + round + kindIndex) % list.length]!;
}

/** Pure helpers of the MySQL / MariaDB dialect: quoting, expression rewriting, index definitions, defaults, versions. */
import { describe, expect, it } from 'vitest';
import {
  castTarget,
  defaultClause,
  fitName,
  isTextType,
  literal,
  mentioned,
  parseIndexDefinition,
  quoteMy,
  replaceInParts,
  rewriteColumns,
  rewritesExactly,
  rowValue,
  fromRowValue,
  unquoteSimple,
} from '../../src/dialects/mysql/expr.js';
import { defaultExpression } from '../../src/dialects/mysql/catalog.js';
import { MysqlDialect, parseServerVersion } from '../../src/dialects/mysql/index.js';
import type { Ddl, TriggerSteps } from '../../src/dialects/dialect.js';
import type { Step } from '../../src/plan/index.js';
import { SchemaModel, type ColumnModel } from '../../src/schema/model.js';
import { mysqlCheckTrigger, mysqlSyncTrigger, parseCheckTrigger } from '../../src/dialects/mysql/triggers.js';

describe('quoting', () => {
  it('doubles backticks and escapes literals', () => {
    expect(quoteMy('a`b')).toBe('`a``b`');
    expect(literal(`it's a \\ test`)).toBe(`'it''s a \\\\ test'`);
  });
  it('keeps names within 64 characters, unique by a hash', () => {
    expect(fitName('short', '_i')).toBe('short_i');
    const long = fitName('x'.repeat(70), '_u');
    expect(long).toHaveLength(64);
    expect(long.endsWith('_u')).toBe(true);
    expect(fitName('x'.repeat(70) + 'a', '_u')).not.toBe(long);
  });
});

describe('rewriteColumns (author expressions inside triggers)', () => {
  const cols = ['name', 'full_name', 'day', 'x'];
  const rw = (e: string) => rewriteColumns(e, cols, 'NEW.');
  it('prefixes bare and backticked columns, case-insensitively, with the column spelling', () => {
    expect(rw('upper(name)')).toBe('upper(NEW.`name`)');
    expect(rw('`full_name`')).toBe('NEW.`full_name`');
    expect(rw('NAME || FULL_NAME')).toBe('NEW.`name` || NEW.`full_name`');
  });
  it('leaves string literals, comments, functions, qualified names and keywords alone', () => {
    expect(rw(`concat(name, ' name ', "it's")`)).toBe(`concat(NEW.\`name\`, ' name ', "it's")`);
    expect(rw(`name -- name\n`)).toBe('NEW.`name` -- name\n');
    expect(rw('name (1)')).toBe('name (1)'); // a function call under IGNORE_SPACE
    expect(rw('t.name + name.x')).toBe('t.name + name.x');
    expect(rw('CAST(x AS day)')).toBe('CAST(NEW.`x` AS day)');
    expect(rw('now() + INTERVAL 1 day')).toBe('now() + INTERVAL 1 day');
    expect(rw(`x'0A' = x`)).toBe(`x'0A' = NEW.\`x\``);
    expect(rw(`name = 'O\\'Brien' AND name <> 'a''b'`)).toBe(`NEW.\`name\` = 'O\\'Brien' AND NEW.\`name\` <> 'a''b'`);
  });
  it('leaves a reserved word written bare, and a type before a literal, alone: not the columns named so (campaign EL)', () => {
    const kw = (e: string) => rewriteColumns(e, ['current_date', 'date', 'desc', 'rank'], 'NEW.');
    expect(kw('current_date + 1')).toBe('current_date + 1');
    expect(kw('`current_date` + 1')).toBe('NEW.`current_date` + 1');
    expect(kw(`date > DATE '2000-01-01' AND rank > 0`)).toBe(`NEW.\`date\` > DATE '2000-01-01' AND NEW.\`rank\` > 0`);
  });
  it('with the table, writes a column named by it (as the backfill UPDATE names the row) as the row\'s too', () => {
    const byTable = (e: string) => rewriteColumns(e, cols, 'NEW.', 'users');
    expect(byTable('(SELECT COUNT(*) FROM posts p WHERE p.user_id = users.x)')).toBe('(SELECT COUNT(*) FROM posts p WHERE p.user_id = NEW.`x`)');
    expect(byTable('`Users` . `name` || users.nope || db.users.x || users.name(1)')).toBe('NEW.`name` || users.nope || db.users.x || users.name(1)');
    expect(rw('users.x')).toBe('users.x');
  });
  it('is used where it is exact; anything else runs unchanged over a derived row named like the table (campaign AE)', () => {
    const row = (e: string) => rowValue(e, [...cols, 'created_at', 'year', 'email', 'p'], 'users');
    expect(row('upper(name) + users.x * 100 DIV 3')).toBe('upper(NEW.`name`) + NEW.`x` * 100 DIV 3');
    expect(row("CAST(x AS DECIMAL(10, 2)) - CAST(`x` AS UNSIGNED INTEGER) + COALESCE(x, 0x1F, NULL)")).toBe("CAST(NEW.`x` AS DECIMAL(10, 2)) - CAST(NEW.`x` AS UNSIGNED INTEGER) + COALESCE(NEW.`x`, 0x1F, NULL)");
    expect(row("CONCAT(name, ' ', full_name)")).toBe("CONCAT(NEW.`name`, ' ', NEW.`full_name`)");
    const derived = (e: string, names: string) => `(SELECT ${e} FROM (SELECT ${names}) AS \`users\`)`;
    // EXTRACT's FROM, a unit named like a column, a double-quoted string, a subquery's aliases, a @variable, a TRIM.
    for (const [e, names] of [
      ['EXTRACT(YEAR FROM created_at)', 'NEW.`created_at` AS `created_at`, NEW.`year` AS `year`'],
      ['TIMESTAMPDIFF(DAY, created_at, now())', 'NEW.`day` AS `day`, NEW.`created_at` AS `created_at`'],
      ['JSON_OBJECT("name", name)', 'NEW.`name` AS `name`'],
      ['(SELECT COUNT(*) FROM posts email, status WHERE email.user_id = users.x)', 'NEW.`x` AS `x`, NEW.`email` AS `email`'],
      ['(SELECT MAX(p.score) FROM posts p WHERE p.user_id = users.x ORDER BY name)', 'NEW.`name` AS `name`, NEW.`x` AS `x`, NEW.`p` AS `p`'],
      ['@x + x', 'NEW.`x` AS `x`'],
      ['TRIM(BOTH FROM name)', 'NEW.`name` AS `name`'],
      // Campaign AH: what MariaDB reads otherwise for a column than for NEW's value, comments it executes, `--` before no space.
      ['x = 99', 'NEW.`x` AS `x`'],
      ["FIND_IN_SET('admin', name)", 'NEW.`name` AS `name`'],
      ['COALESCE(x, DEFAULT(x))', 'NEW.`x` AS `x`'],
      ['x + /*! p + */ 0', 'NEW.`x` AS `x`, NEW.`p` AS `p`'],
      ['x + INTERVAL x MONTH', 'NEW.`x` AS `x`'],
    ] as const) expect(row(e)).toBe(derived(e, names));
    // A column named twice (a check's columns and its backticked names): listed once (every write failed, error 1060).
    expect(rowValue('`x` > 0 AND x < 9', ['x', 'x', 'X'], 't')).toBe('(SELECT `x` > 0 AND x < 9 FROM (SELECT NEW.`x` AS `x`) AS `t`)');
    expect(row('0x1F + x')).toBe('0x1F + NEW.`x`');
    expect(row('x--p')).toBe('NEW.`x`--NEW.`p`'); // x - (-p): MariaDB's comment needs a space after --
    expect(rewriteColumns('2abc + x', ['2abc', 'x'], 'NEW.')).toBe('NEW.`2abc` + NEW.`x`');
    expect(row('(SELECT MAX(id) FROM posts)')).toBe('(SELECT MAX(id) FROM posts)');
    expect(fromRowValue(row('EXTRACT(YEAR FROM created_at)'))).toBe('EXTRACT(YEAR FROM created_at)');
    expect(fromRowValue(row('upper(name)'))).toBe('upper(`name`)');
  });
  it('reads a double-quoted text as the server does: no rewrite', () => {
    expect(rewritesExactly('length("full_name") < 100', cols)).toBe(false);
    expect(rewritesExactly(`"not a column" = name`, cols)).toBe(false);
  });
  it('finds mentioned columns and unquotes simple identifiers', () => {
    expect(mentioned('char_length(`name`) < 100 AND "x" > 1', 't', cols)).toEqual(['name', 'x']);
    expect(unquoteSimple('char_length(`name`) < `odd name`')).toBe('char_length(name) < `odd name`');
  });
});

describe('index definitions', () => {
  it('reads xc spelling and the PostgreSQL-style text of projected models', () => {
    expect(parseIndexDefinition('CREATE UNIQUE INDEX `u` ON `t` (`a`(10) DESC, `b`)')).toEqual({ kind: 'UNIQUE', parts: ['`a`(10) DESC', '`b`'], options: '' });
    expect(parseIndexDefinition('CREATE INDEX t_a_idx ON t USING btree ("full_name", b)')).toEqual({ kind: '', parts: ['`full_name`', '`b`'], options: '' });
    // The options a copy carries: the comment and IGNORED/INVISIBLE, nothing else.
    expect(parseIndexDefinition("CREATE INDEX `c` ON `t` (`a`) COMMENT 'it''s (a)' IGNORED")?.options).toBe("COMMENT 'it''s (a)' IGNORED");
    expect(parseIndexDefinition('CREATE INDEX t_w ON t USING btree (a) INCLUDE (b) WHERE (a > 0)')?.options).toBe('');
    expect(parseIndexDefinition('CREATE FULLTEXT INDEX `f` ON `t` (`body`)')?.kind).toBe('FULLTEXT');
    expect(parseIndexDefinition('CREATE INDEX `e` ON `t` ((lower(`a`)))')?.parts).toEqual(['(lower(`a`))']);
  });
  it('replaces one column, keeping prefix lengths and order', () => {
    expect(replaceInParts(['`Name`(10) DESC', '`b`', '(lower(`name`))'], 'name', 'full_name')).toEqual(['`full_name`(10) DESC', '`b`', '(lower(`full_name`))']);
  });
});

describe('defaults and types', () => {
  it('puts expression defaults in parentheses, literals bare', () => {
    expect(defaultClause(`'anon'`)).toBe(`'anon'`);
    expect(defaultClause('0')).toBe('0');
    expect(defaultClause('current_timestamp()')).toBe('current_timestamp()');
    expect(defaultClause('upper(name)')).toBe('(upper(name))');
  });
  it('reads defaults from MariaDB (SQL text) and MySQL (raw literals)', () => {
    expect(defaultExpression({ column_default: 'NULL', extra: '', data_type: 'varchar' }, true)).toBeNull();
    expect(defaultExpression({ column_default: `'x'`, extra: '', data_type: 'varchar' }, true)).toBe(`'x'`);
    expect(defaultExpression({ column_default: `it's`, extra: '', data_type: 'varchar' }, false)).toBe(`'it''s'`);
    expect(defaultExpression({ column_default: '5', extra: '', data_type: 'int' }, false)).toBe('5');
    expect(defaultExpression({ column_default: 'CURRENT_TIMESTAMP', extra: 'DEFAULT_GENERATED', data_type: 'datetime' }, false)).toBe('CURRENT_TIMESTAMP');
    expect(defaultExpression({ column_default: 'rand()', extra: 'DEFAULT_GENERATED', data_type: 'double' }, false)).toBe('(rand())');
  });
  it('maps column types to CAST targets MySQL accepts', () => {
    expect(castTarget('bigint', true)).toBe('SIGNED');
    expect(castTarget('int(10) unsigned', true)).toBe('UNSIGNED');
    expect(castTarget('varchar(20) CHARACTER SET latin1 COLLATE latin1_bin', true)).toBe('CHAR(20)');
    expect(castTarget('decimal(10,2)', false)).toBe('DECIMAL(10,2)');
    expect(castTarget('datetime(6)', false)).toBe('DATETIME(6)');
    expect(castTarget("enum('a','b')", false)).toBeUndefined();
    expect(castTarget('json', true)).toBeUndefined();
    expect(castTarget('json', false)).toBe('JSON');
    expect(isTextType('varchar(10)') && isTextType('longtext') && !isTextType('int')).toBe(true);
  });
});

const probeColumn = (name: string, type: string, more: Partial<ColumnModel> = {}): ColumnModel => ({ name, type, nullable: true, default: null, ...more });
/** Parents `p`; `t` with a nullable `c` (indexed, checked, a foreign key to `p`) and a NOT NULL `name` without a default. */
const probeSchema = () =>
  SchemaModel.of([
    { name: 'p', kind: 'table', columns: [probeColumn('id', 'int', { nullable: false })], primaryKey: ['id'], indexes: [], checks: [], foreignKeys: [] },
    {
      name: 't',
      kind: 'table',
      columns: [probeColumn('id', 'int', { nullable: false }), probeColumn('c', 'int'), probeColumn('name', 'varchar(20)', { nullable: false })],
      primaryKey: ['id'],
      indexes: [{ name: 'i', columns: ['c'], unique: false, primary: false, constraint: null, definition: 'CREATE INDEX `i` ON `t` (`c`)' }],
      checks: [{ name: 'ck', expression: '`c` > 0', columns: ['c'] }],
      foreignKeys: [{ name: 'fk', columns: ['c'], refTable: 'p', refColumns: ['id'], onDelete: null }],
    },
  ]);
const triggerSteps = (t: TriggerSteps) => [...t.create, ...t.drop, ...(t.settle ?? []), ...(t.unsettle ?? [])];

/** Every method of the DDL vocabulary, called on `probeSchema` where it has something to do (several ways where it has several). */
const everyDdlMethod: { [K in keyof Ddl]: ((ddl: Ddl) => Step[]) | string } = {
  createTable: (d) =>
    d.createTable({ table: 'n', columns: [{ name: 'id', type: 'int', nullable: false, primaryKey: true }, { name: 'v', type: 'varchar(10)', nullable: true, unique: true }], primaryKey: { columns: ['id'] }, constraints: [] }),
  dropTable: (d) => d.dropTable('p'),
  renameTableKeepingOldName: (d) => d.renameTableKeepingOldName('t', 't2'),
  dropOldTableName: (d) => d.dropOldTableName('t'),
  restoreTableName: (d) => d.restoreTableName('t', 't2'),
  addColumn: (d) => [...d.addColumn('t', 'n', 'bigint', { backfilled: true, notNull: true }), ...d.addColumn('t', 'm', 'int', { default: '0', notNull: true }), ...d.addColumn('t', 'v', 'varchar(20)')],
  dropColumn: (d) => d.dropColumn('t', 'c'),
  letWritesOmit: (d) => [...d.addColumn('t', 'n', 'bigint', { backfilled: true, notNull: true }), ...d.letWritesOmit('t', 'n')],
  setDefault: (d) => [...d.setDefault('t', 'c', '1'), ...d.setDefault('t', 'c', null)],
  dropNotNull: (d) => d.dropNotNull('t', probeColumn('name', 'varchar(20)', { nullable: false })),
  carryAttributes: (d) => d.carryAttributes('t', probeColumn('c', 'datetime', { extra: "on update current_timestamp() COMMENT 'x'" })),
  addNotNullCheck: (d) => d.addNotNullCheck('t', probeColumn('c', 'int', { nullable: false }), 'nn'),
  enforceNotNull: (d) => d.enforceNotNull('t', probeColumn('c', 'int', { default: '0' }), 'nn'),
  createIndex: (d) => [...d.createIndex({ table: 't', name: 'i2', columns: ['c'] }), ...d.createIndex({ table: 't', name: 'u2', columns: ['name'], unique: true })],
  copyIndex: (d) => d.copyIndex(probeSchema().table('t')!.indexes[0]!, 't', 'i3', 'c', 'name'),
  dropIndex: (d) => d.dropIndex('t', 'i'),
  renameIndex: (d) => d.renameIndex('t', 'i', 'i4'),
  convertedDefault: 'an expression, no steps',
  addUniqueUsingIndex: (d) => d.addUniqueUsingIndex('t', 'u', 'i'),
  renameConstraint: (d) => [...d.renameConstraint('t', 'ck', 'ck2'), ...d.renameConstraint('t', 'fk', 'fk2')],
  addPrimaryKeyUsingIndex: (d) => d.addPrimaryKeyUsingIndex('t', 'pk', 'i', ['c']),
  addForeignKey: (d) => d.addForeignKey({ table: 't', name: 'fk2', columns: ['c'], refTable: 'p', refColumns: ['id'], onDelete: 'cascade' }),
  addCheck: (d) => d.addCheck('t', 'ck2', '`c` > 1'),
  keptCheck: (d) => [...d.addCheck('t', 'ck2', '`c` > 1'), ...(d.keptCheck('t', 'ck2', '`c` > 1') ?? [])],
  validateConstraint: (d) => [...d.validateConstraint('t', 'ck'), ...d.validateConstraint('t', 'fk')],
  dropConstraint: (d) => [...d.dropConstraint('t', 'fk'), ...d.dropConstraint('t', 'ck')],
  cascadingKeysOverCopy: (d) => d.cascadingKeysOverCopy({ table: 't', newColumn: 'name', foreignKeys: [{ table: 't', name: 'fk', columns: ['name'], refTable: 'p', refColumns: ['id'], onDelete: 'set null', temporary: 'fk_t' }] }),
  carryConstraints: (d) => {
    const steps = d.carryConstraints({
      table: 't',
      oldColumn: 'c',
      newColumn: 'name',
      foreignKeys: [{ table: 't', name: 'fk', columns: ['name'], refTable: 'p', refColumns: ['id'], onDelete: 'cascade', temporary: 'fk_t' }],
      checks: [{ name: 'ck', expression: '`name` > 0', temporary: 'ck_t' }],
    });
    return [...steps.beforeDrop, ...steps.withDrop, ...steps.validate];
  },
  syncTrigger: (d) => [
    ...triggerSteps(d.syncTrigger({ name: 'xc_sync_1', table: 't', oldColumn: 'name', newColumn: 'label', up: '`name`', down: '`label`', oldDefault: null, columns: ['id', 'c', 'name', 'label'] })),
    // A NOT NULL copy whose old column keeps its default: the INSERT trigger is replaced once the placeholder is gone.
    ...triggerSteps(d.syncTrigger({ name: 'xc_sync_2', table: 't', oldColumn: 'name', newColumn: 'n', up: 'CAST(`name` AS SIGNED)', down: '`n`', oldDefault: "'0'", oldKeepsDefault: true, newNullable: false, newType: 'bigint', columns: ['id', 'c', 'name', 'n'] })),
  ],
  keepsDefaultThroughSync: 'a decision, no steps',
  fillTrigger: (d) => triggerSteps(d.fillTrigger({ name: 'xc_fill_1', table: 't', column: 'c', expr: '1', columns: ['id', 'c', 'name'] })),
  convertTrigger: (d) => triggerSteps(d.convertTrigger({ name: 'xc_down_1', table: 't', constraint: 'ck', test: { kind: 'check', expression: '`c` > 0' }, set: [{ column: 'c', expr: '1' }], columns: ['id', 'c', 'name'] })),
  fillBeforeTriggers: (d) => d.fillBeforeTriggers({ table: 't', set: { c: '1' }, key: ['id'] }),
  refillAfterTriggers: (d) => d.refillAfterTriggers({ table: 't', set: { c: '1' }, key: ['id'], where: 'NOT (`c` <=> 1)' }),
  // DDL: runs alone. (An author's DML commits with its journal row instead: test/unit/raw-sql-statements.test.ts.)
  raw: (d) => [d.raw('DROP TABLE IF EXISTS t_old', 'the author\'s')],
  changesTypeInCatalog: 'a decision, no steps',
  conversionNote: 'a note, no steps',
  preparedKeepOldTypes: 'a flag, no steps',
  shadowKeyIssues: 'a decision, no steps',
  cutOverIssue: 'a decision, no steps',
  handOverSequence: 'no column owns a sequence here: no steps',
  carryColumnPrivileges: 'grants are by column name here, and xc carries none to a copy: no steps (README)',
  alterColumnInCatalog: (d) => [...d.alterColumnInCatalog('t', probeColumn('name', 'varchar(20)', { nullable: false }), { type: 'varchar(30)', comment: 'x' }), ...d.alterColumnInCatalog('t', probeColumn('c', 'int'), { default: '1' })],
  noWriteBetween: (d) => d.noWriteBetween('t', [...triggerSteps(d.fillTrigger({ name: 'xc_sh', table: 't', column: 's', expr: '`c`', columns: ['id', 'c', 's'], always: true })).slice(2), ...d.dropColumn('t', 'name')]),
  swapColumns: (d) => d.swapColumns({ table: 't', dropTrigger: triggerSteps(d.fillTrigger({ name: 'xc_sh', table: 't', column: 's', expr: '`c`', columns: ['id', 'c', 's'], always: true })).slice(2), columns: [{ column: 'c', shadow: 's', up: '`c`', type: 'bigint', nullable: true }], dropIndexes: [], dropForeignKeys: ['fk'], dropChecks: ['ck'], renameIndexes: [{ from: 'i5', to: 'i' }] }),
};

/** Methods whose steps carry no probe, each with why a re-run after a crash is still safe. */
const WITHOUT_PROBE: Partial<Record<keyof Ddl, string>> = {
  fillBeforeTriggers: 'a fill walks its rows in batches, each committed with its own cursor row: a re-run resumes it',
  refillAfterTriggers: 'a fill walks its rows in batches, each committed with its own cursor row: a re-run resumes it',
  raw: "the author's DDL: xc cannot know its effect (the README asks for DDL safe to run again; DML commits with its journal row)",
  carryAttributes: 'it restates the column with the definition it then already has: running it again changes nothing',
  alterColumnInCatalog: 'it restates the column with the definition it then already has: running it again changes nothing',
};

describe('server versions and what they allow', () => {
  it('parses MariaDB and MySQL version strings', () => {
    expect(parseServerVersion('10.11.19-MariaDB-0+deb12u1')).toEqual({ mariadb: true, version: [10, 11, 19] });
    expect(parseServerVersion('5.5.5-10.4.2-MariaDB')).toEqual({ mariadb: true, version: [10, 4, 2] });
    expect(parseServerVersion('8.0.36-28')).toEqual({ mariadb: false, version: [8, 0, 36] });
  });
  it('claims INSTANT only where the server has it', () => {
    const add = (v: string) => new MysqlDialect(v).ddl(new SchemaModel()).addColumn('t', 'c', 'int')[0]!.sql;
    const drop = (v: string) => new MysqlDialect(v).ddl(new SchemaModel()).dropColumn('t', 'c').at(-1)!.sql;
    expect(add('10.11.19-MariaDB')).toContain('ALGORITHM=INSTANT');
    expect(add('8.0.11')).toContain('ALGORITHM=INPLACE, LOCK=NONE');
    expect(add('8.0.12')).toContain('ALGORITHM=INSTANT');
    expect(drop('8.0.28')).toContain('ALGORITHM=INPLACE, LOCK=NONE');
    expect(drop('8.0.29')).toContain('ALGORITHM=INSTANT');
    // MariaDB: NOCOPY, done instantly where it can be, and taking an index plan could not see with the column (fuzz seed 279).
    expect(drop('10.11.19-MariaDB')).toContain('ALGORITHM=NOCOPY, LOCK=NONE');
  });
  it('holds LOCK TABLES around a trigger removal and a column drop only where the drop is metadata-only', () => {
    const together = (v: string) => {
      const d = new MysqlDialect(v).ddl(probeSchema());
      return d.noWriteBetween('t', [...triggerSteps(d.fillTrigger({ name: 'xc_sh', table: 't', column: 's', expr: '`c`', columns: ['id', 'c', 's'], always: true })).slice(2), ...d.dropColumn('t', 'name')]);
    };
    for (const v of ['10.11.19-MariaDB', '8.0.29']) {
      const [step, ...more] = together(v);
      expect(more).toEqual([]);
      expect(step!.statements![0]).toBe('LOCK TABLES `t` WRITE');
      expect(step!.statements!.slice(1).map((st) => (typeof st === 'string' ? st : st.sql)).join(';')).toMatch(/^DROP TRIGGER IF EXISTS .*;ALTER TABLE `t` DROP COLUMN `name`/);
      // Each statement keeps its step's probe, read under the lock: what is done is not run again.
      expect(step!.statements!.slice(1).map((st) => typeof st !== 'string' && st.unless !== undefined)).toEqual(step!.statements!.slice(1).map(() => true));
      expect(step!.release).toBe('UNLOCK TABLES');
      expect(step!.probe).toMatch(/`name`|'name'/);
    }
    // A drop that rebuilds the table would hold writers for its length.
    expect(together('8.0.28').length).toBeGreaterThan(1);
    // A default drawing from a sequence: the ALTER under LOCK TABLES is refused unless the sequence is locked too, and so
    // locked it crashed MariaDB 10.11.19 for the inserts after it (campaign FB): the steps run apart…
    const d = new MysqlDialect('10.11.19-MariaDB').ddl(probeSchema());
    const steps = [...triggerSteps(d.fillTrigger({ name: 'xc_sh', table: 't', column: 's', expr: '`c`', columns: ['id', 'c', 's'], always: true })).slice(2), ...d.dropColumn('t', 'name')];
    expect(d.noWriteBetween('t', steps, [{ column: 's', default: '(nextval(`db`.`counter`))' }])).toEqual(steps);
    // …as where two defaults of the table draw from one sequence, which MariaDB cannot hold under LOCK TABLES at all.
    expect(d.noWriteBetween('t', steps, [{ column: 's', default: 'nextval(counter)' }, { column: 'r', default: 'NEXT VALUE FOR `counter`' }]).length).toBeGreaterThan(1);
  });
  it('states ALGORITHM and LOCK on every ALTER TABLE, runs every step alone, and gives every step of every Ddl method a probe', () => {
    for (const v of ['10.11.19-MariaDB', '8.0.36']) {
      // The table covers every method: one the vocabulary gains fails here (and does not compile) until it has an entry.
      expect(Object.keys(new MysqlDialect(v).ddl(probeSchema())).sort()).toEqual(Object.keys(everyDdlMethod).sort());
      for (const [method, call] of Object.entries(everyDdlMethod)) {
        if (typeof call === 'string') continue;
        // A vocabulary of its own per method: what one request records in the model must not hide another's steps.
        const steps = call(new MysqlDialect(v).ddl(probeSchema()));
        expect(steps.length, `${method} has nothing to do here: the model must give it something`).toBeGreaterThan(0);
        for (const s of steps) {
          const what = `${method} (${v}): ${s.sql}`;
          if (/^(SET STATEMENT [^ ]+ FOR )?ALTER TABLE/.test(s.sql)) expect(s.sql, what).toMatch(/ALGORITHM=\w+, LOCK=\w+$/);
          expect(s.transactional, what).toBe(false);
          if (method in WITHOUT_PROBE) expect(s.probe, `${what}: listed as needing no probe`).toBeUndefined();
          else expect(s.probe, what).toMatch(/AS done$/);
        }
      }
    }
  });
  it('stores a column the backfill will fill in every row first, where its width is fixed', () => {
    const ddl = new MysqlDialect('10.11.19-MariaDB').ddl(new SchemaModel());
    const wide = ddl.addColumn('t', 'c', 'bigint', { backfilled: true }).map((s) => s.sql);
    // Nullable: the placeholder default goes at once, so old writers' new rows are NULL until filled.
    expect(wide).toEqual(['ALTER TABLE `t` ADD COLUMN `c` bigint NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE', 'ALTER TABLE `t` ALTER COLUMN `c` DROP DEFAULT, ALGORITHM=INSTANT, LOCK=DEFAULT']);
    // NOT NULL: it stays until the caller's trigger fills the column.
    expect(ddl.addColumn('t', 'c', 'bigint', { backfilled: true, notNull: true }).map((s) => s.sql)).toEqual(['ALTER TABLE `t` ADD COLUMN `c` bigint NOT NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE']);
    expect(ddl.addColumn('t', 'v', 'varchar(20)', { backfilled: true }).map((s) => s.sql)).toEqual(['ALTER TABLE `t` ADD COLUMN `v` varchar(20), ALGORITHM=INSTANT, LOCK=DEFAULT']);
    expect(ddl.addColumn('t', 'n', 'bigint').map((s) => s.sql)).toEqual(['ALTER TABLE `t` ADD COLUMN `n` bigint, ALGORITHM=INSTANT, LOCK=DEFAULT']);
  });
  it('carries ON UPDATE to a temporal type only, COMMENT to any', () => {
    const ddl = new MysqlDialect('10.11.19-MariaDB').ddl(new SchemaModel());
    const extra = "on update current_timestamp() COMMENT 'x'";
    expect(ddl.carryAttributes('t', { name: 'c', type: 'datetime', nullable: true, default: null, extra }).map((s) => s.sql)).toEqual([
      "ALTER TABLE `t` MODIFY COLUMN `c` datetime NULL on update current_timestamp() COMMENT 'x', ALGORITHM=INSTANT, LOCK=DEFAULT",
    ]);
    expect(ddl.carryAttributes('t', { name: 'c', type: 'bigint', nullable: false, default: '0', extra }).map((s) => s.sql)).toEqual([
      "ALTER TABLE `t` MODIFY COLUMN `c` bigint NOT NULL DEFAULT 0 COMMENT 'x', ALGORITHM=INSTANT, LOCK=DEFAULT",
    ]);
    expect(ddl.carryAttributes('t', { name: 'c', type: 'bigint', nullable: true, default: null, extra: 'on update current_timestamp()' })).toEqual([]);
    expect(ddl.carryAttributes('t', { name: 'c', type: 'bigint', nullable: true, default: null })).toEqual([]);
  });
  it('knows which foreign-key column types MySQL accepts', () => {
    const d = new MysqlDialect('10.11.19-MariaDB');
    expect(d.foreignKeyTypeIssue('bigint', 'int(11)')).toMatch(/exactly \(int\), not bigint/);
    expect(d.foreignKeyTypeIssue('int', 'int(11)')).toBeUndefined();
    expect(d.foreignKeyTypeIssue('integer', 'int')).toBeUndefined();
    expect(d.foreignKeyTypeIssue('int unsigned', 'int(10) unsigned')).toBeUndefined();
    expect(d.foreignKeyTypeIssue('int', 'int unsigned')).toBeDefined();
    expect(d.foreignKeyTypeIssue('varchar(200)', 'varchar(50)')).toBeUndefined();
  });
  it('refuses partial indexes', () => {
    expect(() => new MysqlDialect('10.11.19-MariaDB').ddl(new SchemaModel()).createIndex({ table: 't', name: 'i', columns: ['c'], where: 'c > 0' })).toThrow(/partial/);
  });
});

describe('triggers', () => {
  const spec = { name: 'xc_sync_1', table: 't', oldColumn: 'name', newColumn: 'full_name', up: '`name`', down: '`full_name`', oldDefault: `'anon'`, columns: ['id', 'name', 'full_name'] };
  it('makes a BEFORE UPDATE and a BEFORE INSERT trigger, update first, guarded by the bypass', () => {
    const { create, drop } = mysqlSyncTrigger(spec);
    expect(create.map((s) => /CREATE TRIGGER `(\w+)` BEFORE (\w+)/.exec(s.sql)?.slice(1))).toEqual([
      ['xc_sync_1_u', 'UPDATE'],
      ['xc_sync_1_i', 'INSERT'],
    ]);
    expect(create[1]!.sql).toContain('IF @xc_bypass_xc_sync_1 IS NULL THEN');
    expect(create[1]!.sql).toContain('SET NEW.`name` = (\'anon\')');
    expect(create[0]!.sql).toContain('NOT (CAST(NEW.`name` AS BINARY) <=> CAST(OLD.`name` AS BINARY))');
    expect(drop.map((s) => s.sql)).toEqual(['DROP TRIGGER IF EXISTS `xc_sync_1_i`', 'DROP TRIGGER IF EXISTS `xc_sync_1_u`']);
  });
  it('reads a check trigger back', () => {
    const body = mysqlCheckTrigger('xc_ck_0', 't', "o'k", 'price > 0 AND `name` <> \'\'', ['price', 'name']).create[0]!.sql.split('FOR EACH ROW\n')[1]!;
    expect(parseCheckTrigger(body)).toEqual({ name: "o'k", expression: "price > 0 AND `name` <> ''", row: 't' });
    const derived = mysqlCheckTrigger('xc_ck_0', 't', 'y', 'EXTRACT(YEAR FROM created_at) > 2000', ['created_at']).create[0]!.sql.split('FOR EACH ROW\n')[1]!;
    expect(parseCheckTrigger(derived)).toEqual({ name: 'y', expression: 'EXTRACT(YEAR FROM created_at) > 2000', row: 't' });
  });
});

describe('session statements', () => {
  const d = new MysqlDialect('10.11.19-MariaDB');
  it('bounds lock waits in whole seconds, and puts back what the session had', () => {
    expect(d.lockTimeout(1000)).toEqual(['SET SESSION lock_wait_timeout = 1', 'SET SESSION innodb_lock_wait_timeout = 1']);
    expect(d.sessionLockTimeout(1500)).toEqual({ lock_wait_timeout: 2, innodb_lock_wait_timeout: 2 });
    expect(d.sessionLockTimeout(10)).toEqual({ lock_wait_timeout: 1, innodb_lock_wait_timeout: 1 });
    // A read bounded in time: MariaDB's SET STATEMENT, which a compound statement (plan's one computation of an `up`)
    // does not take — nor a limit set inside it: the session's around it (campaign EJ: computed for minutes).
    expect(d.timeBoundedRead('SELECT 1', 1500)).toEqual({ before: [], sql: 'SET STATEMENT max_statement_time = 1.5 FOR SELECT 1', after: [] });
    expect(d.timeBoundedRead('BEGIN NOT ATOMIC SELECT 1; END', 1500)).toEqual({ before: ['SET max_statement_time = 1.5'], sql: 'BEGIN NOT ATOMIC SELECT 1; END', after: ['SET max_statement_time = 0'] });
    // One statement each way, per batch; the session's own values kept in user variables by the same SET.
    expect(d.backfillSession(1000, ['xc_sync_1', "bad'name"])).toEqual([
      'SET @xc_lwt = @@SESSION.lock_wait_timeout, @xc_ilwt = @@SESSION.innodb_lock_wait_timeout, SESSION lock_wait_timeout = 1, SESSION innodb_lock_wait_timeout = 1, @xc_bypass_xc_sync_1 = 1, @xc_bypass_badname = 1',
    ]);
    expect(d.backfillSessionEnd(['xc_sync_1'])).toEqual([
      'SET SESSION lock_wait_timeout = COALESCE(@xc_lwt, @@SESSION.lock_wait_timeout), SESSION innodb_lock_wait_timeout = COALESCE(@xc_ilwt, @@SESSION.innodb_lock_wait_timeout), @xc_lwt = NULL, @xc_ilwt = NULL, @xc_bypass_xc_sync_1 = NULL',
    ]);
  });
  it('compares keys with one placeholder per column and text byte-exactly', () => {
    expect(d.keyCondition(['id'], '>')).toEqual({ sql: '`id` > ?', order: [0] });
    expect(d.keyCondition(['a', 'b', 'c'], '>')).toEqual({
      sql: '`a` >= ? AND (`a` > ? OR (`a` = ? AND (`b` > ? OR (`b` = ? AND (`c` > ?)))))',
      order: [0, 0, 0, 1, 1, 2],
    });
    expect(d.keyCondition(['a', 'b'], '<=')).toEqual({ sql: '`a` <= ? AND (`a` < ? OR (`a` = ? AND (`b` <= ?)))', order: [0, 0, 0, 1] });
    expect(d.keyCondition(['id'], '<=')).toEqual({ sql: '`id` <= ?', order: [0] });
    expect(d.sameValue('n', 'upper(name)', 'varchar(10)')).toBe('CONVERT(`n` USING utf8mb4) COLLATE utf8mb4_nopad_bin <=> CONVERT((upper(name)) USING utf8mb4) COLLATE utf8mb4_nopad_bin');
    // As the column stores it: a number cast to the type, a CHAR without trailing spaces, an ENUM member as matched.
    expect(d.sameValue('n', 'v', 'bigint')).toBe('`n` <=> CAST((v) AS SIGNED)');
    expect(d.sameValue('n', 'v', 'decimal(8,2)')).toBe('`n` <=> CAST((v) AS DECIMAL(8,2))');
    expect(d.sameValue('n', 'v', 'char(10)')).toContain('CONVERT(RTRIM(v) USING utf8mb4)');
    expect(d.sameValue('n', 'v', "enum('a','b')")).toBe('`n` <=> (v)');
    expect(d.sameValue('n', 'v', 'year')).toBe('`n` <=> (v)');
    // A SET as its members in the type's order ('y,x' stored in SET('x','y') is 'x,y').
    expect(d.sameValue('n', 'v', "set('x','y')")).toContain("CONVERT((IF((v) IS NULL, NULL, CONCAT_WS(',', IF(FIND_IN_SET('x', (v)) > 0, 'x', NULL), IF(FIND_IN_SET('y', (v)) > 0, 'y', NULL)))) USING utf8mb4)");
    // In place without `up`: one conversion the fill, trigger, backfill and verify agree on (conversions.ts).
    expect(d.defaultConversion('`f`', 'float', 'varchar(40)')).toBe('CAST(`f` AS CHAR)');
    expect(d.defaultConversion('`b`', 'bit(8)', 'text')).toBe('CAST(`b` + 0 AS CHAR)');
    expect(d.defaultConversion('`b`', 'bit(8)', 'time')).toBe('(`b` + 0)');
    expect(d.defaultConversion('`v`', 'varchar(20)', 'int unsigned')).toBe('CAST(`v` AS DECIMAL(65,30))');
    expect(d.defaultConversion('`v`', 'varchar(20)', 'date')).toBe('`v`');
    expect(d.conversionIssue('`v`', 'text', 'tinyint unsigned')?.violation).toContain('BETWEEN 0 AND 255');
    expect(d.conversionIssue('`v`', 'varchar(9)', 'decimal(5,2)')?.violation).toContain('ROUND(CAST(`v` AS DECIMAL(65,30)), 2) BETWEEN -999.99 AND 999.99');
    expect(d.conversionIssue('`v`', 'int', 'bigint')).toBeUndefined();
    expect(new MysqlDialect('8.4.0').sameValue('n', 'v', 'text')).toContain('COLLATE utf8mb4_0900_bin');
    expect(new MysqlDialect('8.0.16').sameValue('n', 'v', 'text')).toContain('COLLATE utf8mb4_bin');
    expect(d.isLockTimeout({ errno: 1205 }) && d.isLockTimeout({ errno: 1213 }) && !d.isLockTimeout({ errno: 1062 })).toBe(true);
  });
});

/**
 * The MySQL DDL compiles from the model alone: what a request adds before the
 * catalog shows it is a fact of the model (`model.planned`), never state of a
 * vocabulary, and each migration's plan reads only what it adds itself.
 */
import { describe, expect, it } from 'vitest';
import type { Ddl } from '../../src/dialects/dialect.js';
import { MysqlDialect } from '../../src/dialects/mysql/index.js';
import { planMigration, project } from '../../src/engine/planner.js';
import { validateMigration } from '../../src/migration/validate.js';
import type { Step } from '../../src/plan/index.js';
import { SchemaModel, type ColumnModel, type TableModel } from '../../src/schema/model.js';

const column = (name: string, type: string, more: Partial<ColumnModel> = {}): ColumnModel => ({ name, type, nullable: true, default: null, ...more });
const table = (name: string, columns: ColumnModel[], more: Partial<TableModel> = {}): TableModel => ({ name, kind: 'table', columns, primaryKey: ['id'], indexes: [], checks: [], foreignKeys: [], ...more });

/** Parents `p`, and `t` whose `name` is NOT NULL without a default (a copy of it gets a default while its trigger goes). */
const schema = () =>
  SchemaModel.of([
    table('p', [column('id', 'int', { nullable: false })]),
    table('t', [column('id', 'int', { nullable: false }), column('c', 'int'), column('name', 'varchar(20)', { nullable: false }), column('touched', 'datetime', { autoUpdated: true })]),
  ]);

/** Requests in the order a plan makes them, each reading what the ones before added: a column stored with a placeholder, an index, its copy, a key MySQL gives an index of its own, a check, a sync trigger's temporary default. */
const requests: ((ddl: Ddl) => Step[])[] = [
  (ddl) => ddl.addColumn('t', 'n', 'bigint', { backfilled: true, notNull: true }),
  (ddl) => ddl.letWritesOmit('t', 'n'),
  (ddl) => ddl.addNotNullCheck('t', column('n', 'bigint', { nullable: false }), 'nn_n'),
  (ddl) => ddl.createIndex({ table: 't', name: 'ix_n', columns: ['n'] }),
  (ddl) => ddl.addForeignKey({ table: 't', name: 'fk_c', columns: ['c'], refTable: 'p', refColumns: ['id'] }),
  (ddl) => ddl.addCheck('t', 'ck_n', '`n` > 0'),
  (ddl) => ddl.validateConstraint('t', 'ck_n'),
  (ddl) => ddl.validateConstraint('t', 'fk_c'),
  (ddl) => ddl.syncTrigger({ name: 'xc_sync_1', table: 't', oldColumn: 'name', newColumn: 'label', up: '`name`', down: '`label`', oldDefault: null, columns: ['id', 'c', 'name', 'touched', 'label'] }).drop,
  (ddl) => ddl.dropColumn('t', 'label'),
  (ddl) => ddl.dropColumn('t', 'label'),
  (ddl) => ddl.dropColumn('t', 'n'),
  (ddl) => ddl.dropConstraint('t', 'fk_c'),
  (ddl) => ddl.dropIndex('t', 'ix_n'),
];

describe('MySQL DDL: facts in the model, not in the vocabulary', () => {
  const dialect = new MysqlDialect('10.11.19-MariaDB');

  it('compiles the same with a new vocabulary for every request as with one for all', () => {
    const one = dialect.ddl(schema());
    const shared = requests.map((r) => r(one));
    const model = schema();
    const fresh = requests.map((r) => r(dialect.ddl(model)));
    expect(fresh).toEqual(shared);
  });

  it('reads what earlier requests added from the model', () => {
    const sql = (steps: Step[]) => steps.map((s) => s.sql);
    const model = schema();
    const [, omit, check, , , , , , sync, dropLabel, dropAgain, dropN, dropKey, dropIndex] = requests.map((r) => sql(r(dialect.ddl(model))));
    // Added NOT NULL with a placeholder: writers omitting it get the placeholder back on the way out; no NOT NULL is left to enforce.
    expect(omit).toEqual(['ALTER TABLE `t` ALTER COLUMN `n` SET DEFAULT 0, ALGORITHM=INSTANT, LOCK=DEFAULT']);
    expect(check).toEqual([]);
    // The old column's temporary default goes with the new column, once.
    expect(sync![0]).toBe('ALTER TABLE `t` ALTER COLUMN `name` SET DEFAULT ((`label`)), ALGORITHM=INSTANT, LOCK=DEFAULT');
    expect(dropLabel![0]).toBe('ALTER TABLE `t` ALTER COLUMN `name` DROP DEFAULT, ALGORITHM=INSTANT, LOCK=DEFAULT');
    expect(dropAgain).toEqual(['ALTER TABLE `t` DROP COLUMN `label`, ALGORITHM=NOCOPY, LOCK=NONE']);
    // The column's check (its trigger pair, then the constraint) and its index go first.
    expect(dropN!.filter((s) => /DROP (CHECK|CONSTRAINT|INDEX)/.test(s))).toEqual([
      'ALTER TABLE `t` DROP CONSTRAINT `ck_n`, ALGORITHM=INSTANT, LOCK=DEFAULT',
      'ALTER TABLE `t` DROP INDEX `ix_n`, ALGORITHM=NOCOPY, LOCK=NONE',
    ]);
    // The key MySQL made an index for takes that index along.
    expect(dropKey).toEqual(['ALTER TABLE `t` DROP FOREIGN KEY `fk_c`, ALGORITHM=INSTANT, LOCK=DEFAULT', 'ALTER TABLE `t` DROP INDEX `fk_c`, ALGORITHM=NOCOPY, LOCK=NONE']);
    expect(dropIndex).toEqual(['ALTER TABLE `t` DROP INDEX `ix_n`, ALGORITHM=NOCOPY, LOCK=NONE']);
    // A model without those facts: nothing to restore, nothing known of the key.
    expect(dialect.ddl(schema()).letWritesOmit('t', 'n')).toEqual([]);
    expect(sql(dialect.ddl(schema()).dropConstraint('t', 'fk_c'))).not.toContain('ALTER TABLE `t` DROP FOREIGN KEY `fk_c`, ALGORITHM=INSTANT, LOCK=DEFAULT');
  });
});

describe('planner: plans come complete, and per migration', () => {
  const dialect = new MysqlDialect('10.11.19-MariaDB');
  const migration = (id: string, operations: object[]) => ({ id, file: `${id}.json`, definition: validateMigration({ operations }, `${id}.json`) });

  it('gives backfills, fills and checks their walk key and the columns a batch keeps, as the operation builds them', async () => {
    const plan = await planMigration(migration('0001_a', [{ addColumn: { table: 't', column: { name: 'n', type: 'bigint', nullable: true }, up: '7' } }]), schema(), dialect, null);
    expect(plan.backfill).toMatchObject([{ table: 't', key: ['id'], integerKey: true, keep: ['touched'] }]);
    expect(plan.verify).toMatchObject([{ table: 't', key: ['id'], integerKey: true }]);
    const fill = plan.expand.find((s) => s.fill);
    expect(fill?.fill).toMatchObject({ key: ['id'], integerKey: true, keep: ['touched'] });
    expect(fill?.fill).not.toHaveProperty('where');
    expect(fill?.sql).toBe('UPDATE `t` SET `n` = (7), `touched` = `touched` WHERE (`id` > ?) AND (`id` <= ?)');
  });

  it('plans a migration the same whether the one before it is planned in the same run or in flight', async () => {
    const first = migration('0001_fk', [{ addForeignKey: { table: 't', columns: ['c'], references: { table: 'p', columns: ['id'] }, name: 'fk_c' } }]);
    const second = migration('0002_drop', [{ dropConstraint: { table: 't', name: 'fk_c' } }]);
    const sameRun = schema();
    await planMigration(first, sameRun, dialect, null);
    const inFlight = schema();
    project(first.id, first.definition, inFlight, dialect);
    expect(await planMigration(second, sameRun, dialect, null)).toEqual(await planMigration(second, inFlight, dialect, null));
  });
});

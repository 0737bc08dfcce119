/**
 * Type-level test of `defineMigration`, compiled by `npm run typecheck`
 * (tsconfig includes test/): every `@ts-expect-error` line must fail to
 * compile, so a typing that lets a typo through fails the typecheck, and
 * every other line must compile, so a typing that refuses a valid file does too.
 */
import { defineMigration, type MigrationInput } from '../../src/index.js';

// Valid today, valid still: every operation, defaults left out, expressions per dialect.
defineMigration({
  description: 'every operation',
  operations: [
    { createTable: { table: 'users', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'email', type: 'text', nullable: false, unique: true, references: { table: 'orgs', column: 'id', onDelete: 'cascade' } }] } },
    { dropTable: { table: 'old' } },
    { renameTable: { from: 'a', to: 'b' } },
    { addColumn: { table: 'users', column: { name: 'nickname', type: 'text' }, up: { postgres: 'lower(name)', mysql: 'LOWER(name)' } } },
    { dropColumn: { table: 'users', column: 'legacy', down: "''" } },
    { renameColumn: { table: 'users', from: 'name', to: 'full_name' } },
    { alterColumn: { table: 'orders', column: 'amount', to: 'amount_big', type: 'bigint', default: null, up: 'amount', down: 'amount_big' } },
    { setNotNull: { table: 'orders', column: 'status', up: "'new'" } },
    { addIndex: { table: 'orders', columns: ['user_id'], unique: false, where: 'deleted_at IS NULL' } },
    { dropIndex: { table: 'orders', name: 'orders_user_id_idx' } },
    { addForeignKey: { table: 'orders', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'set null' } },
    { addCheck: { table: 'orders', name: 'amount_positive', expression: 'amount > 0' } },
    { dropConstraint: { table: 'orders', name: 'amount_positive' } },
    { sql: { expand: 'SELECT 1', backfill: { table: 'users', set: { email: { postgres: 'lower(email)' } } } } },
  ],
});
// A name held in a variable of type string, as test/unit/load.test.ts writes one.
const table: string = 'users';
defineMigration({ operations: [{ addIndex: { table, columns: ['email'] } }] });
// What `xc new NAME --format ts` writes (src/migration/load.ts).
defineMigration({ description: 'add users nickname', operations: [] });
// Its commented examples, once uncommented.
defineMigration({
  operations: [
    { alterColumn: { table: 'users', column: 'email', type: 'varchar(320)' } },
    { addColumn: { table: 'users', column: { name: 'nickname', type: 'text' }, up: 'name' } },
    { renameColumn: { table: 'users', from: 'name', to: 'full_name' } },
    { addIndex: { table: 'users', columns: ['email'], unique: true } },
  ],
});
// The return value is the input, typed.
const m: MigrationInput = defineMigration({ operations: [{ dropTable: { table: 'x' } }] });
void m;

// @ts-expect-error an unknown operation (renameColum)
defineMigration({ operations: [{ renameColum: { table: 'users', from: 'name', to: 'full_name' } }] });
// @ts-expect-error a misspelled field (form)
defineMigration({ operations: [{ renameColumn: { table: 'users', form: 'name', to: 'full_name' } }] });
// @ts-expect-error an unknown field on top of valid ones
defineMigration({ operations: [{ dropTable: { table: 'users', cascade: true } }] });
// @ts-expect-error a wrong type (nullable is a boolean)
defineMigration({ operations: [{ addColumn: { table: 'users', column: { name: 'n', type: 'text', nullable: 'no' } } }] });
// @ts-expect-error a missing required field (to)
defineMigration({ operations: [{ renameColumn: { table: 'users', from: 'name' } }] });
// @ts-expect-error two operations in one entry
defineMigration({ operations: [{ dropTable: { table: 'a' }, renameTable: { from: 'b', to: 'c' } }] });
// @ts-expect-error an onDelete action that does not exist
defineMigration({ operations: [{ addForeignKey: { table: 'o', columns: ['u'], references: { table: 'u', columns: ['id'] }, onDelete: 'cascades' } }] });
// @ts-expect-error an expression variant for a database xc does not know
defineMigration({ operations: [{ setNotNull: { table: 'o', column: 's', up: { oracle: "'x'" } } }] });
// @ts-expect-error operations missing
defineMigration({ description: 'nothing' });
// @ts-expect-error an unknown top-level key
defineMigration({ operations: [{ dropTable: { table: 'a' } }], descripton: 'typo' });

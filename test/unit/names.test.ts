/** The one naming module (src/dialects/names.ts), under each dialect's rules. */
import { describe, expect, it } from 'vitest';
import { constraintName, derivedName, fitName, nameLength, nameTaken, objectName, PORTABLE_NAMES, type NameRules } from '../../src/dialects/names.js';
import { PostgresDialect } from '../../src/dialects/postgres/index.js';
import { MysqlDialect } from '../../src/dialects/mysql/index.js';
import { SchemaModel, type TableModel } from '../../src/schema/model.js';

const pg = new PostgresDialect({ concurrentIndexes: true });
const my = new MysqlDialect('10.11.6-MariaDB');
const PG = pg.names;

describe('constraintName', () => {
  it('is PostgreSQL’s <table>_<column>_<label> while it fits', () => {
    expect(constraintName('users', 'email', 'key', PG)).toBe('users_email_key');
    expect(constraintName('users', null, 'pkey', PG)).toBe('users_pkey');
  });

  it('fits 63 bytes, not characters, shortening the longer part a whole character at a time', () => {
    const name = constraintName('é'.repeat(40), 'c'.repeat(10), 'check', PG);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name.endsWith('_cccccccccc_check')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });

  it('fits 64 characters on MySQL/MariaDB, where a longer name in bytes is kept', () => {
    expect(my.constraintName('é'.repeat(40), 'c'.repeat(10), 'check')).toBe(`${'é'.repeat(40)}_${'c'.repeat(10)}_check`);
    const long = my.constraintName('t'.repeat(60), 'c'.repeat(30), 'fkey');
    expect([...long]).toHaveLength(64);
  });
});

describe('derived names', () => {
  it('are <table>_<columns>_<suffix> while they fit, then cut and hashed to the dialect’s limit', () => {
    expect(pg.derivedName('users', ['a', 'b'], 'idx')).toBe('users_a_b_idx');
    const columns = ['c'.repeat(30), 'd'.repeat(30)];
    const onPg = pg.derivedName('t', columns, 'idx');
    expect(Buffer.byteLength(onPg)).toBe(63);
    expect(onPg).toMatch(/^t_c+_d*_[0-9a-f]{8}_idx$/);
    expect([...my.derivedName('t', columns, 'idx')]).toHaveLength(64);
    // 66 bytes, 36 characters: cut on PostgreSQL, whole on MySQL/MariaDB.
    expect(pg.derivedName('t', ['é'.repeat(30)], 'idx')).toMatch(/^t_é+_[0-9a-f]{8}_idx$/);
    expect(my.derivedName('t', ['é'.repeat(30)], 'idx')).toBe(`t_${'é'.repeat(30)}_idx`);
  });

  it('keep distinct names distinct when they are cut', () => {
    const a = derivedName('t', ['x'.repeat(70)], 'idx', PG);
    const b = derivedName('t', ['x'.repeat(69), 'y'], 'idx', PG);
    expect(a).not.toBe(b);
    expect(fitName('x'.repeat(70), '_u', my.names)).toHaveLength(64);
  });

  it('xc’s own are xc_<purpose>_<hash>, stable per migration and operation', () => {
    expect(objectName('0001_init', 2, 'sync')).toMatch(/^xc_sync_[0-9a-f]{10}$/);
    expect(objectName('0001_init', 2, 'sync')).toBe(objectName('0001_init', 2, 'sync'));
    expect(objectName('0001_init', 3, 'sync')).not.toBe(objectName('0001_init', 2, 'sync'));
  });
});

describe('the portable rule migration files keep', () => {
  it('is no looser than any dialect’s: a name that fits it fits every server', () => {
    const strictest = (rules: NameRules) => {
      // A name of at most N bytes has at most N characters: bytes are the stricter unit at the same or a larger limit.
      expect(PORTABLE_NAMES.unit === 'bytes' || rules.unit === 'characters').toBe(true);
      expect(PORTABLE_NAMES.maxLength).toBeLessThanOrEqual(rules.maxLength);
    };
    strictest(pg.names);
    strictest(my.names);
    const name = 'é'.repeat(31); // 62 bytes
    expect(nameLength(name, PORTABLE_NAMES)).toBe(62);
    expect(nameLength(name, my.names)).toBe(31);
  });
});

describe('namespaces', () => {
  const table = (name: string, indexes: string[]): TableModel => ({
    name,
    kind: 'table',
    columns: [],
    primaryKey: [],
    indexes: indexes.map((i) => ({ name: i, columns: [], unique: false, primary: false, constraint: null })),
    checks: [],
    foreignKeys: [],
  });
  const model = SchemaModel.of([table('users', ['users_email_idx']), table('orders', [])]);

  it('PostgreSQL: tables and indexes share one', () => {
    expect(pg.nameTaken(model, 'index', 'users_email_idx', 'orders')).toBe('index "users_email_idx" on "users"');
    expect(pg.nameTaken(model, 'index', 'orders', 'users')).toBe('table "orders"');
    expect(pg.nameTaken(model, 'table', 'users_email_idx')).toBe('index "users_email_idx" on "users"');
    expect(pg.nameTaken(model, 'index', 'free', 'users')).toBeUndefined();
  });

  it('MySQL/MariaDB: an index name is its table’s own', () => {
    expect(my.nameTaken(model, 'index', 'users_email_idx', 'users')).toBe('index "users_email_idx" on "users"');
    expect(my.nameTaken(model, 'index', 'users_email_idx', 'orders')).toBeUndefined();
    expect(my.nameTaken(model, 'index', 'orders', 'users')).toBeUndefined();
    expect(my.nameTaken(model, 'table', 'users_email_idx')).toBeUndefined();
    expect(my.nameTaken(model, 'table', 'orders')).toBe('table "orders"');
  });
});

/**
 * Typed errors (issue 12): each class's code and exit code from one table,
 * `cause` kept as a copy scrubbed of passwords, the `--json` error shape, the
 * issues of an invalid migration file, and the README's list of codes.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CannotSucceedError,
  DataMismatchError,
  DriftError,
  errorCodes,
  InterruptedError,
  InvalidInputError,
  LockHeldError,
  LockTimeoutError,
  NameTakenError,
  RefusedError,
  SqlFailedError,
  XcError,
} from '../../src/errors.js';
import { DemoOffScriptError } from '../../src/demo/demo.js';
import { createOutput } from '../../src/cli/output.js';
import { knownSecrets } from '../../src/db/redact.js';
import { validateMigration } from '../../src/migration/validate.js';
import { MysqlDialect } from '../../src/dialects/mysql/index.js';
import { planMigration } from '../../src/engine/planner.js';
import { SchemaModel } from '../../src/schema/model.js';

describe('error classes', () => {
  it.each([
    [new InvalidInputError('m'), 2, 'invalid_config'],
    [new InvalidInputError('m', {}, { code: 'invalid_migration' }), 2, 'invalid_migration'],
    [new DriftError('m'), 2, 'drift'],
    [new CannotSucceedError('m'), 2, 'cannot_succeed'],
    [new RefusedError('m'), 3, 'phase_order'],
    [new RefusedError('m', {}, { code: 'gate_refused' }), 3, 'gate_refused'],
    [new LockHeldError('m'), 4, 'lock_held'],
    [new LockHeldError('m', {}, { code: 'lock_lost' }), 4, 'lock_lost'],
    [new LockTimeoutError('m'), 5, 'lock_timeout'],
    [new DataMismatchError('m'), 1, 'data_mismatch'],
    [new SqlFailedError('m'), 1, 'sql_failed'],
    [new NameTakenError('m'), 1, 'name_taken'],
    [new InterruptedError('m', 'SIGINT'), 130, 'interrupted'],
    [new InterruptedError('m', 'SIGTERM'), 143, 'interrupted'],
    [new DemoOffScriptError('m'), 1, 'failed'],
  ] as const)('%s: exit %i, code %s', (err, exitCode, code) => {
    expect(err).toBeInstanceOf(XcError);
    expect(err.exitCode).toBe(exitCode);
    expect(err.code).toBe(code);
    expect(err.name).toBe(err.constructor.name);
  });

  it('a code given at the throw site must be one of its class (checked by the compiler)', () => {
    // @ts-expect-error lock_timeout is LockTimeoutError's, not InvalidInputError's
    const wrong = new InvalidInputError('m', {}, { code: 'lock_timeout' });
    expect(wrong.exitCode).toBe(2); // the exit code still comes from the class, whatever the code
  });
});

describe('cause', () => {
  const secret = 'Pw-errors-7731';
  knownSecrets.add(secret);

  /** A driver-style error holding the password in every place one could: message, stack, fields, nested errors. */
  function driverError(): Error {
    const inner = Object.assign(new Error(`connect ECONNREFUSED with ${secret}`), { code: 'ECONNREFUSED', port: 1 });
    const err = new AggregateError([inner], `cannot reach postgres://app:${secret}@db.internal/shop`);
    Object.assign(err, { code: '28P01', errno: 1045, sql: `SELECT '${secret}'`, password: 'plain-other', config: { connectionString: `postgres://app:${secret}@h/x` } });
    return err;
  }

  it('is kept through a wrap as a scrubbed copy: no password in any field, in util.inspect or in the JSON', () => {
    const original = driverError();
    const err = new SqlFailedError('step failed', { code: '28P01' }, { cause: original });
    const cause = err.cause as Error & Record<string, unknown>;
    expect(cause).toBeInstanceOf(Error);
    expect(cause).not.toBe(original);
    expect(cause.name).toBe('AggregateError');
    expect(cause.message).toBe('cannot reach postgres://app:***@db.internal/shop');
    expect(cause).toMatchObject({ code: '28P01', errno: 1045, sql: "SELECT '***'" });
    expect(cause).not.toHaveProperty('password'); // a secret by its name, whatever it holds
    expect(cause).not.toHaveProperty('config'); // objects (configs, sockets) are not copied
    expect((cause.errors as Error[])[0]).toMatchObject({ message: 'connect ECONNREFUSED with ***', code: 'ECONNREFUSED', port: 1 });
    const shown = inspect(err, { depth: 10 }) + JSON.stringify(cause) + String(cause.stack);
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain('plain-other');
    expect(shown).toContain('ECONNREFUSED');
  });

  it('is absent when nothing is wrapped, and an XcError cause is kept as it is', () => {
    expect(new LockTimeoutError('m')).not.toHaveProperty('cause');
    const inner = new LockHeldError('inner');
    expect(new SqlFailedError('outer', {}, { cause: inner }).cause).toBe(inner);
    expect(new SqlFailedError('outer', {}, { cause: `text with ${secret}` }).cause).toBe('text with ***');
  });
});

/** The last JSON line `createOutput({ json: true }).error(err)` prints. */
function jsonError(err: unknown): Record<string, any> {
  let out = '';
  const stream = { isTTY: false, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WriteStream;
  createOutput({ json: true, stdout: stream, stderr: stream }).error(err);
  return JSON.parse(out.trimEnd().split('\n').at(-1)!);
}

describe('--json error', () => {
  it('keeps message, exitCode and details, and adds code, the issues and the cause', () => {
    const issues = [{ code: 'column_missing' as const, table: 'users', column: 'nme', file: 'm/0001_x.json', path: ['operations', 0, 'renameColumn', 'from'], message: 'table "users" has no column "nme"' }];
    const invalid = new InvalidInputError('m/0001_x.json is not valid against the database:\n  ...', { migration: '0001_x' }, { code: 'invalid_migration', issues });
    expect(jsonError(invalid)).toEqual({
      ok: false,
      error: { message: invalid.message, exitCode: 2, details: { migration: '0001_x' }, code: 'invalid_migration', issues },
    });
    const wrapped = new SqlFailedError('add column failed: boom', { sql: 'ALTER TABLE t', code: '42P01' }, { cause: Object.assign(new Error('relation "t" does not exist'), { code: '42P01' }) });
    expect(jsonError(wrapped).error).toEqual({
      message: 'add column failed: boom',
      exitCode: 1,
      details: { sql: 'ALTER TABLE t', code: '42P01' },
      code: 'sql_failed',
      cause: { name: 'Error', message: 'relation "t" does not exist', code: '42P01' },
    });
    expect(jsonError(new TypeError('x is not a function')).error).toEqual({ message: 'x is not a function', exitCode: 1, details: {}, code: 'failed' });
  });
});

describe('issues of a migration file', () => {
  it('each problem of the file shape is an issue with its path, and the message is the same lines as before', () => {
    const err = (() => {
      try {
        validateMigration({ operations: [{ addColumn: { table: 'users', column: { name: 5 } } }, { renameColum: {} }] }, 'm/0001_bad.json');
      } catch (e) {
        return e as InvalidInputError;
      }
      throw new Error('expected a rejection');
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.code).toBe('invalid_migration');
    expect(err.issues).toEqual([
      { code: 'invalid_format', file: 'm/0001_bad.json', path: ['operations', 0, 'addColumn', 'column', 'name'], message: expect.stringContaining('expected string') },
      { code: 'invalid_format', file: 'm/0001_bad.json', path: ['operations', 0, 'addColumn', 'column', 'type'], message: expect.stringContaining('required') },
      { code: 'invalid_format', file: 'm/0001_bad.json', path: ['operations', 1, 'renameColum'], message: expect.stringContaining('unknown operation "renameColum"') },
    ]);
    expect(err.message.split('\n')).toEqual(err.issues.map((i) => `m/0001_bad.json: ${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '')}: ${i.message}`));
  });

  it('a NUL character is an issue at its path', () => {
    expect(() => validateMigration({ operations: [{ dropTable: { table: 'a\0b' } }] }, 'f.json')).toThrow(
      expect.objectContaining({ code: 'invalid_migration', issues: [expect.objectContaining({ code: 'invalid_format', path: ['operations', 0, 'dropTable', 'table'] })] }),
    );
  });
});

describe('a file only the dialect refuses, at plan', () => {
  const model = () =>
    SchemaModel.of([{ name: 't', kind: 'table', columns: [{ name: 'id', type: 'int', nullable: false, default: null }, { name: 'c', type: 'int', nullable: true, default: null }], primaryKey: ['id'], indexes: [], checks: [], foreignKeys: [] }]);
  const plan = (operations: unknown[]) =>
    planMigration({ id: '0001_x', file: 'm/0001_x.json', definition: validateMigration({ operations }, 'm/0001_x.json') }, model(), new MysqlDialect('10.11.19-MariaDB'), null);

  it('MySQL/MariaDB: a partial index is invalid_migration (exit 2), though the file is valid', async () => {
    await expect(plan([{ addIndex: { table: 't', columns: ['c'], where: 'c > 0' } }])).rejects.toMatchObject({ code: 'invalid_migration', exitCode: 2, message: expect.stringMatching(/no partial indexes/) });
  });
});

describe('README', () => {
  it('lists every error code', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Errors'));
    for (const code of Object.keys(errorCodes())) expect(section, code).toContain(`\`${code}\``);
  });
});

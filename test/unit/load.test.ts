import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { loadMigrations, newMigrationFile, canonicalJson } from '../../src/migration/load.js';
import { rejection } from '../helpers/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xc-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rename = { description: 'rename', operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] };

async function put(name: string, text: string): Promise<string> {
  await writeFile(path.join(dir, name), text);
  return path.join(dir, name);
}

/** The InvalidInputError `loadMigrations(dir)` throws. */
async function loadError(): Promise<InvalidInputError> {
  try {
    await loadMigrations(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected loadMigrations to fail');
}

describe('loadMigrations', () => {
  it('loads every format, sorted by id, ignoring other files', async () => {
    await put('0003_c.yaml', 'operations:\n  - dropTable:\n      table: old\n');
    await put('0001_a.json', JSON.stringify(rename));
    await put('0002_b.ts', `import { defineMigration } from 'expand-contract';\nconst t: string = 'users';\nexport default defineMigration({ operations: [{ addIndex: { table: t, columns: ['email'] } }] });\n`);
    await put('0004_d.mjs', `export default { operations: [{ dropIndex: { table: 'users', name: 'i' } }] };\n`);
    await put('0005_e.yml', 'operations: [{ sql: { expand: "SELECT 1" } }]\n');
    await put('0006_f.mts', `export default { operations: [{ addCheck: { table: 'u', name: 'c', expression: 'x > 0' } }] };\n`);
    await put('0007_g.js', `export default { operations: [{ dropConstraint: { table: 'u', name: 'c' } }] };\n`);
    await put('README.md', '# notes');
    await put('.hidden.json', '{');
    await put('types.d.ts', 'export {};');
    await mkdir(path.join(dir, 'sub.json'));
    const all = await loadMigrations(dir);
    expect(all.map((m) => m.id)).toEqual(['0001_a', '0002_b', '0003_c', '0004_d', '0005_e', '0006_f', '0007_g']);
    expect(all[0]!.file).toBe(path.join(dir, '0001_a.json'));
    expect(all[1]!.definition.operations[0]).toEqual({ addIndex: { table: 'users', columns: ['email'] } });
    expect(all[0]!.definition).toEqual(rename);
    for (const m of all) expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('CommonJS: module.exports = defineMigration(…) in a file that require()s (campaign T: "no default export")', async () => {
    // A CommonJS project: its package.json beside the migrations folder.
    const m = path.join(dir, 'm');
    await mkdir(m);
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    await writeFile(path.join(m, '0001_a.js'), `const { defineMigration } = require('expand-contract');\nmodule.exports = defineMigration({ operations: [{ sql: { expand: 'SELECT 1' } }] });\n`);
    await writeFile(path.join(m, '0002_b.js'), `const path = require('node:path');\nmodule.exports = { operations: [{ sql: { expand: 'SELECT ' + path.sep.length } }] };\n`);
    const all = await loadMigrations(m);
    expect(all.map((x) => x.definition.operations)).toEqual([[{ sql: { expand: 'SELECT 1' } }], [{ sql: { expand: 'SELECT 1' } }]]);
  });

  it('fills in zod defaults in every format: a column is nullable unless it says otherwise', async () => {
    const columns = [{ name: 'id', type: 'int', nullable: false }, { name: 'note', type: 'text' }];
    await put('0001_a.json', JSON.stringify({ operations: [{ createTable: { table: 't', columns } }] }));
    await put('0002_b.yaml', 'operations:\n  - addColumn:\n      table: t\n      column: { name: tag, type: text }\n');
    await put('0003_c.ts', `export default { operations: [{ alterColumn: { table: 't', column: 'note', to: 'memo', type: 'text', up: 'note', down: 'memo' } }, { addColumn: { table: 't', column: { name: 'n', type: 'int' } } }] };\n`);
    const [a, b, c] = await loadMigrations(dir);
    expect(a!.definition.operations).toEqual([{ createTable: { table: 't', columns: [{ name: 'id', type: 'int', nullable: false }, { name: 'note', type: 'text', nullable: true }] } }]);
    expect(b!.definition.operations).toEqual([{ addColumn: { table: 't', column: { name: 'tag', type: 'text', nullable: true } } }]);
    // alterColumn's `nullable` has no default (absent: the column keeps what it had); a Column's has.
    expect(c!.definition.operations).toEqual([
      { alterColumn: { table: 't', column: 'note', to: 'memo', type: 'text', up: 'note', down: 'memo' } },
      { addColumn: { table: 't', column: { name: 'n', type: 'int', nullable: true } } },
    ]);
  });

  it('a referential action in any case, or with `_` for the space (pgroll writes "CASCADE", ORMs SET_NULL), is read as the lower-case one; a wrong one still names the values (campaign AA)', async () => {
    const references = (onDelete: string) => ({ operations: [{ addForeignKey: { table: 'o', columns: ['u'], references: { table: 'u', columns: ['id'] }, onDelete } }] });
    await put('0001_a.json', JSON.stringify(references('CASCADE')));
    await put('0002_b.yaml', 'operations:\n  - addColumn:\n      table: t\n      column: { name: u, type: int, references: { table: u, column: id, onDelete: SET_NULL } }\n');
    const [a, b] = await loadMigrations(dir);
    expect((a!.definition.operations[0] as { addForeignKey: { onDelete: string } }).addForeignKey.onDelete).toBe('cascade');
    expect((b!.definition.operations[0] as { addColumn: { column: { references: { onDelete: string } } } }).addColumn.column.references.onDelete).toBe('set null');
    await put('0001_a.json', JSON.stringify(references('cascades')));
    await expect(loadMigrations(dir)).rejects.toThrow(/0001_a\.json: operations\[0\]\.addForeignKey\.onDelete: [^\n]*"cascade"/);
  });

  it('keeps the dir as given in `file`', async () => {
    await put('0001_a.json', JSON.stringify(rename));
    const rel = path.relative(process.cwd(), dir);
    const [m] = await loadMigrations(rel);
    expect(m!.file).toBe(path.join(rel, '0001_a.json'));
  });

  it('sees an edited TS file again in the same process', async () => {
    const f = await put('0001_a.ts', `export default { operations: [{ dropTable: { table: 'a' } }] };\n`);
    const [a] = await loadMigrations(dir);
    await writeFile(f, `export default { operations: [{ dropTable: { table: 'b' } }] };\n`);
    const [b] = await loadMigrations(dir);
    expect(b!.definition.operations[0]).toEqual({ dropTable: { table: 'b' } });
    expect(b!.checksum).not.toBe(a!.checksum);
  });

  it('checksum ignores formatting and key order, not semantics', async () => {
    await put('0001_a.json', JSON.stringify(rename));
    const [a] = await loadMigrations(dir);
    await put('0001_a.json', `{\n  "operations": [ { "renameColumn": { "to": "full_name", "from": "name", "table": "users" } } ],\n    "description": "rename"\n}\n`);
    const [b] = await loadMigrations(dir);
    expect(b!.checksum).toBe(a!.checksum);
    await rm(path.join(dir, '0001_a.json'));
    await put('0001_a.yaml', 'description: rename\noperations:\n  - renameColumn: {table: users, from: name, to: full_name}\n');
    const [c] = await loadMigrations(dir);
    expect(c!.checksum).toBe(a!.checksum);
    await put('0001_a.yaml', 'description: rename\noperations:\n  - renameColumn: {table: users, from: name, to: fullname}\n');
    const [d] = await loadMigrations(dir);
    expect(d!.checksum).not.toBe(a!.checksum);
  });

  it('YAML merge keys (`<<: *base`, as a Rails database.yml writes them) merge, the keys written beside them winning', async () => {
    await put('0001_a.yaml', 'x-col: &col {type: varchar(40), nullable: false, default: "\'\'"}\noperations:\n  - addColumn:\n      table: users\n      column: {<<: *col, name: nick, nullable: true}\n');
    // x-col is no key of a migration: the anchor's home is refused as any unknown key; inside one that is known, it reads.
    await expect(loadMigrations(dir)).rejects.toThrow(/unknown key "x-col"/);
    await put('0001_a.yaml', 'operations:\n  - addColumn:\n      table: users\n      column: &col {name: nick, type: varchar(40), nullable: false, default: "\'\'"}\n  - addColumn:\n      table: users\n      column: {<<: *col, name: nick2, nullable: true}\n');
    const [m] = await loadMigrations(dir);
    expect(m!.definition.operations[1]).toEqual({ addColumn: { table: 'users', column: { name: 'nick2', type: 'varchar(40)', nullable: true, default: "''" } } });
    // 120 columns merging one base: no alias bomb (campaign BG: refused past 100 aliases).
    const columns = Array.from({ length: 120 }, (_, i) => `      - {<<: *base, name: c${i}}`).join('\n');
    await put('0001_a.yaml', `operations:\n  - createTable:\n      table: t\n      columns:\n      - &base {name: id, type: int, nullable: true}\n${columns}\n`);
    expect((await loadMigrations(dir))[0]!.definition.operations[0]).toMatchObject({ createTable: { columns: expect.arrayContaining([{ name: 'c119', type: 'int', nullable: true }]) } });
  });

  it('a number with a fraction past 15 significant digits is refused where it is written: the parser has lost digits of it (campaign BL)', async () => {
    const column = (d: string) => `{"operations":[{"addColumn":{"table":"t","column":{"name":"x","type":"numeric(40,20)","default":${d}}}}],"description":"1.00000000000000001"}`;
    await put('0001_a.json', column('1.00000000000000001'));
    expect((await loadError()).message).toBe(`${path.join(dir, '0001_a.json')}:1:97: 1.00000000000000001 has more significant digits than a JSON or YAML number is sure to keep (15), so the parser may have changed it: write it as a string of its digits ("1.00000000000000001")`);
    await put('0001_a.json', column('0.1000000000000000055511e-3'));
    expect((await loadError()).message).toMatch(/:1:97: 0\.1000000000000000055511e-3 has more significant digits/);
    await put('0001_a.yaml', 'operations:\n  - addColumn:\n      table: t\n      column: {name: x, type: "numeric(40,20)", default: 1.00000000000000001}\n');
    await rm(path.join(dir, '0001_a.json'));
    expect((await loadError()).message).toMatch(/0001_a\.yaml:4:58: 1\.00000000000000001 has more significant digits/);
    // Trailing zeros, integers (checked by value where used), text and 15 digits are as written.
    await put('0001_a.yaml', 'operations:\n  - addColumn:\n      table: t\n      column: {name: x, type: "numeric(40,20)", default: 1.50000000000000000000, comment: "1.00000000000000001"}\n  - addColumn:\n      table: t\n      column: {name: y, type: "numeric(40,20)", default: 0.123456789012345}\n');
    expect((await loadMigrations(dir))[0]!.definition.operations.map((o) => (o as { addColumn: { column: { default: string } } }).addColumn.column.default)).toEqual(['1.5', '0.123456789012345']);
  });

  it('canonicalJson sorts keys recursively', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } })).toBe('{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('refuses a missing folder, saying how to create one', async () => {
    const missing = path.join(dir, 'nope');
    await expect(loadMigrations(missing)).rejects.toThrow(InvalidInputError);
    await expect(loadMigrations(missing)).rejects.toThrow(/nope.*xc new NAME/);
  });

  it('refuses two files with the same id', async () => {
    await put('0001_a.json', JSON.stringify(rename));
    await put('0001_a.ts', `export default ${JSON.stringify(rename)};`);
    const e = await loadError();
    expect(e.message).toMatch(/0001_a/);
    expect(e.message).toContain('0001_a.json');
    expect(e.message).toContain('0001_a.ts');
  });

  it('refuses a bad id', async () => {
    await put('_bad id.json', JSON.stringify(rename));
    const e = await loadError();
    expect(e.message).toContain('_bad id.json');
  });

  const bad: Array<[string, string, string, RegExp[]]> = [
    ['unknown operation', '0002_x.json', JSON.stringify({ operations: [{ frobnicate: { table: 'a' } }] }), [/operations\[0\]\.frobnicate/, /unknown operation "frobnicate"/, /renameColumn/]],
    ['missing field', '0002_x.json', JSON.stringify({ operations: [{ renameColumn: { table: 'a', to: 'b' } }] }), [/operations\[0\]\.renameColumn\.from: required: expected string/]],
    ['wrong type', '0002_x.json', JSON.stringify({ operations: [{ renameColumn: { table: 'a', from: 1, to: 'b' } }] }), [/operations\[0\]\.renameColumn\.from: expected string, received number/]],
    ['unknown field', '0002_x.json', JSON.stringify({ operations: [{ renameColumn: { table: 'a', from: 'x', to: 'b', frm: 1 } }] }), [/operations\[0\]\.renameColumn: unknown key "frm"; expected only: table, from, to/]],
    ['two keys in one op', '0002_x.json', JSON.stringify({ operations: [{ dropTable: { table: 'a' }, dropIndex: { table: 'a', name: 'i' } }] }), [/operations\[0\]: expected exactly one key/, /dropTable, dropIndex/]],
    ['zero operations', '0002_x.json', JSON.stringify({ operations: [] }), [/operations: empty: a migration needs at least one operation; add one/]],
    ['bad JSON', '0002_x.json', '{\n  "operations": [\n    { "dropTable": { "table": "a" } }\n  ],,\n}\n', [/0002_x\.json:4:\d+: invalid JSON/]],
    // The parser gives no position for this one: found by xc's scan, not the file's end (campaign DW: `:2:1`, and its quote's line break).
    ['bad JSON, no position given', '0002_x.json', '{"operations":[{"addIndex":{"table":"users","columns":["name"]}},]}\n', [/0002_x\.json:1:66: invalid JSON: Unexpected token '\]'$/]],
    ['bad YAML', '0002_x.yaml', 'operations:\n  - dropTable:\n      table: a\n     bad: [\n', [/0002_x\.yaml:\d+:\d+: invalid YAML/]],
    ['TS that throws', '0002_x.ts', `const x: number = 1;\nthrow new Error('boom ' + x);\nexport default {};\n`, [/0002_x\.ts: failed to load: .*boom 1/]],
    ['TS syntax error', '0002_x.ts', `export default {\n  operations: [ { dropTable: { table: 'a' } }, ] ;\n`, [/0002_x\.ts:2:\d+: failed to load: .*Unexpected token/]],
    ['TS without default export', '0002_x.ts', `export const operations = [];\n`, [/0002_x\.ts: no default export; expected `export default defineMigration/]],
    ['nested wrong type', '0002_x.yaml', 'operations:\n  - addColumn:\n      table: a\n      column: { name: c, type: text, nullable: maybe }\n', [/operations\[0\]\.addColumn\.column\.nullable: expected boolean, received string/]],
    ['not an object', '0002_x.json', '[1]', [/0002_x\.json: expected object, received array/]],
    // Campaign FH: "expected object or object".
    ['one of two objects', '0002_x.json', JSON.stringify({ operations: [{ createTable: { table: 's', columns: [{ name: 'id', type: 'bigint', primaryKey: true, generated: 'identity' }] } }] }), [/operations\[0\]\.createTable\.columns\[0\]\.generated: expected \{ expression \} or \{ identity \}, received string/]],
    [
      'a YAML alias bomb (issue 11)',
      '0002_x.yaml',
      ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`), 'operations: [*f]\n'].join('\n'),
      [/0002_x\.yaml: invalid YAML: Excessive alias count/],
    ],
    ['TS that calls process.exit while it loads (issue 11)', '0002_x.ts', `process.exit(0);\nexport default {};\n`, [/0002_x\.ts: failed to load: it called process\.exit\(0\) while loading/]],
    ['a __proto__ key (issue 11)', '0002_x.json', '{"__proto__": {"polluted": 1}, "operations": [{"dropTable": {"table": "a"}}]}', [/0002_x\.json: unknown key "__proto__"/]],
  ];
  for (const [what, name, text, patterns] of bad) {
    it(`reports ${what} with file, path and what was expected`, async () => {
      await put('0001_ok.json', JSON.stringify(rename));
      await put(name, text);
      const e = await loadError();
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(path.join(dir, name));
      for (const p of patterns) expect(e.message).toMatch(p);
    });
  }
});

describe('newMigrationFile', () => {
  const now = new Date(Date.UTC(2026, 10, 27, 12, 0, 5));
  for (const format of ['ts', 'json', 'yaml'] as const) {
    it(`writes a ${format} template with no operation, refused (exit 2) naming the file`, async () => {
      const target = path.join(dir, 'migrations');
      const file = await newMigrationFile(target, 'add_nickname', format, now);
      expect(path.basename(file)).toBe(`20261127120005_add_nickname.${format}`);
      const e = await rejection(loadMigrations(target));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(file);
      expect(e.message).toMatch(/operations: empty: .*add one \(README, section Operations\)/);
    });
  }

  it('files made within one second (or after a newer one) get ids in the order made (campaign FH: a_index_it sorted before z_create_table)', async () => {
    const target = path.join(dir, 'migrations');
    const names = ['z_create_table', 'a_index_it', 'm_fill'];
    const made = [];
    for (const name of names) made.push(path.basename(await newMigrationFile(target, name, 'json', now)));
    expect(made).toEqual(['20261127120005_z_create_table.json', '20261127120006_a_index_it.json', '20261127120007_m_fill.json']);
    expect((await loadMigrations(target).catch(() => [])).length).toBe(0); // empty templates: refused, as above
    expect([...made].sort()).toEqual(made);
    // Past the end of a minute, a day, a year.
    const late = path.join(dir, 'late');
    const eve = new Date(Date.UTC(2026, 11, 31, 23, 59, 59));
    expect(path.basename(await newMigrationFile(late, 'a', 'json', eve))).toBe('20261231235959_a.json');
    expect(path.basename(await newMigrationFile(late, 'b', 'json', eve))).toBe('20270101000000_b.json');
  });

  // The commented examples are real: uncommented, each one loads.
  for (const format of ['ts', 'yaml'] as const) {
    it(`the ${format} template's examples are valid operations once uncommented`, async () => {
      const target = path.join(dir, 'migrations');
      const file = await newMigrationFile(target, 'add_nickname', format, now);
      const text = await readFile(file, 'utf8');
      const examples = format === 'ts' ? [...text.matchAll(/^\/\/ {3}(\{.*\})(?: {3}\/\/.*)?$/gm)] : [...text.matchAll(/^# {3}(- .*?)(?: {3}#.*)?$/gm)];
      expect(examples.map((m) => m[1]!.match(/\w+(?=:)/)![0])).toEqual(['alterColumn', 'addColumn', 'renameColumn', 'addIndex']);
      const list = format === 'ts' ? `[${examples.map((m) => m[1]).join(', ')}]` : `\n${examples.map((m) => `  ${m[1]}`).join('\n')}`;
      await writeFile(file, text.replace(/operations: \[\]/, `operations: ${list}`));
      const [m] = await loadMigrations(target);
      expect(m!.definition.operations.map((o) => Object.keys(o)[0])).toEqual(['alterColumn', 'addColumn', 'renameColumn', 'addIndex']);
      expect(m!.definition.operations[1]).toMatchObject({ addColumn: { table: 'users', column: { name: 'nickname', type: 'text' }, up: 'name' } });
    });
  }

  it('without a format: that of the newest migration in the folder, else ts', async () => {
    const target = path.join(dir, 'migrations');
    expect(path.extname(await newMigrationFile(target, 'first', undefined, now))).toBe('.ts');
    await writeFile(path.join(target, '20990101000000_later.yml'), 'operations: [{ dropTable: { table: t } }]\n');
    expect(path.extname(await newMigrationFile(target, 'second', undefined, now))).toBe('.yaml');
    await writeFile(path.join(target, '20990101000009_later.json'), '{}');
    expect(path.extname(await newMigrationFile(target, 'third', undefined, now))).toBe('.json');
  });

  it('refuses unsafe names', async () => {
    await expect(newMigrationFile(dir, '../evil')).rejects.toThrow(InvalidInputError);
    await expect(newMigrationFile(dir, 'has space')).rejects.toThrow(InvalidInputError);
    await newMigrationFile(dir, 'a', 'json', now);
    // The same name again within the second: the next second's id (ids are unique by their timestamp), not a clash.
    expect(path.basename(await newMigrationFile(dir, 'a', 'json', now))).toBe('20261127120006_a.json');
    expect(await readdir(dir)).toHaveLength(2);
  });
});

describe('found by the chaos suite\'s input corpus', () => {
  const table = (t: string, columns: unknown[] = [{ name: 'id', type: 'int' }]) => JSON.stringify({ operations: [{ createTable: { table: t, columns } }] });

  it.each(['constructor', 'toString', '__defineGetter__'])('an operation named %s is an unknown operation (exit 2), not a TypeError', async (kind) => {
    await put('0001_a.yaml', `operations:\n  - ${kind}: { table: users }\n`);
    expect((await loadError()).message).toMatch(new RegExp(`0001_a\\.yaml: operations\\[0\\]\\.${kind}: unknown operation "${kind}"`));
  });

  it('a NUL anywhere in a file is refused naming each path (neither database stores it)', async () => {
    await put('0001_a.json', JSON.stringify({ operations: [{ addColumn: { table: 'users\u0000', column: { name: 'c', type: 'int' }, up: "'a\u0000'" } }] }));
    const err = await loadError();
    expect(err.message).toMatch(/0001_a\.json: operations\[0\]\.addColumn\.table: holds a NUL character/);
    expect(err.message).toMatch(/0001_a\.json: operations\[0\]\.addColumn\.up: holds a NUL character/);
  });

  it.each([
    ['trailing whitespace', 'users ', /cannot end with whitespace/],
    ['a trailing tab', 'users\t', /cannot end with whitespace/],
    ['an emoji', 'users🙂', /cannot hold 🙂 \(U\+1F642\)/],
  ])('a name with %s is refused: MySQL/MariaDB would fail half-way through apply', async (_what, name, message) => {
    await put('0001_a.json', table(name));
    const err = await loadError();
    expect(err.message).toMatch(/0001_a\.json: operations\[0\]\.createTable\.table: /);
    expect(err.message).toMatch(message);
  });

  it('columns of one table whose names differ only in case are refused (one column on MySQL/MariaDB)', async () => {
    await put('0001_a.json', table('t', [{ name: 'id', type: 'int' }, { name: 'Name', type: 'text' }, { name: 'NAME', type: 'text' }]));
    expect((await loadError()).message).toMatch(/operations\[0\]\.createTable\.columns\[2\]\.name: "NAME" is the name of columns\[1\] up to case/);
  });

  it('ids that differ only in case are refused (one file on a case-insensitive file system)', async () => {
    await put('0001_Init.json', table('a'));
    await put('0001_init.json', table('b'));
    expect((await loadError()).message).toMatch(/two migration files have ids that differ only in case: .*0001_Init\.json and .*0001_init\.json/);
  });

  it('a folder of another tool\'s .sql migrations is refused, not read as having nothing to do (campaign I)', async () => {
    await put('000001_create_users.up.sql', 'CREATE TABLE users (id int PRIMARY KEY);');
    await put('000001_create_users.down.sql', 'DROP TABLE users;');
    await put('V2__add_email.sql', 'ALTER TABLE users ADD COLUMN email text;');
    const err = await loadError();
    expect(err).toMatchObject({ code: 'invalid_migration', exitCode: 2 });
    expect(err.message).toMatch(/000001_create_users\.down\.sql \(and 2 more \.sql files\): xc does not run \.sql files \(another tool's migrations\?\); write each change as an xc migration .*raw statements in a `sql` operation/);
  });

  it.each([
    ['Prisma', ['20260101000000_init/migration.sql', 'migration_lock.toml'], /migration_lock\.toml: .* holds no xc migration but another tool's \(migration_lock\.toml\)/],
    ['Hasura', ['default/1700000000000_add_nickname/up.sql', 'default/1700000000000_add_nickname/down.sql'], /default\/1700000000000_add_nickname\/down\.sql: .* holds no xc migration but another tool's \(\.sql files in its folders\)/],
    ['Sqitch', ['deploy/add_nickname.sql', 'revert/add_nickname.sql', 'sqitch.plan'], /sqitch\.plan: .* holds no xc migration/],
    // A Maven/Gradle project's root, Flyway's folder five levels down (campaign CG: "nothing to apply", exit 0).
    ['Flyway in a Spring project', ['pom.xml', 'src/main/resources/db/migration/V1__init.sql', 'src/main/java/App.java'], /src\/main\/resources\/db\/migration\/V1__init\.sql: .* holds no xc migration but another tool's/],
  ])("%s's folder of folders is refused too, not read as having nothing to do (campaign M)", async (_tool, files, message) => {
    for (const f of files) {
      await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await put(f, 'SELECT 1;');
    }
    const err = await loadError();
    expect(err).toMatchObject({ code: 'invalid_migration', exitCode: 2 });
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/write each change as an xc migration/);
  });

  it('from a Spring project\'s src or src/main too, Flyway\'s folder is found (campaign CG)', async () => {
    await mkdir(path.join(dir, 'src/main/resources/db/migration'), { recursive: true });
    await put('src/main/resources/db/migration/V1__init.sql', 'SELECT 1;');
    await mkdir(path.join(dir, 'vendor/src/main/resources/db/migration/postgres'), { recursive: true });
    await put('vendor/src/main/resources/db/migration/postgres/V1__init.sql', 'SELECT 1;'); // a vendor's folder (campaign CI)
    for (const from of ['src', 'src/main', 'vendor']) {
      const err = await loadMigrations(path.join(dir, from)).then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message, from).toMatch(/db\/migration\/(postgres\/)?V1__init\.sql: .* holds no xc migration but another tool's/);
    }
  });

  it('a folder of xc migrations may keep .sql files in a folder beside them (helpers, fixtures)', async () => {
    await put('0001_a.json', table('a'));
    await mkdir(path.join(dir, 'fixtures'));
    await put('fixtures/seed.sql', 'INSERT INTO a VALUES (1);');
    expect((await loadMigrations(dir)).map((m) => m.id)).toEqual(['0001_a']);
  });

  // Nested past the parser's stack, the yaml package's recursion could end inside V8's regular-expression compiler,
  // which aborts the process (the chaos suite's input round died so): refused before the parser recurses (nesting.ts).
  it.each([
    ['a flow sequence', (n: number) => `description: ${'['.repeat(n)}x${']'.repeat(n)}\noperations: []\n`, 1, 14],
    ['compact block sequences', (n: number) => `operations: []\ndescription:\n  ${'- '.repeat(n)}x\n`, 3, 3],
  ])('YAML nested deeper than 64 levels (%s) is refused at the level that goes past, in one line', async (_, text, line, col) => {
    // The document's own mapping is the first level: 63 more fit, the 64th goes past.
    await put('0001_a.yaml', text(63));
    expect((await loadError()).message).toMatch(/0001_a\.yaml: description: expected string/);
    await put('0001_a.yaml', text(20_000));
    const err = await loadError();
    expect(err.message).toBe(`${path.join(dir, '0001_a.yaml')}:${line}:${col + (line === 1 ? 63 : 126)}: invalid YAML: nested more than 64 levels deep here; a migration or config file needs only a few`);
    expect(err.exitCode).toBe(2);
  });

  it('a YAML file of two documents is refused at the second, in xc\'s words (campaign AZ: the yaml package\'s "please use YAML.parseAllDocuments()")', async () => {
    await put('0001_a.yaml', 'operations: []\n---\noperations: []\n');
    expect((await loadError()).message).toBe(`${path.join(dir, '0001_a.yaml')}:2:1: invalid YAML: a second document begins here (a \`---\` line): a migration or config file is one document`);
  });

  it('files loading at once in one process (two createXc) leave process.exit as it was', async () => {
    const exit = process.exit;
    const slow = (n: number) => `await new Promise((r) => setTimeout(r, ${n}));\nexport default ${JSON.stringify(rename)};\n`;
    const other = await mkdtemp(path.join(os.tmpdir(), 'xc-load-'));
    try {
      await put('0001_a.ts', slow(30));
      await writeFile(path.join(other, '0001_b.ts'), slow(80));
      // The second starts loading inside the first and ends after it: each used to put back what it found, the second the first's stand-in.
      await Promise.all([loadMigrations(dir), new Promise((r) => setTimeout(r, 5)).then(() => loadMigrations(other))]);
      expect(process.exit).toBe(exit);
    } finally {
      process.exit = exit;
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('bytes and depth (the chaos suite\'s input corpus)', () => {
  it.each([[[0xff]], [[0xc3, 0x28]], [[0xed, 0xa0, 0x80]], [[0xc0, 0xaf]]])('bytes %j that are no UTF-8 in a JSON or YAML file are refused naming the line, not read as U+FFFD', async (bad) => {
    const [head, tail] = JSON.stringify({ operations: [{ dropTable: { table: 'users' } }] }, null, 1).split('users');
    await put('0001_a.json', Buffer.concat([Buffer.from(`${head}us`), Buffer.from(bad), Buffer.from(`ers${tail}`)]) as unknown as string);
    expect((await loadError()).message).toMatch(/0001_a\.json:5:\d+: not UTF-8/);
    await rm(path.join(dir, '0001_a.json'));
    await put('0001_a.yaml', Buffer.concat([Buffer.from('operations:\n  - dropTable: { table: us'), Buffer.from(bad), Buffer.from('ers }\n')]) as unknown as string);
    expect((await loadError()).message).toMatch(/0001_a\.yaml:2:\d+: not UTF-8/);
  });

  it('a UTF-8 BOM is still fine', async () => {
    await put('0001_a.json', `\uFEFF${JSON.stringify(rename)}`);
    expect((await loadMigrations(dir))[0]!.definition).toEqual(rename);
  });

  it('JSON nested 200 000 deep is refused naming the path (exit 2), not a stack overflow', async () => {
    await put('0001_a.json', `{"description": ${'['.repeat(200_000)}1${']'.repeat(200_000)}, "operations": [{"dropTable": {"table": "users"}}]}`);
    expect((await loadError()).message).toMatch(/0001_a\.json: description: /);
  });
});

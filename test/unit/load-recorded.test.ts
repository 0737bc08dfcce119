/**
 * status reads a file its migration has started without the validator (zod) when the file is what was applied:
 * its value with the schema's defaults filled in (migration/defaults.ts) has the checksum the state recorded.
 * An edit must still show (drift), and the defaults must be the schema's, at exactly its places.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, loadMigrationFile, loadRecordedFile } from '../../src/migration/load.js';
import { withSchemaDefaults } from '../../src/migration/defaults.js';
import { MigrationSchema, OperationSchemas } from '../../src/migration/schema.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xc-recorded-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function put(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(value));
  return file;
}

const createTable = { createTable: { table: 't', columns: [{ name: 'id', type: 'bigint', primaryKey: true }, { name: 'a', type: 'text', nullable: false }] } };
const addColumn = { addColumn: { table: 't', column: { name: 'b', type: 'text' }, up: 'a' } };
// alterColumn's `nullable` has no default: filling one in would hide an edit that removes it.
const alterColumn = { alterColumn: { table: 't', column: 'a', type: 'varchar(10)' } };

/** Every place of the operations' schemas that has a default, by path (zod's definitions walked). */
function defaultsOf(schema: unknown, at: string, out: string[], seen = new Set<unknown>()): string[] {
  const def = (schema as { _zod?: { def: Record<string, any> } })?._zod?.def;
  if (!def || seen.has(schema)) return out;
  seen.add(schema);
  const inner = (s: unknown, p = at) => defaultsOf(s, p, out, seen);
  if (def.type === 'default') out.push(at);
  if (def.innerType) inner(def.innerType);
  if (def.type === 'object') for (const [k, v] of Object.entries(def.shape)) inner(v, `${at}.${k}`);
  if (def.type === 'array') inner(def.element, `${at}[]`);
  if (def.type === 'union') for (const o of def.options) inner(o);
  if (def.type === 'record') inner(def.valueType, `${at}{}`);
  if (def.type === 'pipe') inner(def.in);
  return out;
}

describe('a recorded file, read without the validator', () => {
  it('the defaults filled in without zod are exactly the schema\'s (a new default must go into defaults.ts)', () => {
    const found = Object.entries(OperationSchemas).flatMap(([kind, s]) => defaultsOf(s, kind, []));
    expect(found.sort()).toEqual(['addColumn.column.nullable', 'createTable.columns[].nullable']);
    for (const op of [createTable, addColumn, alterColumn]) {
      const raw = { description: 'd', operations: [op] };
      expect(canonicalJson(withSchemaDefaults(raw))).toBe(canonicalJson(MigrationSchema.parse(raw)));
    }
  });

  it('an unchanged file has its recorded checksum and definition; an edited one its own (drift)', async () => {
    const raw = { description: 'three', operations: [createTable, addColumn, alterColumn] };
    const file = await put('0001_three.json', raw);
    const applied = await loadMigrationFile(file);
    const read = await loadRecordedFile(file, applied.checksum);
    expect(read.checksum).toBe(applied.checksum);
    expect(canonicalJson(read.definition)).toBe(canonicalJson(applied.definition));
    // The default written out is the same migration.
    await put('0001_three.json', { ...raw, operations: [{ createTable: { ...createTable.createTable, columns: [{ ...createTable.createTable.columns[0], nullable: true }, createTable.createTable.columns[1]] } }, addColumn, alterColumn] });
    expect((await loadRecordedFile(file, applied.checksum)).checksum).toBe(applied.checksum);
    // An edit: alterColumn made nullable, and a value of another type (validated: the schema refuses it).
    await put('0001_three.json', { ...raw, operations: [createTable, addColumn, { alterColumn: { ...alterColumn.alterColumn, nullable: true } }] });
    const edited = await loadRecordedFile(file, applied.checksum);
    expect(edited.checksum).not.toBe(applied.checksum);
    expect(edited.checksum).toBe((await loadMigrationFile(file)).checksum);
    await put('0001_three.json', { ...raw, operations: [createTable, { addColumn: { ...addColumn.addColumn, column: { name: 'b', type: 'text', nullable: 'yes' } } }, alterColumn] });
    await expect(loadRecordedFile(file, applied.checksum)).rejects.toThrow(/nullable/);
    expect((await readdir(dir)).length).toBe(1);
  });
});

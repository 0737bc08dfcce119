/** Which type changes of an in-place alterColumn the catalog alone makes (Ddl.changesTypeInCatalog), per server. */
import { describe, expect, it } from 'vitest';
import { pgCatalogOnlyType } from '../../src/dialects/postgres/ddl.js';
import { charsetBytes, instantMemberAppend, instantVarcharWidening } from '../../src/dialects/mysql/inplace.js';

describe('PostgreSQL: binary-coercible changes, no rewrite', () => {
  it.each([
    ['character varying(10)', 'varchar(20)'],
    ['character varying(10)', 'character varying(10)'],
    ['character varying(10)', 'varchar'],
    ['character varying(10)', 'text'],
    ['character varying', 'text'],
    ['text', 'varchar'],
    ['numeric(10,2)', 'numeric(12,2)'],
    ['numeric(10,2)', 'numeric'],
    ['numeric(10)', 'decimal(12)'],
  ])('%s → %s is catalog only', (from, to) => expect(pgCatalogOnlyType(from, to)).toBe(true));
  it.each([
    ['character varying(20)', 'varchar(10)'],
    ['text', 'varchar(20)'],
    ['integer', 'bigint'],
    ['numeric(10,2)', 'numeric(12,3)'],
    ['numeric', 'numeric(12,2)'],
    ['text', 'jsonb'],
    ['character(10)', 'character(20)'],
  ])('%s → %s rewrites (or checks every row)', (from, to) => expect(pgCatalogOnlyType(from, to)).toBe(false));
});

describe('MySQL/MariaDB: ALGORITHM=INSTANT varchar widening, whatever the character set', () => {
  it.each([
    ['varchar(10)', 'varchar(20)'],
    ['varchar(10)', 'varchar(300)'],
    ['varchar(31)', 'varchar(63)'],
    ['varchar(300)', 'varchar(1000)'],
  ])('%s → %s is instant', (from, to) => expect(instantVarcharWidening(from, to)).toBe(true));
  it.each([
    // 63 characters of utf8mb4 is 252 bytes, 64 is 256: the length takes 2 bytes then (the server refuses INSTANT).
    ['varchar(63)', 'varchar(64)'],
    ['varchar(50)', 'varchar(100)'],
    ['varchar(20)', 'varchar(10)'],
    ['varchar(10) CHARACTER SET latin1 COLLATE latin1_bin', 'varchar(20)'],
    ['int', 'bigint'],
    ['varchar(10)', 'text'],
  ])('%s → %s is not', (from, to) => expect(instantVarcharWidening(from, to)).toBe(false));
});

describe('MySQL/MariaDB: ALGORITHM=INSTANT members after the last of an ENUM or SET, in the bytes it takes (campaign AU)', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => `'m${i}'`).join(',');
  it.each([
    ["enum('a','b')", "enum('a','b','c')"],
    ["enum('a','b')", "ENUM('a','b','c','d')"],
    ["enum('it''s','b')", "enum('it''s','b','c')"],
    ["set('x','y')", "set('x','y','z')"],
    [`enum(${many(254)})`, `enum(${many(255)})`],
    [`set(${many(9)})`, `set(${many(16)})`],
  ])('%s → %s is instant', (from, to) => expect(instantMemberAppend(from, to)).toBe(true));
  it.each([
    ["enum('a','b')", "enum('a','c','b')"], // a member between: the numbers stored change
    ["enum('a','b')", "enum('b','a','c')"],
    ["enum('a','b')", "enum('a')"],
    ["enum('a','b')", "enum('a','b')"],
    ["enum('a','b')", "enum('A','b','c')"],
    ["enum('a','b')", "enum('a','b','c') CHARACTER SET latin1"],
    ["enum('a','b')", "set('a','b','c')"],
    ["set('x','y')", "enum('x','y','z')"],
    [`enum(${many(255)})`, `enum(${many(256)})`], // 2 bytes a row from then on
    [`set(${many(8)})`, `set(${many(9)})`],
    ['varchar(10)', 'varchar(20)'],
  ])('%s → %s is not', (from, to) => expect(instantMemberAppend(from, to)).toBe(false));
});

describe('MySQL/MariaDB: ALGORITHM=INSTANT varchar widening in the column\'s own character set (campaign P)', () => {
  it('counts the bytes of the column\'s character set, else its table\'s', () => {
    expect(charsetBytes(undefined, 'latin1_swedish_ci')).toBe(1);
    expect(charsetBytes('CHARACTER SET utf8mb3 COLLATE utf8mb3_bin', 'latin1_swedish_ci')).toBe(3);
    expect(charsetBytes(undefined, 'utf8mb4_general_ci')).toBe(4);
    expect(charsetBytes(undefined, undefined)).toBeUndefined();
    expect(charsetBytes(undefined, 'gb18030_chinese_ci')).toBe(4); // the key-size table's (keys.ts), one for both
  });
  it.each([
    // Unknown, the character set could take 2 bytes a character: 128 bytes to 256 moves the length to 2 bytes.
    ['varchar(64)', 'varchar(128)', 1, true],
    ['varchar(64)', 'varchar(128)', 4, true],
    ['varchar(100)', 'varchar(200)', 1, true],
    ['varchar(100)', 'varchar(200)', 2, false],
    ['varchar(63)', 'varchar(64)', 3, true],
  ] as const)('%s → %s at %i bytes a character: instant %s', (from, to, bytes, instant) => expect(instantVarcharWidening(from, to, bytes)).toBe(instant));
});

/**
 * Malformed migration folders, generated from a seed: a valid migration
 * mutated at a random place (wrong type, unknown or missing key, two
 * operations in one entry, a huge or deeply nested value) and written as
 * JSON, YAML, TS or JS; plus texts no parser should take (truncated, not
 * UTF-8, UTF-16, YAML alias bombs, duplicate keys), modules that throw,
 * reject or exit while they load, and folders whose ids collide. Each one
 * must be refused (exit 2) with a message naming the file and, where there
 * is one, the path inside it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { changed } from './catalog.js';
import { call, cliMessage, inputDb, jsonProblems, runXc, sample, tempDir, withXc, type ClassContext } from './common.js';

export interface FileInput {
  what: string;
  files: { name: string; content: string | Buffer }[];
  /** Texts the refusal must hold besides the path of `files[0]` (the path inside the file, the key, …). */
  expect: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** The valid migration every mutation starts from: a path of each shape (object, array, leaf, union) to break. */
const base = (): { [k: string]: Json } => ({
  description: 'made by the bad-input corpus',
  operations: [
    { createTable: { table: 'made_a', columns: [{ name: 'id', type: 'int', primaryKey: true, nullable: false }, { name: 'v', type: 'varchar(20)' }] } },
    { addColumn: { table: 'canary', column: { name: 'extra', type: 'varchar(20)' }, up: "'x'" } },
    { addIndex: { table: 'canary', columns: ['v'], name: 'canary_v', unique: false } },
  ],
});

/** Every path of `v`, the root excluded. */
function paths(v: Json, at: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return keys.flatMap((k) => [[...at, k], ...paths((v as Record<string, Json>)[k]!, [...at, k])]);
}

const get = (v: Json, p: Path): Json => p.reduce<Json>((o, k) => (o as Record<string, Json>)[k]!, v);
const parentOf = (v: Json, p: Path) => get(v, p.slice(0, -1)) as Record<string | number, Json>;

/** The path as xc's messages write it: `operations[0].createTable.columns[1].name`. */
export function pathText(p: Path): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? (out ? `.${k}` : k) : `[${JSON.stringify(k)}]`;
  return out;
}

const typeOf = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const OTHER_VALUES: Json[] = [42, -1.5, true, null, [], {}, 'text', ['made_a'], { table: 'made_a' }];

/** Keys the schema allows but an entry cannot hold, and plain typos: each is an unknown key wherever it lands. */
const UNKNOWN_KEYS = ['bogus', 'tabel', 'Table', 'colums', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'ópérations', ' table', 'table '];

/** Keys whose absence is an error (optional ones are skipped). */
const REQUIRED = new Set(['operations', 'table', 'columns', 'column', 'name', 'type']);

/** `deep`: the string DEEP in the value stands for arrays nested that deep, written into the text (a serializer would recurse). */
type Mutation = { what: string; value: Json; expect: string[]; deep?: number; dataOnly?: boolean };
const DEEP = '__nested_here__';

function mutate(rnd: () => number): Mutation {
  const v = base();
  const all = paths(v);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const kind = pick(['wrongType', 'wrongType', 'unknownKey', 'unknownKey', 'missing', 'twoKeys', 'unknownOp', 'emptyOps', 'hugeName', 'deep', 'badName']);
  switch (kind) {
    case 'wrongType': {
      const p = pick(all);
      const old = get(v, p);
      const value = pick(OTHER_VALUES.filter((x) => typeOf(x) !== typeOf(old)));
      parentOf(v, p)[p.at(-1)!] = value;
      return { what: `wrong type at ${pathText(p)} (${JSON.stringify(value)})`, value: v, expect: [pathText(p)] };
    }
    case 'unknownKey': {
      const objects = [[] as Path, ...all.filter((p) => typeOf(get(v, p)) === 'object')];
      const p = pick(objects);
      const key = pick(UNKNOWN_KEYS);
      (get(v, p) as Record<string, Json>)[key] = 'surplus';
      // An entry of `operations` with a second key is an entry with two keys, said so at the entry.
      const entry = p.length === 2 && p[0] === 'operations';
      return { what: `unknown key ${JSON.stringify(key)} at ${pathText(p) || 'the top'}`, value: v, expect: entry ? [pathText(p)] : [pathText(p), key].filter(Boolean) };
    }
    case 'missing': {
      const p = pick(all.filter((q) => REQUIRED.has(String(q.at(-1))) && !(q[2] === 'addIndex' && q[3] === 'name')));
      delete parentOf(v, p)[p.at(-1)!];
      return { what: `missing ${pathText(p)}`, value: v, expect: [pathText(p)] };
    }
    case 'twoKeys': {
      const i = Math.floor(rnd() * 3);
      const ops = v.operations as { [k: string]: Json }[];
      ops[i]!.dropTable = { table: 'canary' };
      return { what: `two operations in operations[${i}]`, value: v, expect: [`operations[${i}]`] };
    }
    case 'unknownOp': {
      const i = Math.floor(rnd() * 3);
      const ops = v.operations as { [k: string]: Json }[];
      const name = pick(['createTabel', 'CreateTable', 'drop_table', 'DROP TABLE canary', '', 'addColumn '] as const);
      ops[i] = { [name]: Object.values(ops[i]!)[0]! };
      return { what: `unknown operation ${JSON.stringify(name)}`, value: v, expect: [`operations[${i}]`] };
    }
    case 'emptyOps':
      v.operations = [];
      return { what: 'empty operations', value: v, expect: ['operations'] };
    case 'hugeName': {
      const size = pick([64, 1000, 100_000, 2_000_000]);
      const p = pick(all.filter((q) => ['table', 'name'].includes(String(q.at(-1)))));
      parentOf(v, p)[p.at(-1)!] = 'n'.repeat(size);
      // Megabytes through a module's compiler cost seconds and test the compiler: JSON and YAML only.
      return { what: `a ${size}-byte name at ${pathText(p)}`, value: v, expect: [pathText(p)], dataOnly: size > 100_000 };
    }
    case 'badName': {
      // Names no server takes: empty, or past 63 bytes through multi-byte characters.
      const p = pick(all.filter((q) => ['table', 'name'].includes(String(q.at(-1)))));
      const name = pick(['', 'é'.repeat(32), '🙂'.repeat(16), `${'x'.repeat(62)}é`]);
      parentOf(v, p)[p.at(-1)!] = name;
      return { what: `the name ${JSON.stringify(name)} (${Buffer.byteLength(name)} bytes) at ${pathText(p)}`, value: v, expect: [pathText(p)] };
    }
    default: {
      // Nested far past any sane file, where a string is expected.
      const depth = pick([1000, 20_000, 200_000]);
      const p = pick([['description'], ['operations', 0, 'createTable', 'table'], ['operations', 1, 'addColumn', 'up']] as Path[]);
      parentOf(v, p)[p.at(-1)!] = DEEP;
      return { what: `an array nested ${depth} deep at ${pathText(p)}`, value: v, expect: [pathText(p)], deep: depth, dataOnly: true };
    }
  }
}

const FORMATS = ['json', 'json', 'yaml', 'yml', 'ts', 'mts', 'js', 'mjs'] as const;

/** A value as the text of a file of that format. */
function serialize(value: Json, format: (typeof FORMATS)[number], rnd: () => number): string {
  const json = JSON.stringify(value, null, rnd() < 0.5 ? 2 : undefined);
  switch (format) {
    case 'json':
      return json;
    case 'yaml':
    case 'yml':
      return YAML.stringify(value, { aliasDuplicateObjects: false });
    case 'ts':
    case 'mts':
      return `import { defineMigration } from 'expand-contract';\nexport default defineMigration(${json} as any);\n`;
    default:
      return `export default ${json};\n`;
  }
}

/** Texts refused before any validation: they are not a JSON, YAML or module file at all. */
function brokenText(rnd: () => number, id: string): FileInput {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const good = JSON.stringify(base());
  const cut = 1 + Math.floor(rnd() * (good.length - 2));
  const yamlGood = YAML.stringify(base());
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`), 'description: *i', 'operations: []'].join('\n');
  const cases: (() => FileInput)[] = [
    () => ({ what: `JSON cut at ${cut} of ${good.length}`, files: [{ name: `${id}.json`, content: good.slice(0, cut) }], expect: ['invalid JSON'] }),
    () => ({ what: `module cut at ${cut}`, files: [{ name: `${id}.ts`, content: `export default ${good.slice(0, cut)}` }], expect: ['failed to load'] }),
    () => ({ what: 'YAML cut inside a quoted string', files: [{ name: `${id}.yaml`, content: `description: "made by\noperations:\n  - dropTable: { table: canary }\n` }], expect: ['invalid YAML'] }),
    () => ({ what: 'empty JSON file', files: [{ name: `${id}.json`, content: '' }], expect: ['invalid JSON'] }),
    () => ({ what: 'whitespace-only YAML file', files: [{ name: `${id}.yaml`, content: ' \n\n' }], expect: [] }),
    () => ({ what: 'a JSON array at the top', files: [{ name: `${id}.json`, content: JSON.stringify(base().operations) }], expect: [] }),
    () => ({ what: 'a JSON string at the top', files: [{ name: `${id}.json`, content: '"operations"' }], expect: [] }),
    () => ({ what: 'a UTF-8 BOM then JSON cut short', files: [{ name: `${id}.json`, content: `\uFEFF${good.slice(0, cut)}` }], expect: ['invalid JSON'] }),
    () => ({ what: 'JSON in UTF-16LE with its BOM', files: [{ name: `${id}.json`, content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')]) }], expect: [] }),
    () => {
      // A name with bytes that are no UTF-8: decoding them to U+FFFD would create a table the file does not name.
      const bad = pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]]);
      const [head, tail] = good.split('made_a');
      return { what: `bytes ${bad.map((b) => b.toString(16)).join(' ')} (not UTF-8) in a table name`, files: [{ name: `${id}.${pick(['json', 'yaml'])}`, content: Buffer.concat([Buffer.from(`${head}made_`), Buffer.from(bad), Buffer.from(`a${tail}`)]) }], expect: [] };
    },
    () => ({ what: 'a YAML alias bomb', files: [{ name: `${id}.yaml`, content: bomb }], expect: [] }),
    () => ({ what: 'YAML with a duplicate key', files: [{ name: `${id}.yaml`, content: `${yamlGood}description: twice\n` }], expect: ['invalid YAML'] }),
    () => ({ what: 'two YAML documents', files: [{ name: `${id}.yml`, content: `${yamlGood}---\n${yamlGood}` }], expect: ['invalid YAML'] }),
    () => ({ what: 'YAML indented with a tab', files: [{ name: `${id}.yaml`, content: `operations:\n\t- dropTable: { table: canary }\n` }], expect: ['invalid YAML'] }),
    // Merged or not, the table has no columns: refused either way.
    () => ({ what: 'a YAML merge key', files: [{ name: `${id}.yaml`, content: `x: &x { table: made_a }\noperations:\n  - createTable:\n      <<: *x\n` }], expect: ['operations[0].createTable'] }),
    () => ({ what: 'a YAML custom tag', files: [{ name: `${id}.yaml`, content: `operations:\n  - dropTable: !js/function "function () { return 'canary' }"\n` }], expect: [] }),
    () => {
      const where = pick(['top', 'entry', 'spec']);
      const text = where === 'top' ? good.replace('{', '{"__proto__":{"operations":[]},') : where === 'entry' ? good.replace('{"createTable"', '{"__proto__":{"dropTable":{"table":"canary"}}},{"createTable"') : good.replace('{"table":"made_a"', '{"__proto__":{"table":"canary"},"table":"made_a"');
      return { what: `a __proto__ key (${where}) in JSON`, files: [{ name: `${id}.json`, content: text }], expect: ['__proto__'] };
    },
    () => ({ what: 'a __proto__ key in YAML', files: [{ name: `${id}.yaml`, content: `__proto__:\n  operations: []\n${yamlGood}` }], expect: ['__proto__'] }),
    () => ({ what: 'a constructor operation in YAML', files: [{ name: `${id}.yaml`, content: `operations:\n  - constructor: { table: canary }\n` }], expect: ['operations[0]', 'constructor'] }),
  ];
  return pick(cases)();
}

/** Modules that do something other than export a migration while they load. */
function badModule(rnd: () => number, id: string): FileInput {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ext = pick(['ts', 'mts', 'js', 'mjs']);
  const good = JSON.stringify(base());
  const cases: [string, string, string[]][] = [
    ['throws an Error', `throw new Error('no migration today');\nexport default ${good};`, ['failed to load', 'no migration today']],
    ['throws a string', `throw 'a bare string';\nexport default ${good};`, ['failed to load']],
    ['throws an object holding a URL', `throw { message: 'postgres://u:hunter2secret@h/db' };\nexport default ${good};`, ['failed to load']],
    ['rejects at the top level', `await Promise.reject(new Error('rejected while loading'));\nexport default ${good};`, ['failed to load', 'rejected while loading']],
    ['calls process.exit(0)', `process.exit(0);\nexport default ${good};`, ['failed to load', 'process.exit']],
    ['calls process.exit(3)', `process.exit(3);\nexport default ${good};`, ['failed to load', 'process.exit']],
    ['has a syntax error', `export default { operations: [ { createTable: } ] };`, ['failed to load']],
    ['imports a module that does not exist', `import x from './no-such-module-here';\nexport default x;`, ['failed to load']],
    // As a script (no import/export) jiti may read it as CommonJS, whose module.exports ({}) is then the default export.
    ['exports nothing', `const m = ${good};`, []],
    ['exports a function', `export default () => (${good});`, []],
    ['exports null', `export default null;`, []],
    ['exports a number', `export default 42;`, []],
  ];
  const [what, content, expect] = pick(cases);
  return { what: `a .${ext} module that ${what}`, files: [{ name: `${id}.${ext}`, content }], expect };
}

/** Folders whose files are fine alone but whose ids are not. */
function badIds(rnd: () => number, id: string): FileInput {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const made = (t: string) => JSON.stringify({ operations: [{ createTable: { table: t, columns: [{ name: 'id', type: 'int', primaryKey: true, nullable: false }] } }] });
  const cases: (() => FileInput)[] = [
    () => ({ what: 'one id in two formats', files: [{ name: `${id}.json`, content: made('made_a') }, { name: `${id}.yaml`, content: YAML.stringify(JSON.parse(made('made_b'))) }], expect: [`${id}.yaml`] }),
    () => ({ what: 'ids that differ only in case', files: [{ name: `${id}_Made.json`, content: made('made_a') }, { name: `${id}_made.json`, content: made('made_b') }], expect: [`${id}_made.json`] }),
    () => {
      const name = pick(['-leading-dash', `${id} space`, `${id}_é`, `${id};drop`, `${id}'quote`, `_${id}`, `${id}\u200b`]);
      return { what: `the id ${JSON.stringify(name)}`, files: [{ name: `${name}.json`, content: made('made_a') }], expect: ['invalid migration id'] };
    },
  ];
  return pick(cases)();
}

/** `n` inputs; the same `rnd` gives the same corpus. */
export function fileCorpus(rnd: () => number, n: number): FileInput[] {
  const out: FileInput[] = [];
  for (let i = 0; i < n; i++) {
    const id = `0001_bad_${i}`;
    const r = rnd();
    if (r < 0.55) {
      const m = mutate(rnd);
      // Deep nesting and megabytes are for the data formats: a module's compiler would recurse or labour on them before xc sees anything.
      const formats = m.dataOnly ? FORMATS.filter((f) => ['json', 'yaml', 'yml'].includes(f)) : FORMATS;
      const format = formats[Math.floor(rnd() * formats.length)]!;
      let text = serialize(m.value, format, rnd);
      let expect = m.expect;
      if (m.deep) {
        text = text.replace(format === 'json' ? `"${DEEP}"` : DEEP, `${'['.repeat(m.deep)}"bottom"${']'.repeat(m.deep)}`);
        // The YAML parser may give up on the nesting itself (its stack), before any path exists: the file alone is named then.
        if (format !== 'json') expect = [];
      }
      out.push({ what: `${m.what}, as .${format}`, files: [{ name: `${id}.${format}`, content: text }], expect });
    } else if (r < 0.8) out.push(brokenText(rnd, id));
    else if (r < 0.93) out.push(badModule(rnd, id));
    else out.push(badIds(rnd, id));
  }
  return out;
}

/**
 * The real process.exit, taken when this module loads, before any round: a round that took it when it began took
 * xc's stand-in whenever the other dialect's round was loading a module just then (seed 12, MariaDB, round 1), then
 * waited 30 s for the stand-in, reported it, and put it back for good.
 */
const realExit = process.exit;

/**
 * Each input in a folder of its own, through `plan` and `apply` in-process
 * (a sample also through the CLI, half of them under --json): exit 2, the
 * message naming the file and the path inside it, and the database as it was
 * — not even xc's state tables created.
 */
export async function runFileInputs(ctx: ClassContext, n: number, cliCount: number): Promise<void> {
  const corpus = fileCorpus(ctx.rnd, n);
  const viaCli = sample(ctx.rnd, n, cliCount);
  const db = await inputDb(ctx.server, `xc_in_file_${ctx.round}`);
  try {
    let before = await db.catalog();
    for (const [index, input] of corpus.entries()) {
      if (ctx.only !== undefined && index !== ctx.only) continue;
      ctx.starting(index, input.what);
      const t = await tempDir('xc-in-file-');
      const problems: string[] = [];
      let outcome: string;
      try {
        for (const f of input.files) await writeFile(path.join(t.dir, f.name), f.content);
        const file = path.join(t.dir, input.files[0]!.name);
        const [plan, apply] = await withXc({ url: db.url, dir: t.dir }, async (xc) => [await call(() => xc.plan()), await call(() => xc.apply())]);
        for (const [command, r] of [['plan', plan], ['apply', apply]] as const) {
          if (r.code !== 2) problems.push(`${command}: exit ${r.code}, expected 2: ${r.message.slice(0, 400)}`);
          else for (const e of [file, ...input.expect]) if (!r.message.includes(e)) problems.push(`${command}: the message does not name ${JSON.stringify(e.slice(0, 80))}: ${r.message.slice(0, 400)}`);
        }
        outcome = `plan ${plan!.code}, apply ${apply!.code}`;
        if (viaCli.has(index)) {
          const json = index % 2 === 0;
          const r = await runXc(['apply', '--url', db.url, '--dir', t.dir, ...(json ? ['--json'] : [])]);
          outcome += `, cli ${r.code}`;
          if (r.code !== 2) problems.push(`cli apply${json ? ' --json' : ''}: exit ${r.code}, expected 2: ${(r.stdout + r.stderr).slice(0, 400)}`);
          if (json) problems.push(...jsonProblems(r, false));
          const message = json ? cliMessage(r) : r.stderr;
          if (!message.includes(file)) problems.push(`cli: the message does not name the file: ${message.slice(0, 300)}`);
          if (/hunter2secret/.test(r.stdout + r.stderr)) problems.push('cli: printed the password of a URL a module threw');
        }
      } finally {
        await t.remove();
      }
      const after = await db.catalog();
      const diff = changed(before, after);
      problems.push(...diff);
      if (diff.length) {
        await db.reset();
        before = await db.catalog();
      }
      ctx.record({ cls: 'file', index, what: input.what, outcome, problems, cli: viaCli.has(index) });
    }
    // While a module loads, xc stands in for process.exit; the other dialect's round may be loading one now, so
    // the real one must be back within seconds, not at once.
    // 30 s: on a loaded 2-core box the other round's loads ran back to back past 5 s once (a clean-clone rehearsal).
    for (let i = 0; i < 300 && process.exit !== realExit; i++) await new Promise((r) => setTimeout(r, 100));
    if (process.exit !== realExit) {
      ctx.record({ cls: 'file', index: n, what: 'process.exit after the round', outcome: 'replaced', problems: ['process.exit is still not the real one 30 s after the last module loaded'], cli: false });
      process.exit = realExit;
    }
  } finally {
    await db.drop();
  }
}

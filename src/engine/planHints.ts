/**
 * What a refused plan adds to its message when the cause lies in another migration of the same plan: the way on names
 * the command that gets past it.
 */
import { escapeRegExp } from '../dialects/names.js';
import { InvalidInputError } from '../errors.js';
import type { MigrationFile } from '../migration/load.js';

/**
 * A migration held until the contract of an earlier one of the same plan, not applied yet (a catch-up, campaign O):
 * "contract that migration first" alone leaves the user to find that `xc apply ID` stops before it. The holder is
 * named in the message as the planner writes it: `<id> (operations[i].<kind>)`. One rolled back is said to be, as the
 * trigger the message names is not in the database now (campaign P).
 */
export function heldByPending(err: unknown, id: string, pending: string[], rolledBack: (id: string) => boolean): unknown {
  if (!(err instanceof InvalidInputError) || pending.length === 0) return err;
  const held = err.issues.filter((i) => i.code === 'held_until_contract').map((i) => i.message);
  const holder = pending.find((p) => held.some((m) => m.includes(`${p} (operations[`)));
  if (holder === undefined) return err;
  const way = `${holder} is pending in this plan${rolledBack(holder) ? ' (it was rolled back, and is applied again)' : ''}: \`xc apply ${pending.at(-1)}\` applies the migrations before ${id}; once ${holder} is contracted (\`xc contract ${holder}\`, when no deployed version needs its old shape), \`xc apply\` takes the rest`;
  return new InvalidInputError(`${err.message}\n  ${way}`, { ...err.details, applyUpTo: pending.at(-1), contractFirst: holder }, { code: err.code, issues: [...err.issues] });
}

/** Each enum a server's error says lacks a value (PostgreSQL), with that value: one an `ALTER TYPE … ADD VALUE` makes (campaign DS). */
function enumsShort(error: string): Map<string, string> {
  return new Map([...error.matchAll(/invalid input value for enum ("[^"]+"|[^\s:]+): "([^"]*)"/g)].map((m) => [m[1]!.replace(/^"+|"+$/g, ''), m[2]!]));
}

/** The tables (and types, and enums short of a value, by their type) a server's or xc's error says do not exist. */
export function missingNames(error: string): string[] {
  const named = [...error.matchAll(/relation "([^"]+)" does not exist|Table '(?:[^'.]+\.)?([^'.]+)' doesn't exist|table "([^"]+)" does not exist|type "([^\n]+?)" does not exist/g)].map((m) =>
    (m[1] ?? m[2] ?? m[3] ?? m[4])!.replace(/^"+|"+$/g, ''),
  );
  return [...named, ...enumsShort(error).keys()];
}

/**
 * A table plan was told does not exist that a migration sorting after this one creates (createTable, or renameTable
 * to it): ids sort as text, so a history numbered without padding (Flyway's `V10__…` before `V2__…`) runs out of
 * order — said, with the way on (campaign AQ: only "does not exist" was said).
 */
export function madeLater(err: unknown, file: MigrationFile, later: MigrationFile[]): unknown {
  if (!(err instanceof InvalidInputError)) return err;
  const missing = new Set(missingNames(err.message));
  const ways: string[] = [];
  for (const f of later) {
    for (const entry of f.definition.operations) {
      // Not entryKind (migration/schema.ts): this module loads with every command, and that one loads the validator.
      const e = entry as { createTable?: { table?: unknown }; renameTable?: { to?: unknown } };
      const made = e.createTable?.table ?? e.renameTable?.to;
      if (typeof made !== 'string' || !missing.delete(made)) continue;
      ways.push(`"${made}" is made by ${f.id}, which sorts after ${file.id}: migrations run in the text order of their ids, so \`10\` comes before \`2\` — give the numbers in the ids one width (\`V0002__…\`, \`V0010__…\`; rename only files not applied yet)`);
    }
  }
  return withWays(err, ways);
}

/**
 * A table (or a type: a Prisma enum) plan was told does not exist, named by the raw SQL of an `sql` operation this
 * plan runs before it (an earlier pending migration, or an earlier operation of this one): xc cannot see inside that
 * SQL, so plan compiles and checks against the database as it is. Said, with the way on: what it makes must be there
 * first (campaign AA).
 */
export function madeByRawSql(err: unknown, file: MigrationFile, pending: MigrationFile[]): unknown {
  if (!(err instanceof InvalidInputError)) return err;
  const missing = wanted(err.message);
  if (missing.length === 0) return err;
  const ways: string[] = [];
  for (const f of [...pending, file]) {
    for (const [opIndex, entry] of f.definition.operations.entries()) {
      // Not entryKind (migration/schema.ts): this module loads with every command, and that one loads the validator.
      const expand = (entry as { sql?: { expand?: unknown } }).sql?.expand;
      if (typeof expand !== 'string') continue;
      const named = missing.filter((m) => m.madeBy(expand));
      if (named.length === 0) continue;
      const what = named.map((m) => m.what).join(', ');
      ways.push(
        f.id === file.id
          ? `${what} is named by the raw SQL of this migration's operations[${opIndex}] (sql), which plan cannot see into: what it makes is not there when the rest of the migration is checked — move that operation to a migration of its own, apply it first (\`xc apply ID\`), then this one`
          : `${what} is named by the raw SQL of ${f.id} (operations[${opIndex}], sql), pending in this plan, which plan cannot see into: what it makes is not there when ${file.id} is checked — \`xc apply ${f.id}\` first, then this one`,
      );
    }
  }
  return withWays(err, ways);
}

/**
 * The earlier pending migrations whose `sql` expand names every table or type `err` says does not exist — what
 * they make is there once they are applied, so `xc apply` plans this one then (campaign DK: a `CREATE TYPE` or
 * `CREATE EXTENSION citext` migration and the table using it, the start of most histories); none where any
 * other problem is said, or a name no such migration names.
 */
export function waitsForRawSql(err: unknown, pending: MigrationFile[]): string[] {
  if (!(err instanceof InvalidInputError) || err.issues.some((i) => wanted(i.message).length === 0)) return [];
  const makers = new Set<string>();
  for (const m of wanted(err.message)) {
    const maker = pending.find((f) => f.definition.operations.some((entry) => {
      const expand = (entry as { sql?: { expand?: unknown } }).sql?.expand;
      return typeof expand === 'string' && m.madeBy(expand);
    }));
    if (maker === undefined) return [];
    makers.add(maker.id);
  }
  return [...makers];
}

/** What an error says is not there, in words, and whether a raw SQL text would make it. */
interface Wanted {
  what: string;
  madeBy(sql: string): boolean;
}

/**
 * What an error says is not there: a table or type, named by the raw SQL making it — an enum short of a value by one
 * naming that value too (campaign DU: one adding another value) —; a column xc says a table lacks, by one naming the
 * table and the column (campaign DY: a generated column added by raw SQL, indexed by the next migration); a column
 * the server says does not exist (an `up` reading it), by one adding a column of that name (campaign EA).
 */
function wanted(error: string): Wanted[] {
  const values = enumsShort(error);
  const named = [...new Set(missingNames(error))].map((name): Wanted => {
    const value = values.get(name);
    return { what: `"${name}"`, madeBy: (sql) => asWord(name).test(sql) && (value === undefined || sql.includes(`'${value.replace(/'/g, "''")}'`)) };
  });
  const columns = [...error.matchAll(/table "([^"]+)" has no column "([^"]+)"/g)].map(([, t, c]): Wanted => ({ what: `"${t}"."${c}"`, madeBy: (sql) => asWord(t!).test(sql) && asWord(c!).test(sql) }));
  const added = [...new Set([...error.matchAll(/column "?(?:[^".\s]+\.)?([^".\s]+)"? does not exist|Unknown column '(?:[^'.]+\.)?([^'.]+)'/g)].map((m) => (m[1] ?? m[2])!))].map((c): Wanted => ({
    what: `column "${c}"`,
    madeBy: (sql) => new RegExp(`\\bADD\\s+(COLUMN\\s+)?(IF\\s+NOT\\s+EXISTS\\s+)?${asWord(c).source}`, 'i').test(sql),
  }));
  return [...named, ...columns, ...added];
}

/** `name` as a word of an SQL text, bare or quoted, any case. */
const asWord = (name: string) => new RegExp(`(?<![A-Za-z0-9_$])[\`"]?${escapeRegExp(name)}[\`"]?(?![A-Za-z0-9_$])`, 'i');

/** What plan says of a migration waiting for `makers` (waitsForRawSql), with the refusal it would get now. */
export function waitingNote(makers: string[], err: unknown): string {
  const now = (err as Error).message.split('\n').slice(1).join(' ').trim();
  return `planned when ${makers.join(' and ')} ${makers.length === 1 ? 'is' : 'are'} applied, whose raw SQL makes what this one names (plan cannot see into it): \`xc apply\` plans it then, and stops there if it is still refused — as now: ${now}`;
}

/** The refusal with these ways on below its message; as it was without any. */
function withWays(err: InvalidInputError, ways: string[]): InvalidInputError {
  if (ways.length === 0) return err;
  return new InvalidInputError(`${err.message}\n  ${ways.join('\n  ')}`, { ...err.details }, { code: err.code, issues: [...err.issues] });
}

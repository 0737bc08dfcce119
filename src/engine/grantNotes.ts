/** Plan's notes on roles a migration's expand leaves without what they use: whole-row reads, or writes its triggers compute. */
import type { Session } from '../db/driver.js';
import type { ExpressionCheck } from '../plan/index.js';
import type { Dialect, WriterReadIssue } from '../dialects/dialect.js';
import type { OperationSpec } from '../migration/schema.js';
import type { Operation } from '../operations/types.js';
import type { SchemaModel } from '../schema/model.js';

/**
 * A column added where roles read the table by column grants alone: their whole-row reads (`SELECT *`, a function
 * over the row — a PostgREST computed column) are denied from its expand on, the old version's included, until they
 * are granted it (campaign DA: 105 failed reads). Said, not done: xc does not widen a role's privileges by itself.
 * A role a later `sql` expand of the same migration grants the column (or the table's SELECT) is not named: that
 * expand runs right after this one's (campaign DC: the note stayed once the migration had the GRANT it asked for).
 */
export async function ungrantedColumns(session: Session, dialect: Dialect, model: SchemaModel, op: Operation, spec: OperationSpec, laterSql: string[]): Promise<string[]> {
  const notes: string[] = [];
  // The raw text, not codeOf's: a MySQL grantee is a string literal ('app'@'%').
  const statements = laterSql.flatMap((text) => text.split(';'));
  const grants = statements.filter((st) => /^\s*GRANT\b/i.test(st));
  const revokes = statements.some((st) => /^\s*REVOKE\b/i.test(st));
  for (const c of op.addsColumns?.(spec as never) ?? []) {
    if (c.grantsFrom !== undefined && dialect.carriesColumnGrants) continue;
    // A REVOKE among them may take it back: then said as if none granted it.
    const granted = (role: string) => !revokes && grants.some((st) => grantCovers(st, c.table, c.column, role));
    const roles = (await dialect.columnOnlyReaders(session, model.readName(c.table))).filter((r) => !granted(r));
    if (roles.length === 0) continue;
    // PUBLIC, MySQL's 'user'@'host' and its roles (quoted by the dialect) are written as they are.
    const grantee = roles.map((r) => (r === 'PUBLIC' || /^['`]/.test(r) ? r : dialect.quote(r))).join(', ');
    notes.push(`${roles.join(', ')} read${roles.length === 1 ? 's' : ''} "${c.table}" by column grants alone: from expand on, ${roles.length === 1 ? 'its' : 'their'} whole-row reads (SELECT *, a function over the row) are denied until ${roles.length === 1 ? 'it is' : 'they are'} granted "${c.column}" — put \`GRANT SELECT (${dialect.quote(c.column)}) ON ${dialect.quote(c.table)} TO ${grantee}\` (and what the new version writes of it) in a \`sql\` operation after this one, whose expand runs right after this one's`);
  }
  return notes;
}

/**
 * Whether GRANT statement `st` gives `role` SELECT on `table`'s `column`: the table's SELECT (or ALL), or SELECT with
 * the column among its own list. Read as text, as xc reads raw SQL, and only as far as it is sure (campaign DM: a
 * same-named table of another schema, `SELECT (a), UPDATE (c)`, a REVOKE after, a grantee in a comment, another
 * role of a similar name or another host each hid the note): the table unqualified, each grantee whole — a quoted
 * PostgreSQL name by its case, MySQL's 'user'@'host' with its host. Where it is not sure, the note stays.
 */
function grantCovers(st: string, table: string, column: string, role: string): boolean {
  const code = st.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').trim();
  const m = /^GRANT\s+([\s\S]+?)\s+ON\s+(?:TABLE\s+)?("(?:[^"]|"")+"|`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_$]*)\s+TO\s+([\s\S]+?)(?:\s+WITH\s+GRANT\s+OPTION)?\s*$/i.exec(code);
  if (!m || unquote(m[2]!) !== table) return false;
  const privileges = m[1]!.split(/,(?![^()]*\))/).map((p) => p.trim());
  const covers = privileges.some((p) => /^ALL(\s+PRIVILEGES)?$/i.test(p) || /^SELECT$/i.test(p) || (/^SELECT\s*\(/i.test(p) && p.replace(/^SELECT\s*\(|\)\s*$/gi, '').split(',').some((c) => unquote(c.trim()) === column)));
  // The reader as Dialect.columnOnlyReaders names it: a role's own name, PUBLIC, or MySQL's 'user'@'host' quoted.
  const reader = /@/.test(role) ? role.split('@').map((p) => p.replace(/^'|'$/g, '')).join('@') : /^`[\s\S]*`$/.test(role) ? role.slice(1, -1).replace(/``/g, '`') : role;
  return covers && m[3]!.split(',').some((g) => grantee(g.trim()) === reader);
}

/** A grantee as written: PostgreSQL's name (unquoted folded to lower case), PUBLIC, MySQL's user@host (each part as written, unquoted). */
const grantee = (g: string) => (/^public$/i.test(g) ? 'PUBLIC' : /@/.test(g) ? g.split('@').map((p) => (/^(["`'])[\s\S]*\1$/.test(p.trim()) ? p.trim().slice(1, -1) : p.trim())).join('@') : unquote(g));
const unquote = (name: string) => (/^(["`'])[\s\S]*\1$/.test(name) ? name.slice(1, -1).replace(/""|``|''/g, (q) => q[0]!) : name.toLowerCase());

/** At most this many roles named in a note; the rest counted. */
const ROLES_NAMED = 6;

/**
 * An `up` or `down` the dual-write trigger computes, or a check the server runs, where either runs with the writer's
 * rights (Dialect.deniedToWriters):
 * roles that write the table but may not read what it reads have those writes fail from expand on, the old version's
 * included (campaign EK: "permission denied for table secret" on every INSERT); a table whose row-level security
 * shows them other rows than xc's role gives their rows other values (campaign EN: NULL from a lookup that found
 * nothing, refused only at contract's verify); a SECURITY INVOKER function's body may do either, unseen (EN). Said,
 * not done, as above.
 */
export async function deniedToWriters(session: Session, dialect: Dialect, model: SchemaModel, checks: ExpressionCheck[]): Promise<string[]> {
  const notes: string[] = [];
  for (const check of dialect.deniedToWriters ? checks : []) {
    const issues = (await dialect.deniedToWriters!(session, check, model.readName(check.table))) ?? [];
    // One note per kind, expression and set of roles, every object of that kind they read in it.
    const grouped = new Map<string, WriterReadIssue[]>();
    for (const d of issues) grouped.set(`${d.kind} ${d.roles.join(', ')}`, [...(grouped.get(`${d.kind} ${d.roles.join(', ')}`) ?? []), d]);
    for (const same of grouped.values()) notes.push(`${check.path.join('.')}: ${writerNote(dialect.quote(check.table), same, check.boolean === true)}`);
  }
  return notes;
}

/** `table` quoted by the dialect (a name with a quote in it reads as SQL would take it); `isCheck`: a CHECK the server runs on the row written, not a trigger's computation. */
function writerNote(table: string, same: WriterReadIssue[], isCheck: boolean): string {
  const { kind, roles } = same[0]!;
  const runs = isCheck ? 'the check runs' : 'the trigger that computes it runs';
  const grantees = roles.join(', ');
  const named = roles.slice(0, ROLES_NAMED).join(', ') + (roles.length > ROLES_NAMED ? ` and ${roles.length - ROLES_NAMED} more` : '');
  const one = roles.length === 1;
  const objects = same.map((d) => d.object).join(', ');
  const them = same.length === 1 ? 'it' : 'them';
  if (kind === 'denied') {
    const grants = same.map((d) => `GRANT ${d.privilege} TO ${grantees};`).join(' ');
    return `${named} write${one ? 's' : ''} ${table} but may not use ${objects}, which this expression reads: ${runs} with the rights of the role that writes, so from expand on ${one ? 'its' : 'their'} writes of ${table} that ${isCheck ? 'it checks' : 'compute it'} fail ("permission denied") — grant ${them} in a migration applied before this one (\`${grants}\`), or compute the value without ${them}`;
  }
  if (kind === 'rowSecurity') {
    return `${named} write${one ? 's' : ''} ${table}, and ${objects}, which this expression reads, has row-level security that ${one ? 'it does' : 'they do'} not bypass: ${runs} with the rights of the role that writes, so for ${one ? 'its' : 'their'} writes it reads only the rows ${one ? 'its' : 'their'} policies show, where ${isCheck ? "contract's validation" : 'the backfill'} reads as xc's role — ${isCheck ? `${one ? 'its' : 'their'} writes may be refused where xc's would pass, or pass where xc's would be refused` : `${one ? 'its' : 'their'} rows may get another value (NULL from a lookup that finds nothing), which contract's verify then refuses`} — give ${one ? 'it' : 'them'} a policy showing what the expression reads, or read it through a SECURITY DEFINER function`;
  }
  return `${named} write${one ? 's' : ''} ${table}, and this expression calls ${objects}, SECURITY INVOKER, whose body the server keeps as text, not recording what it reads: ${isCheck ? 'the check' : 'the trigger'} runs ${them} with the rights of the role that writes, so if ${same.length === 1 ? 'it reads' : 'they read'} a table ${one ? 'that role' : 'those roles'} may not read (or one with row-level security), ${one ? 'its' : 'their'} writes of ${table} fail from expand on (or compute another value) — make sure ${one ? 'it' : 'each'} may read what ${them} read${same.length === 1 ? 's' : ''}, or make ${them} SECURITY DEFINER (a SQL-standard body, BEGIN ATOMIC, is read through: this note then names what it lacks)`;
}

/**
 * The objects one operation's projection adds over what a migration in
 * flight holds until its contract (schema/holds.ts): a column that contract
 * replaces by its shadow, a key it makes only then. Read from the model
 * before and after the operation, so every operation that makes an index,
 * a constraint or a foreign key (addIndex, createConstraint, createTable,
 * addColumn's references, addForeignKey…) is covered alike.
 */
import type { Dialect } from '../dialects/dialect.js';
import type { SchemaModel } from '../schema/model.js';

/** Problems for each object in `model` whose key is not in `before` (SchemaModel.names) and that names a held column or key. */
export function overHeld(model: SchemaModel, before: Map<string, string>, dialect: Pick<Dialect, 'columnsNamed'>): string[] {
  const problems: string[] = [];
  const first = (table: string, columns: string[]) => columns.map((c) => ({ c, by: model.holds.shadowedBy(table, c) })).find((x) => x.by);
  /** `movedFrom`: not a new object, but one of a table this plan renames, under its name before (campaign EB). */
  const shadowed = (what: string, table: string, columns: string[], movedFrom?: string) => {
    const hit = first(table, columns);
    if (!hit) return;
    problems.push(
      movedFrom !== undefined
        ? `${what} is over "${table}"."${hit.c}", which ${hit.by} replaces at its contract (the column is dropped and its shadow, of the new type, renamed to its name), making ${what} again then by its table's name "${movedFrom}"; renamed before that, the contract would not find the table — contract that migration first, then rename "${movedFrom}" in a later migration`
        : `${what} is over "${table}"."${hit.c}", which ${hit.by} replaces at its contract (the column is dropped and its shadow, of the new type, renamed to its name); made before, it would be lost with the old column or keep that contract from finishing — contract that migration first, then add it in a later migration`,
    );
  };
  for (const t of model.tables.values()) {
    // A table this plan renames keeps its objects: new only by the name they are listed under.
    const was = model.readName(t.name);
    const movedFrom = (name: string) => (was !== t.name && before.has(`object\0${was}\0${name}`) ? was : undefined);
    const isNew = (name: string) => !before.has(`object\0${t.name}\0${name}`);
    const named = (sql: string | undefined) => (sql === undefined ? [] : dialect.columnsNamed(sql, t.name, t.columns.map((c) => c.name)));
    for (const i of t.indexes.filter((x) => isNew(x.name))) {
      const exprs = (i.keys ?? []).flatMap((k) => named(k.expression));
      shadowed(`index or key "${i.name}"`, t.name, [...i.columns, ...exprs, ...named(i.where), ...(i.include ?? [])]);
    }
    for (const k of t.checks.filter((x) => isNew(x.name))) shadowed(`check "${k.name}"`, t.name, k.columns);
    for (const fk of t.foreignKeys.filter((x) => isNew(x.name))) {
      shadowed(`foreign key "${fk.name}" of "${t.name}"`, t.name, fk.columns, movedFrom(fk.name));
      shadowed(`foreign key "${fk.name}" of "${t.name}"`, fk.refTable, fk.refColumns, movedFrom(fk.name));
      const key = model.holds.keyMadeAtContract(fk.refTable, fk.refColumns);
      // Another unique index over the same columns, immediate and over every row, serves the foreign key now.
      const served = model.table(fk.refTable)?.indexes.some(
        (i) => i.name !== key?.name && i.unique && i.where === undefined && !i.deferrable && i.columns.length === fk.refColumns.length && fk.refColumns.every((c) => i.columns.includes(c)),
      );
      if (key && !served) {
        problems.push(
          `foreign key "${fk.name}" of "${t.name}" references ${fk.refColumns.map((c) => `"${c}"`).join(', ')} of "${fk.refTable}", whose key "${key.name}" ${key.holder} makes only at its contract (until then there is no key to reference, or one that changes under the foreign key) — contract that migration first, then add the foreign key in a later migration`,
        );
      }
    }
  }
  return problems;
}

/**
 * The same for a `sql` operation's expand, which xc reads no schema from: a statement making an index or key over
 * a table (CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX … ON t (…)), any ALTER [ONLINE|IGNORE] TABLE t naming the column
 * (ADD … over it; SET NOT NULL, a DEFAULT, RENAME, DROP, which the cut-over would lose or break), a foreign key
 * anywhere (REFERENCES t (…)), or another object PostgreSQL keeps depending on the column (a trigger's `UPDATE OF`
 * or WHEN, a policy, extended statistics), that names a column a contract in flight replaces by its shadow. Made at
 * expand, that contract refuses it as made over the column after it was applied — only dropping it by hand, another
 * migration's object, gets out — or loses it (campaigns BQ, BR, BU, BW). Read loosely from the text, by the dialect's
 * tokens: literals and comments set aside (but a literal run as SQL, `EXECUTE '…'`, `EXECUTE IMMEDIATE '…'`,
 * `PREPARE s FROM '…'`, read as code), MySQL's executable comments and PostgreSQL's dollar-quoted bodies (a DO
 * block) read as code; a table qualified by another schema or database than the one planned is not the model's. A
 * table named only through `format('%I')` or a concatenation is not seen.
 */
export function sqlOverHeld(model: SchemaModel, text: string | undefined, dialect: Pick<Dialect, 'columnsNamed' | 'tokens'>): string[] {
  if (text === undefined) return [];
  const problems = new Set<string>();
  const name = '(?:`[^`]+`|"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)';
  const qualified = `((?:${name}\\s*\\.\\s*)?${name})`;
  // Columns after the table: an index's or key's list, a policy's expressions, whatever an ALTER TABLE does to one
  // (ADD … over it, SET NOT NULL or a DEFAULT the cut-over would not carry, a RENAME or DROP: campaign BW).
  const target = new RegExp(
    `\\b(?:CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:(?:UNIQUE|FULLTEXT|SPATIAL)\\s+)?INDEX\\b[\\s\\S]*?\\bON\\s+(?:ONLY\\s+)?|CREATE\\s+POLICY\\s+${name}\\s+ON\\s+|ALTER\\s+(?:(?:ONLINE|IGNORE)\\s+)*TABLE\\s+(?:IF\\s+EXISTS\\s+)?(?:ONLY\\s+)?)${qualified}`,
    'i',
  );
  // A trigger: its events (`UPDATE OF a, b`) and its WHEN, where OLD.a and NEW.a are the table's (not its own name).
  const trigger = new RegExp(`\\bCREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:CONSTRAINT\\s+)?TRIGGER\\s+${name}([\\s\\S]*?)\\bON\\s+(?:ONLY\\s+)?${qualified}([\\s\\S]*)`, 'i');
  // Statistics: `CREATE STATISTICS [IF NOT EXISTS] s [(kinds)] ON a, b FROM t`.
  const statistics = new RegExp(`\\bCREATE\\s+STATISTICS\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${qualified}([\\s\\S]*?)\\bFROM\\s+(?:ONLY\\s+)?${qualified}`, 'i');
  const references = new RegExp(`\\bREFERENCES\\s+${qualified}\\s*\\(([^)]*)\\)`, 'gi');
  const unquoted = (part: string) => (/^[`"]/.test(part) ? part.slice(1, -1) : part);
  const tableOf = (written: string) => {
    const parts = written.split('.').map((x) => x.trim());
    const last = parts.at(-1)!;
    // Qualified by another schema (database): another table of the same name (campaign BU).
    // A quoted qualifier as written; a bare one also folded to lower case (PostgreSQL folds it; on MySQL it errs to "ours").
    const ns = model.namespace;
    const q = parts.length > 1 ? parts.at(-2)! : undefined;
    if (q !== undefined && ns !== undefined && unquoted(q) !== ns && (/^[`"]/.test(q) || q.toLowerCase() !== ns)) return undefined;
    const bare = unquoted(last);
    return model.table(bare) ?? (/^[`"]/.test(last) ? undefined : [...model.tables.values()].find((x) => x.name.toLowerCase() === bare.toLowerCase()));
  };
  const over = (written: string, sql: string) => {
    const t = tableOf(written);
    if (!t) return;
    for (const c of dialect.columnsNamed(sql, t.name, t.columns.map((x) => x.name))) {
      const by = model.holds.shadowedBy(t.name, c);
      if (by === undefined) continue;
      problems.add(
        `its SQL makes or changes an index, key, column or other object over "${t.name}"."${c}", which ${by} replaces at its contract (the column is dropped and its shadow, of the new type, renamed to its name); made before, that contract would refuse it as made over the column after it was applied — contract that migration first, then add it in a later migration`,
      );
    }
  };
  const unwrapped = text.replace(/\/\*!\d*([\s\S]*?)\*\//g, ' $1 ').replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$([\s\S]*?)\$\1\$/g, ' $2 ');
  for (const statement of codeOf(dialect, unwrapped).split(';')) {
    for (const ref of statement.matchAll(references)) over(ref[1]!, ref[2]!);
    const m = target.exec(statement);
    if (m) over(m[1]!, statement.slice(m.index + m[0].length).replace(references, ' '));
    const tr = trigger.exec(statement);
    if (tr) over(tr[2]!, `${tr[1]} ${/\bWHEN\b([\s\S]*?)\bEXECUTE\b/i.exec(tr[3]!)?.[1]?.replace(/\b(?:OLD|NEW)\s*\./gi, '') ?? ''}`);
    const st = statistics.exec(statement);
    if (st) over(st[3]!, st[2]!);
  }
  return [...problems];
}

/**
 * `sql` as code only: comments and literals blanked (what they hold is no statement), but a literal the statement runs
 * as SQL — after EXECUTE (PostgreSQL, also `EXECUTE format('…')`), `EXECUTE IMMEDIATE` or `PREPARE s FROM` (MySQL) —
 * given as its text.
 */
export function codeOf(dialect: Pick<Dialect, 'tokens'>, sql: string): string {
  const tokens = dialect.tokens(sql);
  const words: string[] = []; // the significant tokens so far, upper-cased
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'comment') {
      out += ' ';
      continue;
    }
    if (t.kind === 'string') {
      const [p1, p2, p3] = [words.at(-1), words.at(-2), words.at(-3)];
      const runs = p1 === 'EXECUTE' || (p1 === 'IMMEDIATE' && p2 === 'EXECUTE') || (p1 === '(' && p2 === 'FORMAT' && p3 === 'EXECUTE') || (p1 === 'FROM' && p3 === 'PREPARE');
      out += runs ? ` ${literalText(t.text)} ` : " '' ";
    } else out += t.text;
    if (t.kind !== 'space') words.push(t.text.toUpperCase());
  }
  return out;
}

/** A quoted literal's text: `'it''s'` → `it's` (a prefix such as E or N, and a backslash escape, read loosely). */
const literalText = (literal: string) => {
  const q = literal.search(/['"]/);
  return q < 0 ? literal : literal.slice(q + 1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
};

/**
 * Problems for shadowing `columns` of `table` (an operation about to hold
 * them), or for copying a column to them (`copy`: renameColumn, alterColumn
 * with `to`): each index over one of them gets a copy over the shadow or the
 * new column, which also covers its other columns — one another operation
 * in flight replaces at its contract would take the copy with it.
 */
export function copiesOverHeld(model: SchemaModel, table: string, columns: string[], dialect: Pick<Dialect, 'columnsNamed'>, copy = false): string[] {
  const t = model.table(table);
  if (!t || columns.length === 0) return [];
  const named = (sql: string | undefined) => (sql === undefined ? [] : dialect.columnsNamed(sql, table, t.columns.map((c) => c.name)));
  const problems: string[] = [];
  for (const i of t.indexes.filter((x) => !x.primary)) {
    const over = [...i.columns, ...(i.keys ?? []).flatMap((k) => named(k.expression)), ...named(i.where), ...named(i.definition)];
    if (!over.some((c) => columns.includes(c))) continue;
    const other = over.find((c) => !columns.includes(c) && model.holds.shadowedBy(table, c));
    if (other) {
      problems.push(
        `index "${i.name}" is over "${table}"."${other}" too, which ${model.holds.shadowedBy(table, other)} replaces at its contract (the column is dropped and its shadow renamed to its name); the copy of the index this change builds would be lost with that column — contract that migration first${copy ? ' (in one migration, rename or copy the column before changing the other in place)' : ''}`,
      );
    }
  }
  return problems;
}


/**
 * What else needs a table or a column on MySQL/MariaDB, for plan to name
 * before a contract drops it. MySQL keeps no dependency graph: views and
 * triggers (and routines and events, for a column) are matched on their text, which the server stores with every
 * name in backquotes (views as `table`.`column`), generated columns on
 * their expression.
 */
import type { Session } from '../../db/driver.js';
import type { Dependent } from '../dialect.js';
import { escapeRegExp } from '../names.js';

const pattern = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '.');
/**
 * A statement of a body reading or writing `table`, unqualified or qualified by this database (another database's
 * table of that name is not it): after FROM, JOIN, STRAIGHT_JOIN, UPDATE, INTO, DELETE, TABLE, TABLES or a comma (a
 * join), or INSERT / REPLACE without INTO, each verb with its modifiers (LOW_PRIORITY, DELAYED, HIGH_PRIORITY,
 * IGNORE, QUICK: campaign AF-4). A word in a comment or a string is not enough. A pattern built in SQL around
 * DATABASE(), of two parameters.
 */
const STATEMENT_ON = 'CONCAT(?, DATABASE(), ?)';
const statementOn = (table: string, qualified = false) => [
  '(\\b(from|join|straight_join|update|into|insert|replace|delete|table|tables)(\\s+(low_priority|delayed|high_priority|ignore|quick))*|,)\\s*(`?',
  `\`?\\.)${qualified ? '' : '?'}\`?${pattern(table)}(\`|\\b)`,
];

/**
 * A string that is the table's name alone, maybe qualified by this database: what dynamic SQL is built around
 * (`CONCAT('DELETE FROM ', 'orders')`), or a name compared, which no rename follows.
 */
const NAMED_BY_STRING = `CONCAT(?, DATABASE(), ?)`;
const namedByString = (table: string, qualified = false) => [`['"](\`?`, `\`?\\.)${qualified ? '' : '?'}\`?${pattern(table)}\`?['"]`];
/** A body naming the table in a statement or as a string; its parameters: `namingParams`, unqualified names counted or not. */
const names = (column: string) => `(${column} REGEXP ${STATEMENT_ON} OR ${column} REGEXP ${NAMED_BY_STRING})`;
const namingParams = (table: string, qualified = false) => [...statementOn(table, qualified), ...namedByString(table, qualified)];
/** A body of `schema` naming the table: by any name in this database, only qualified by it in another (whose unqualified names are its own tables). */
const namesIt = (schema: string, column: string) => `(${schema} = DATABASE() AND ${names(column)} OR ${schema} <> DATABASE() AND ${names(column)})`;
const everywhere = (table: string) => [...namingParams(table), ...namingParams(table, true)];
/** An object's name as a message shows it: qualified where it is another database's. */
const shown = (schema: string, name: string) => `IF(${schema} = DATABASE(), ${name}, CONCAT(${schema}, '.', ${name}))`;

const backquoted = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * A view's stored text reads `db`.`table`'s `column`: as `db`.`table`.`column`, or through an alias the text gives the
 * table (`` `db`.`users` `u` `` … `` `u`.`name` ``: campaign Y, missed, and the view broken by the contract).
 */
function viewReads(text: string, db: string, table: string, column: string): boolean {
  // Column names are case-insensitive, and a view keeps them as its query spelled them: compared so (a refusal, never a hole).
  const definition = text.toLowerCase();
  const qualified = `${backquoted(db)}.${backquoted(table)}`.toLowerCase();
  column = column.toLowerCase();
  if (definition.includes(`${qualified}.${backquoted(column)}`)) return true;
  const aliases = [...definition.matchAll(new RegExp(`${escapeRegExp(qualified)}\\s+(?:as\\s+)?(\`(?:[^\`]|\`\`)+\`)`, 'gi'))].map((m) => m[1]!);
  return aliases.some((alias) => definition.includes(`${alias}.${backquoted(column)}`));
}

export async function mysqlDependents(s: Session, table: string, column?: string): Promise<Dependent[]> {
  // MySQL keeps no dependency graph: views and triggers are matched on their text, generated columns on their
  // expression. The server stores a view's names qualified by their database (`db`.`t`.`c`, `db`.`t`): matched so, in every
  // database (campaign V: another database's view was missed; one naming another database's table of that name,
  // or a column named as the table, was taken for one).
  const naming = await s.query<{ name: string; definition: string; db: string }>(
    `SELECT ${shown('TABLE_SCHEMA', 'TABLE_NAME')} AS name, VIEW_DEFINITION AS definition, DATABASE() AS db FROM information_schema.VIEWS
      WHERE NOT (TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ?) AND VIEW_DEFINITION LIKE CONCAT('%\`', DATABASE(), '\`.\`', ?)`,
    [table, `${table}\`%`],
  );
  const views = { rows: naming.rows.filter((v) => column === undefined || viewReads(v.definition, v.db, table, column)) };
  // Another database's foreign key: the model (DATABASE() only) cannot carry it, and the column's, its index's or the table's drop fails on it.
  const keys = await s.query<{ name: string; holder: string }>(
    `SELECT DISTINCT CONSTRAINT_NAME AS name, CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS holder FROM information_schema.KEY_COLUMN_USAGE
     WHERE REFERENCED_TABLE_SCHEMA = DATABASE() AND BINARY REFERENCED_TABLE_NAME = ? AND TABLE_SCHEMA <> DATABASE()${column === undefined ? '' : ' AND REFERENCED_COLUMN_NAME = ?'}`,
    column === undefined ? [table] : [table, column],
  );
  const word = (name: string) => `\\b${pattern(name)}\\b`;
  // Another table's trigger whose body writes or reads this table and names the column: it fails once they are gone.
  const elsewhere = await s.query<{ name: string; holder: string }>(
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS holder FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND BINARY EVENT_OBJECT_TABLE <> ?
       AND TRIGGER_NAME NOT LIKE 'xc\\_%' AND ACTION_STATEMENT REGEXP ${STATEMENT_ON}${column === undefined ? '' : ' AND ACTION_STATEMENT REGEXP ?'}`,
    column === undefined ? [table, ...statementOn(table)] : [table, ...statementOn(table), word(column)],
  );
  const found = [
    ...views.rows.map((r) => ({ kind: 'view', name: r.name })),
    ...keys.rows.map((r) => ({ kind: 'foreign key', name: r.name, of: r.holder })),
    ...elsewhere.rows.map((r) => ({ kind: 'trigger', name: r.name, of: r.holder })),
  ];
  if (column === undefined) return found;
  const generated = await s.query<{ name: string }>(
    `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ? AND COLUMN_NAME <> ? AND GENERATION_EXPRESSION LIKE ?`,
    [table, column, `%\`${column}\`%`],
  );
  const triggers = await s.query<{ name: string }>(
    `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND BINARY EVENT_OBJECT_TABLE = ? AND TRIGGER_NAME NOT LIKE 'xc\\_%' AND ACTION_STATEMENT REGEXP ?`,
    [table, word(column)],
  );
  // Routines and events running a statement on the table and naming the column: they fail from the contract on (campaign J).
  const routines = await s.query<{ name: string; kind: string }>(
    `SELECT ${shown('ROUTINE_SCHEMA', 'ROUTINE_NAME')} AS name, LOWER(ROUTINE_TYPE) AS kind FROM information_schema.ROUTINES
      WHERE ROUTINE_NAME NOT LIKE 'xc\\_%' AND ROUTINE_SCHEMA NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema') AND ${namesIt('ROUTINE_SCHEMA', 'ROUTINE_DEFINITION')} AND ROUTINE_DEFINITION REGEXP ?`,
    [...everywhere(table), word(column)],
  );
  const events = await s.query<{ name: string }>(
    `SELECT ${shown('EVENT_SCHEMA', 'EVENT_NAME')} AS name FROM information_schema.EVENTS WHERE ${namesIt('EVENT_SCHEMA', 'EVENT_DEFINITION')} AND EVENT_DEFINITION REGEXP ?`,
    [...everywhere(table), word(column)],
  );
  return [
    ...found,
    ...generated.rows.map((r) => ({ kind: 'generated column', name: r.name })),
    ...triggers.rows.map((r) => ({ kind: 'trigger', name: r.name })),
    ...routines.rows.map((r) => ({ kind: r.kind, name: r.name })),
    ...events.rows.map((r) => ({ kind: 'event', name: r.name })),
  ];
}

/**
 * Objects reaching `table` by its name, which follows no rename (MySQL keeps every reference as text): views naming
 * it (the server stores `db`.`table`: another database's, or a column or alias of that name, is not it), any table's
 * trigger and the database's routines and events reading or writing it. xc's own compatibility view under the old
 * name, and xc's triggers, excepted.
 */
export async function mysqlNameDependents(s: Session, table: string): Promise<Dependent[]> {
  // Another database's view too: the server stores every name in it qualified.
  const views = await s.query<{ name: string }>(
    `SELECT ${shown('TABLE_SCHEMA', 'TABLE_NAME')} AS name FROM information_schema.VIEWS
      WHERE NOT (TABLE_SCHEMA = DATABASE() AND BINARY TABLE_NAME = ?) AND VIEW_DEFINITION LIKE CONCAT('%\`', DATABASE(), '\`.\`', ?, '\`%')`,
    [table, table], // a _ or % in the name matches more, never less
  );
  // This database's triggers only: information_schema.TRIGGERS opens every table it lists, which over every database
  // of a server of many (one per tenant) is long; routines, events and views are read from one catalog each.
  const triggers = await s.query<{ name: string; holder: string }>(
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS holder FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME NOT LIKE 'xc\\_%' AND ${names('ACTION_STATEMENT')}`,
    namingParams(table),
  );
  const routines = await s.query<{ name: string; kind: string }>(
    `SELECT ${shown('ROUTINE_SCHEMA', 'ROUTINE_NAME')} AS name, LOWER(ROUTINE_TYPE) AS kind FROM information_schema.ROUTINES
      WHERE ROUTINE_NAME NOT LIKE 'xc\\_%' AND ROUTINE_SCHEMA NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema') AND ${namesIt('ROUTINE_SCHEMA', 'ROUTINE_DEFINITION')}`,
    everywhere(table),
  );
  const events = await s.query<{ name: string }>(
    `SELECT ${shown('EVENT_SCHEMA', 'EVENT_NAME')} AS name FROM information_schema.EVENTS WHERE ${namesIt('EVENT_SCHEMA', 'EVENT_DEFINITION')}`,
    everywhere(table),
  );
  return [
    ...views.rows.map((r) => ({ kind: 'view', name: r.name })),
    ...triggers.rows.map((r) => ({ kind: 'trigger', name: r.name, of: r.holder })),
    ...routines.rows.map((r) => ({ kind: r.kind, name: r.name })),
    ...events.rows.map((r) => ({ kind: 'event', name: r.name })),
  ];
}

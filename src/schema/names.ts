/** Names xc gives to objects a migration leaves unnamed. */

/**
 * The name PostgreSQL gives an unnamed constraint (makeObjectName): `<table>_<column>_<label>`,
 * the longer of the two parts shortened first to fit 63 characters. xc gives
 * MySQL's unnamed constraints the same names, so both servers name alike.
 */
export function defaultConstraintName(table: string, column: string | null, label: string): string {
  let a = table.length;
  let b = column?.length ?? 0;
  const room = 63 - label.length - 1 - (column === null ? 0 : 1);
  while (a + b > room) {
    if (a > b) a--;
    else b--;
  }
  return [table.slice(0, a), ...(column === null ? [] : [column.slice(0, b)]), label].join('_');
}

/** Names xc gives to objects a migration leaves unnamed. */

/**
 * The name PostgreSQL gives an unnamed constraint (makeObjectName): `<table>_<column>_<label>`,
 * the longer of the two parts shortened first, a character at a time, to fit 63 bytes. xc gives
 * MySQL's unnamed constraints the same names, so both servers name alike.
 */
export function defaultConstraintName(table: string, column: string | null, label: string): string {
  const a = [...table];
  const b = [...(column ?? '')];
  const bytes = (cs: string[]) => Buffer.byteLength(cs.join(''));
  const room = 63 - Buffer.byteLength(label) - 1 - (column === null ? 0 : 1);
  while (bytes(a) + bytes(b) > room) {
    if (bytes(a) > bytes(b)) a.pop();
    else b.pop();
  }
  return [a.join(''), ...(column === null ? [] : [b.join('')]), label].join('_');
}

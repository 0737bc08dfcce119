/** Every operation of SPEC §3, by name. */
import type { OperationKind } from '../migration/schema.js';
import type { Operation } from './types.js';
import { createTable } from './createTable.js';
import { dropTable } from './dropTable.js';
import { renameTable } from './renameTable.js';
import { addColumn } from './addColumn.js';
import { dropColumn } from './dropColumn.js';
import { renameColumn } from './renameColumn.js';
import { alterColumn } from './alterColumn.js';
import { setNotNull } from './setNotNull.js';
import { dropNotNull } from './dropNotNull.js';
import { setReplicaIdentity } from './setReplicaIdentity.js';
import { renameConstraint } from './renameConstraint.js';
import { addIndex } from './addIndex.js';
import { dropIndex } from './dropIndex.js';
import { addForeignKey } from './addForeignKey.js';
import { addCheck } from './addCheck.js';
import { dropConstraint } from './dropConstraint.js';
import { createConstraint } from './createConstraint.js';
import { dropMultiColumnConstraint } from './dropMultiColumnConstraint.js';
import { sql } from './sql.js';

export const operations: { [K in OperationKind]: Operation<K> } = {
  createTable,
  dropTable,
  renameTable,
  addColumn,
  dropColumn,
  renameColumn,
  alterColumn,
  setNotNull,
  dropNotNull,
  setReplicaIdentity,
  renameConstraint,
  addIndex,
  dropIndex,
  addForeignKey,
  addCheck,
  dropConstraint,
  createConstraint,
  dropMultiColumnConstraint,
  sql,
};

export function operation<K extends OperationKind>(kind: K): Operation<K> {
  return operations[kind];
}

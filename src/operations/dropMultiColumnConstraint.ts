/**
 * dropMultiColumnConstraint (pgroll's drop_multicolumn_constraint): a
 * constraint over one or more columns, dropped at contract as dropConstraint
 * drops it (old code may rely on it until then). pgroll's `up`/`down`, which
 * let the new version write what the constraint refuses through copies of its
 * columns, are refused as createConstraint refuses them.
 */
import { dropConstraint } from './dropConstraint.js';
import type { Operation, ValidationIssue } from './types.js';

export const dropMultiColumnConstraint: Operation<'dropMultiColumnConstraint'> = {
  kind: 'dropMultiColumnConstraint',

  validate(spec, ctx) {
    const issues: ValidationIssue[] = (['up', 'down'] as const).flatMap((key) =>
      spec[key] === undefined
        ? []
        : [
            {
              path: [key],
              code: 'unsupported' as const,
              feature: key,
              message:
                `\`${key}\` is not yet supported here: the constraint stays on the columns until contract (no copies of them for the new version to write freely), ` +
                'so until then writes from both versions must meet it. Leave out `up` and `down`',
            },
          ],
    );
    return [...issues, ...dropConstraint.validate({ table: spec.table, name: spec.name }, ctx)];
  },

  contractTables: (spec) => [spec.table],

  project(spec, model, dialect) {
    dropConstraint.project({ table: spec.table, name: spec.name }, model, dialect);
  },

  plan(spec, ctx) {
    return dropConstraint.plan({ table: spec.table, name: spec.name }, ctx);
  },
};

/**
 * defineMigration, apart from the schema: a TypeScript migration imports it (through the package's entry) when it
 * loads, and must not load zod for it (start-up time: status reads applied files without the validator).
 */
import type { MigrationInput } from './schema.js';

/** Identity helper that types a TypeScript migration file (the file is validated again when loaded). */
export function defineMigration(m: MigrationInput): MigrationInput {
  return m;
}

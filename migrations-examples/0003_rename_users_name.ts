import { defineMigration } from 'expand-contract';

// Old code keeps writing `name`, new code writes `full_name`; a trigger keeps
// both equal until contract drops `name`. NOT NULL and the default carry over.
export default defineMigration({
  description: 'Rename users.name to users.full_name',
  operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }],
});

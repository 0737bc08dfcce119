/** The progress line cut to a terminal's width: the least important fields go first, then the migration id is shortened; never wider. */
import { describe, expect, it } from 'vitest';
import { fitLine, type Field } from '../../src/cli/progress.js';

const fields = (migration: string): Field[] => [
  { text: `backfill ${migration}`, drop: 0, shrink: true },
  { text: 'users', drop: 4, sep: ' ' },
  { text: '1,200/7,149 rows (16%)', drop: 0 },
  { text: '1,913 rows/s', drop: 2 },
  { text: 'ETA 3s', drop: 3 },
  { text: 'batch 100', drop: 1 },
];

describe('fitLine', () => {
  it('keeps the whole line where it fits', () => {
    expect(fitLine(fields('0002_shout'), 200)).toBe('backfill 0002_shout users  1,200/7,149 rows (16%)  1,913 rows/s  ETA 3s  batch 100');
  });

  it('drops the batch size, then rows/s, then the ETA, then the table', () => {
    const full = fitLine(fields('0002_shout'), 200).length;
    expect(fitLine(fields('0002_shout'), full - 1)).toBe('backfill 0002_shout users  1,200/7,149 rows (16%)  1,913 rows/s  ETA 3s');
    expect(fitLine(fields('0002_shout'), 60)).toBe('backfill 0002_shout users  1,200/7,149 rows (16%)  ETA 3s');
    expect(fitLine(fields('0002_shout'), 50)).toBe('backfill 0002_shout users  1,200/7,149 rows (16%)');
    expect(fitLine(fields('0002_shout'), 45)).toBe('backfill 0002_shout  1,200/7,149 rows (16%)');
  });

  it('then shortens the migration id, keeping the count; at the very narrowest cuts the end', () => {
    const long = '0002_a_migration_whose_name_alone_is_longer_than_half_of_an_eighty_column_terminal';
    const line = fitLine(fields(long), 79);
    expect(line).toHaveLength(79);
    expect(line).toMatch(/^backfill 0002_a_migration.*…  1,200\/7,149 rows \(16%\)$/);
    expect(fitLine(fields(long), 20)).toHaveLength(20);
  });
});

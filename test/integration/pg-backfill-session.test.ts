/**
 * A PostgreSQL backfill batch's transaction settings, in one statement: the lock timeout, the bypass of
 * xc's own triggers, and synchronous_commit off (the batch's COMMIT does not wait for its WAL flush; a
 * server crash loses at most the last batches together with their cursors). All transaction-local, so
 * a pooled session's next user keeps its own.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresDialect } from '../../src/dialects/postgres/core.js';
import { PG_URL, describePg } from '../helpers/servers.js';

describePg('PostgreSQL backfill session', () => {
  const d = new PostgresDialect({ concurrentIndexes: true });
  let c: pg.Client;
  beforeAll(async () => {
    c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
  });
  afterAll(() => c.end());
  const show = async (name: string) => (await c.query<{ v: string }>(`SELECT current_setting('${name}', true) AS v`)).rows[0]!.v;

  it('is one statement, the names stripped to identifier characters', () => {
    expect(d.backfillSession(1500.7, ['xc_sync_1', "bad'name"])).toEqual([
      "SELECT set_config('lock_timeout', '1500ms', true), set_config('xc.bypass', 'xc_sync_1,badname', true), set_config('synchronous_commit', 'off', true)",
    ]);
    expect(d.backfillSessionEnd(['xc_sync_1'])).toEqual([]);
  });

  it('sets the lock timeout, the bypass and synchronous_commit off for the batch only', async () => {
    const before = [await show('lock_timeout'), await show('synchronous_commit')];
    await c.query('BEGIN');
    for (const q of d.backfillSession(1000, ['xc_sync_1'])) await c.query(q);
    expect([await show('lock_timeout'), await show('xc.bypass'), await show('synchronous_commit')]).toEqual(['1s', 'xc_sync_1', 'off']);
    await c.query('COMMIT');
    expect([await show('lock_timeout'), await show('synchronous_commit')]).toEqual(before);
    expect(await show('xc.bypass') ?? '').toBe('');
  });
});

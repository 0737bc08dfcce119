/**
 * A batch of the backfill that failed though no row of it fails alone (the connection lost, a server restarted:
 * campaign FF) is named as not a row's: the message said "fix the row", and named none.
 */
import { expect, it } from 'vitest';
import { openDriver } from '../../src/db/connect.js';
import { detectDialect } from '../../src/dialects/index.js';
import { batchFailure } from '../../src/backfill/failure.js';
import { targets } from '../helpers/targets.js';
import { onCleanup } from '../helpers/scenario.js';

for (const target of targets) {
  target.describe(`a backfill batch that fails as a whole (${target.name})`, () => {
    it('no row failing alone: the message names none and says to run again; one that fails alone is named', async () => {
      const db = await target.create('xc_batchfail');
      const driver = await openDriver({ url: db.url });
      onCleanup(async () => {
        await driver.close();
        await db.drop();
      });
      await db.query(`CREATE TABLE t (id int PRIMARY KEY, v varchar(10))`);
      await db.query(`INSERT INTO t VALUES (1, '1'), (2, '2'), (3, 'x'), (4, '4')`);
      const dialect = await detectDialect(driver);
      const spec = { table: 't', set: { v: 'v' }, key: ['id'], integerKey: true };
      const lost = Object.assign(new Error('read ECONNRESET.'), { code: 'ECONNRESET' }); // MariaDB's words end with a period
      const whole = await batchFailure(driver, dialect, { migration: '0001_m', spec, lockTimeoutMs: 2000 }, null, ['4'], lost);
      expect(whole.message).toBe('backfill of "t" stopped in a batch: read ECONNRESET. Nothing of that batch was written; no row of it fails on its own, so the cause is not a row: once what the server says is mended (a lost connection or a server restarted: nothing to mend), run the command again, which resumes there');
      // A conversion that fails on one row alone (PostgreSQL; MariaDB warns and stores a 0): that row, and the way to fix it.
      if (target.name === 'postgres') {
        const converting = { ...spec, set: { v: `CAST(CAST(v AS int) AS varchar(10))` } };
        const row = await batchFailure(driver, dialect, { migration: '0001_m', spec: converting, lockTimeoutMs: 2000 }, null, ['4'], new Error('invalid input syntax'));
        expect(row.message).toMatch(/^backfill of "t" stopped at the row id=3: .*fix the row and run the command again/);
      }
    });
  });
}

/**
 * A library user who never calls `close()`: the idle connections of the pool xc opened must not keep the
 * process alive (campaign BF). Before, PostgreSQL's held it for pg's idle timeout (10 s) and MariaDB's for
 * ever (xc lifts wait_timeout on its own connections). Seen here as Node sees it: a socket that keeps the
 * event loop alive is listed by `process.getActiveResourcesInfo()`; an idle connection of xc's must not be,
 * and it must still serve the next command.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { targets, type Db } from '../helpers/targets.js';

const liveSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

for (const target of targets) {
  target.describe(`${target.name}: an idle pool of xc's own holds no process`, () => {
    let db: Db | undefined;
    let dir: string | undefined;
    afterEach(async () => {
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('leaves no socket holding the event loop between commands, and the pool still works', async () => {
      db = await target.create('xc_noclose');
      dir = mkdtempSync(join(tmpdir(), 'xc-noclose-'));
      writeFileSync(
        join(dir, '0001_items.yaml'),
        'operations:\n  - createTable:\n      table: items\n      columns:\n        - { name: id, type: int, primaryKey: true }\n        - { name: v, type: int, nullable: true }\n',
      );
      const before = liveSockets();
      const xc = createXc({ url: db.url, dir, parallel: 2 });
      try {
        await xc.apply();
        expect(liveSockets()).toBe(before);
        // Taken again from the pool: ref'd while in use, idle again after.
        const status = await xc.status();
        expect(status.migrations.map((m) => [m.id, m.phase])).toEqual([['0001_items', 'backfilled']]);
        await db.query('INSERT INTO items (id, v) VALUES (1, 2)');
        expect(liveSockets()).toBe(before);
      } finally {
        await xc.close();
      }
      expect(await db.count('SELECT count(*) FROM items')).toBe(1);
    });
  });
}

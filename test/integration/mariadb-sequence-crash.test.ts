/**
 * MariaDB 10.11.19 crashed (signal 11 in Item_func_nextval::val_int) for an INSERT evaluating a `nextval` default
 * after an ALTER of its table had run under LOCK TABLES with the sequence locked too, the table having a trigger
 * (campaign FB: the shared server went down during a contract). xc's copy contracts held that lock over such tables.
 * No step holds LOCK TABLES over such a table now (sequences.ts). On a private server: it is the server that goes.
 */
import mysql from 'mysql2/promise';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createXc } from '../../src/index.js';
import { describeMysql, privateMariadb } from '../helpers/servers.js';

const RENAMES = ['a', 'b', 'c', 'e'];

describeMysql('MariaDB: contracts over a table whose default draws from a sequence, under writers (private server)', () => {
  const priv = privateMariadb();

  it('each rename contracted while two writers insert: the server stays up, every insert told it succeeded is there', async () => {
    const admin = await mysql.createConnection({ uri: priv.server.url });
    await admin.query('CREATE DATABASE app');
    await admin.end();
    const url = priv.server.urlOf('app');
    const db = await mysql.createConnection({ uri: url });
    await db.query('CREATE SEQUENCE seq1');
    await db.query(`CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, ${RENAMES.map((c) => `${c} varchar(40)`).join(', ')}, d bigint DEFAULT (nextval(seq1)), tag varchar(40))`);
    // The team's own trigger: it stays on the table through every contract.
    await db.query(`CREATE TRIGGER t_tag BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.tag IS NULL THEN SET NEW.tag = 'app'; END IF; END`);
    await db.query(`INSERT INTO t (a) SELECT concat('s', seq) FROM seq_1_to_2000`);
    const dir = await mkdtemp(path.join(tmpdir(), 'xc-seqcrash-'));
    const xc = createXc({ url, dir });
    const writers = await Promise.all([1, 2].map(() => mysql.createConnection({ uri: url })));
    try {
      let told = 0;
      const lost: string[] = [];
      for (const [n, column] of RENAMES.entries()) {
        await writeFile(path.join(dir, `000${n + 1}_${column}.json`), JSON.stringify({ operations: [{ renameColumn: { table: 't', from: column, to: `${column}2` } }] }));
        await xc.apply();
        await xc.deploy.record({ app: 'shop', version: `v${n + 1}` });
        if (n > 0) await xc.deploy.retire({ app: 'shop', version: `v${n}` });
        // Writers naming neither column: the default draws from the sequence on every insert, as the contract runs.
        let running = true;
        const writing = writers.map(async (w) => {
          while (running) {
            try {
              await w.query(`INSERT INTO t (tag) VALUES ('w')`);
              told++;
            } catch (err) {
              lost.push((err as Error).message);
              return;
            }
          }
        });
        await new Promise((r) => setTimeout(r, 100));
        await xc.contract();
        await new Promise((r) => setTimeout(r, 200));
        running = false;
        await Promise.all(writing);
        expect(lost).toEqual([]);
      }
      const [[row]] = (await db.query(`SELECT count(*) AS n, count(DISTINCT d) AS d FROM t WHERE tag = 'w'`)) as unknown as [[{ n: number; d: number }]];
      expect(told).toBeGreaterThan(0);
      expect([Number(row!.n), Number(row!.d)]).toEqual([told, told]);
    } finally {
      await Promise.all(writers.map((w) => w.end().catch(() => undefined)));
      await db.end().catch(() => undefined);
      await xc.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

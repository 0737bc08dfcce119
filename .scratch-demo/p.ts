import { PGlite } from '@electric-sql/pglite';
import { writeFile } from 'node:fs/promises';
import { createXc } from '../src/index.ts';
const db = new PGlite();
const dir = '/tmp/xcproto/mig';
await writeFile(dir + '/0001_create_users.json', JSON.stringify({ description: 'users', operations: [{ createTable: { table: 'users', columns: [{ name: 'id', type: 'bigserial', primaryKey: true }, { name: 'name', type: 'text', nullable: false }] } }] }));
const events: unknown[] = [];
const xc = createXc({ connection: db, dir, actor: 'demo', onEvent: (e) => events.push(e) });
console.log(await xc.apply());
console.log(await xc.deploy.record({ app: 'shop', version: 'v1', level: '0001_create_users' }));
console.log(await xc.contract());
await db.query(`insert into users(name) values ('Ada'),('Grace')`);
await writeFile(dir + '/0002_rename_name.json', JSON.stringify({ description: 'rename', operations: [{ renameColumn: { table: 'users', from: 'name', to: 'full_name' } }] }));
try { await xc.check({ app: 'shop', version: 'v2' }); } catch (e: any) { console.log(e.exitCode, e.message, e.details); }
console.log(await xc.apply());
console.log((await db.query(`select * from users`)).rows);
console.log((await db.query(`select tgname, pg_get_triggerdef(t.oid) def from pg_trigger t where tgrelid='users'::regclass and not tgisinternal`)).rows);
console.log(await xc.check({ app: 'shop', version: 'v2' }));
await xc.deploy.record({ app: 'shop', version: 'v2', level: '0002_rename_name' });
await db.query(`insert into users(name) values ('Barbara')`);
await db.query(`insert into users(full_name) values ('Margaret')`);
await db.query(`update users set full_name='Ada King' where id=1`);
console.log((await db.query(`select * from users order by id`)).rows);
try { await xc.contract(); } catch (e: any) { console.log(e.exitCode, e.message, JSON.stringify(e.details)); }
console.log(await xc.deploy.retire({ app: 'shop', version: 'v1' }));
console.log(await xc.contract());
console.log((await db.query(`select * from users order by id`)).rows);
try { await xc.check({ app: 'shop', version: 'v1', level: '0001_create_users' }); } catch (e: any) { console.log(e.exitCode, e.message, e.details); }
try { await db.query(`insert into users(name) values ('x')`); } catch (e: any) { console.log(e.message); }
console.log((await db.query(`select * from xc.events order by 1`)).rows);
console.log(JSON.stringify(events.slice(0, 50)));
await xc.close();
await db.close();

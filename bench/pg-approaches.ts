// The per-query cost of each way the domain could reach its database (db/POSTGRES.md):
// SQLite as today (sync `.get()`), the same prepared query awaited (the async data layer on SQLite),
// PostgreSQL through drizzle's sqlite-proxy over node-postgres (db/pg.ts), raw node-postgres, and
// PostgreSQL reached synchronously from a worker thread with Atomics.wait (the "keep the domain sync" option).
// Same process, same run: wall and process CPU (all threads; not the PostgreSQL server's) per query.
// `BENCH_PG_URL=postgres://…` (a server of your own); `npx tsx bench/pg-approaches.ts`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { eq, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { bigint, pgTable, text } from 'drizzle-orm/pg-core';
import { closeDb, openDb } from '../db/index.js';
import { inPgTx, openPg } from '../db/pg.js';
import { tenants } from '../db/schema.js';

const URL_ = process.env.BENCH_PG_URL;
if (!URL_) throw new Error('set BENCH_PG_URL to a PostgreSQL database of your own');
const N = Number(process.env.BENCH_PG_N ?? 20000);

async function time(label: string, n: number, f: () => unknown): Promise<void> {
  for (let i = 0; i < Math.min(n, 2000); i++) await f();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const c = process.cpuUsage(c0);
  console.log(`${label.padEnd(52)} wall ${wall.toFixed(2).padStart(7)} µs   cpu ${((c.user + c.system) / n).toFixed(2).padStart(7)} µs`);
}

const dir = mkdtempSync(join(tmpdir(), 'pg-approaches-'));
const db = openDb(join(dir, 'b.db'));
await db.insert(tenants).values({ platform: 'shell', workspaceId: 'w', locale: 'en', timezone: 'UTC' }).run();
const byId = db
  .select({ id: tenants.id, name: tenants.workspaceId })
  .from(tenants)
  .where(eq(tenants.id, sql.placeholder('id')))
  .prepare();
// The async data layer types every handle as drizzle's async one (a sync result awaited is that result).
const asyncById = byId as unknown as { get(values: { id: number }): Promise<unknown> };
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${N} queries each`,
);
await time('sqlite: prepared .get() (today)', N, () => byId.get({ id: 1 }));
await time('sqlite: await prepared .get() (async data layer)', N, async () => await asyncById.get({ id: 1 }));
// A command as the async layer would run it: a mutex turn, BEGIN IMMEDIATE, 10 awaited queries, COMMIT.
let tail: Promise<unknown> = Promise.resolve();
const command = async () => {
  const turn = tail.then(async () => {
    db.run(sql`begin immediate`);
    for (let i = 0; i < 10; i++) await asyncById.get({ id: 1 });
    db.run(sql`commit`);
  });
  tail = turn;
  await turn;
};
const syncCommand = () =>
  db.$client
    .transaction(async () => {
      for (let i = 0; i < 10; i++) await byId.get({ id: 1 });
    })
    .immediate();
await time('sqlite: command of 10 queries, sync immediate', N / 10, syncCommand);
await time('sqlite: command of 10 queries, async + mutex', N / 10, command);

const pool = openPg(URL_, 2);
await pool.query('create table if not exists tenants (id bigint primary key, platform text, workspace_id text)');
await pool.query(`insert into tenants values (1, 'local', 'w') on conflict do nothing`);
await inPgTx(pool, async (tx) => {
  const q = tx
    .select({ id: tenants.id, name: tenants.workspaceId })
    .from(tenants)
    .where(eq(tenants.id, sql.placeholder('id')))
    .prepare();
  await time('pg: drizzle sqlite-proxy over node-postgres, in tx', N, async () => await q.get({ id: 1 }));
});
await inPgTx(
  pool,
  async (tx) => {
    const q = tx
      .select({ id: tenants.id, name: tenants.workspaceId })
      .from(tenants)
      .where(eq(tenants.id, sql.placeholder('id')))
      .prepare();
    await time('pg: the same, in a serializable tx', N, async () => await q.get({ id: 1 }));
  },
  true,
);
// For scale: drizzle's own PostgreSQL driver on a pg-core table of the same shape (what per-dialect query code would run).
const pgTenants = pgTable('tenants', { id: bigint('id', { mode: 'number' }).primaryKey(), workspaceId: text('workspace_id') });
const client = await pool.connect();
const pgDb = drizzlePg(client);
const pgQ = pgDb
  .select({ id: pgTenants.id, name: pgTenants.workspaceId })
  .from(pgTenants)
  .where(eq(pgTenants.id, sql.placeholder('id')))
  .prepare('byid_pgcore');
await time('pg: drizzle node-postgres + pg-core table', N, async () => (await pgQ.execute({ id: 1 }))[0]);
await time('pg: raw node-postgres (named prepared)', N, () =>
  client.query({ name: 'byid', text: 'select id, workspace_id from tenants where id = $1', values: [1], rowMode: 'array' }),
);
client.release();

// Synchronous PostgreSQL: a worker owns a connection; the caller posts a query and sleeps in Atomics.wait.
const signal = new Int32Array(new SharedArrayBuffer(4));
const { port1, port2 } = new MessageChannel();
const worker = new Worker(
  `const { workerData } = require('node:worker_threads'); const pg = require('pg');
   const { port, signal, url } = workerData; const c = new pg.Client(url);
   c.connect().then(() => { port.postMessage('ready'); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0);
     port.on('message', async (m) => { const r = await c.query({ name: 'byid', text: m.text, values: m.values, rowMode: 'array' });
       port.postMessage(r.rows); Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); }); });`,
  { eval: true, workerData: { port: port2, signal, url: URL_ }, transferList: [port2] },
);
Atomics.wait(signal, 0, 0);
Atomics.store(signal, 0, 0);
receiveMessageOnPort(port1);
const querySync = (text: string, values: unknown[]) => {
  port1.postMessage({ text, values });
  Atomics.wait(signal, 0, 0);
  Atomics.store(signal, 0, 0);
  return receiveMessageOnPort(port1)!.message as unknown[][];
};
await time('pg: synchronous via worker + Atomics.wait', N, () => querySync('select id, workspace_id from tenants where id = $1', [1]));
await worker.terminate();
await pool.end();
closeDb(db);
rmSync(dir, { recursive: true, force: true });

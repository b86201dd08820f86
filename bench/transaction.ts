// `npx tsx bench/transaction.ts`: what a command's transaction costs on SQLite,
// better-sqlite3's own (`immediate`, db/index.ts) beside db/transaction.ts's
// `transact` (BEGIN IMMEDIATE … COMMIT under a per-connection turn), in one
// process, in alternating blocks; CPU (process.cpuUsage) per transaction. The
// body is a small command's: one prepared lookup and one insert, alone and in
// a nested savepoint (a command with an event's dedupe key). An async body
// (one await) shows what a handler that returns a promise adds.
//
//   BENCH_TX_ROUNDS=20 BENCH_TX_BLOCK=4000  rounds, transactions per block
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { closeDb, immediate, openDb, transact, type Db, type Tx } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import { auditLog, tenants } from '../db/schema.js';
import { int } from './lib.js';

const ROUNDS = int('BENCH_TX_ROUNDS', 20, 1);
const BLOCK = int('BENCH_TX_BLOCK', 4_000, 1);

const dir = mkdtempSync(join(tmpdir(), 'steward-bench-tx-'));
const db = openDb(join(dir, 'steward.db'));
await db.insert(tenants).values({ platform: 'shell', workspaceId: 'bench', locale: 'en', timezone: 'UTC' }).run();

const tenant = (tx: Tx) =>
  prepared(tx, 'bench.tenant', (h) =>
    h
      .select()
      .from(tenants)
      .where(eq(tenants.workspaceId, sql.placeholder('w')))
      .prepare(),
  );
const audit = (tx: Tx) =>
  prepared(tx, 'bench.audit', (h) =>
    h
      .insert(auditLog)
      .values({ tenantId: sql.placeholder('t'), action: 'bench', entity: 'bench', at: sql.placeholder('at') })
      .prepare(),
  );
const body = async (tx: Tx) => {
  const t = (await tenant(tx).get({ w: 'bench' }))!;
  await audit(tx).run({ t: t.id, at: new Date() });
  return t.id;
};

const cases: Record<string, (db: Db) => unknown> = {
  'immediate (today)': (d) => immediate(d, body),
  'transact, synchronous body': (d) => transact(d, body),
  'immediate, nested savepoint': (d) => immediate(d, (tx) => immediate(tx as Db, body)),
  'transact, nested savepoint': (d) => transact(d, (tx) => transact(tx, body)),
  'transact, async body (one await)': (d) =>
    transact(d, async (tx) => {
      await Promise.resolve();
      return body(tx);
    }),
};

const cpu: Record<string, number[]> = {};
const names = Object.keys(cases);
for (let r = -2; r < ROUNDS; r++) {
  // Each round in another order, so no case always follows the same one.
  const order = r % 2 ? [...names].reverse() : names;
  for (const name of order) {
    const run = cases[name]!;
    const c0 = process.cpuUsage();
    for (let i = 0; i < BLOCK; i++) {
      const out = run(db);
      if (out instanceof Promise) await out;
    }
    const c = process.cpuUsage(c0);
    if (r >= 0) (cpu[name] ??= []).push(((c.user + c.system) * 1000) / BLOCK);
  }
  // The audit rows would grow the table for the later rounds only.
  await db.delete(auditLog).run();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(cpu[names[0]!]!);
console.log(`CPU ns per transaction (median of ${ROUNDS} rounds × ${BLOCK}), and against immediate()\n`);
for (const name of names) {
  const m = median(cpu[name]!);
  console.log(`${name.padEnd(34)} ${m.toFixed(0).padStart(7)} ns  ${(m / base).toFixed(3)}`);
}
closeDb(db);
rmSync(dir, { recursive: true, force: true });

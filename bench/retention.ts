// `npx tsx bench/retention.ts` (not part of `npm run bench`): the sweep's retention step over a large
// book with years of history (src/scheduler/retention.ts). The book of bench/lib.ts, and beside it:
// each account's revisit rounds over two years (a few weekly steps a round, every round sent), a
// pairing's nudges, health news and digests, audit rows of two years, a month of inbound event ids
// and an hour of signatures. Retention (RETENTION_DAYS 400, EVENT_RETENTION_DAYS 7) then runs as the
// scheduler runs it, production's pace and hold target, twice (with BENCH_RET_BUDGET_S the second goes
// on where the first stopped; without, it has nothing left to purge and shows what a run reads each
// time). Figures only: rows purged, write transactions, holds of the write lock, wall time.
//
//   BENCH_RET_ACCOUNTS=100000  accounts
//   BENCH_RET_ROUNDS=6         revisit rounds per account over the two years
//   BENCH_RET_BUDGET_S=0       stop the first run after so many seconds (0: run it through); the figures are of the writes it made
import { performance } from 'node:perf_hooks';
import { tenants } from '../db/schema.js';
import { runRetention } from '../src/scheduler/retention.js';
import { ascending, DAY, fmt, int, NOW, percentile, rng, seedBook, table, withTempDb } from './lib.js';

const ACCOUNTS = int('BENCH_RET_ACCOUNTS', 100_000, 1);
const ROUNDS = int('BENCH_RET_ROUNDS', 6, 1);
const BUDGET_S = int('BENCH_RET_BUDGET_S', 0);
const now = NOW.getTime();

await withTempDb('steward-bench-retention-', async (db) => {
  const book = seedBook(db, { accounts: ACCOUNTS, team: 1_000, workspace: 'bench' });
  const c = db.$client;
  const random = rng(11);
  const seeded = performance.now();
  const counts = { nudges: 0, audit: 0, events: 0, requests: 0 };
  c.transaction(() => {
    const nudge = c.prepare(
      'insert into nudges (tenant_id, dedupe_key, kind, subject_type, subject_id, period, status, created_at, sent_at, payload) values (?, ?, ?, ?, ?, ?, \'sent\', ?, ?, \'{"title":"x","sections":[]}\')',
    );
    const first = (c.prepare('select min(id) as id from accounts').get() as { id: number }).id;
    // History in the order it was written: round by round across the book.
    const span = 730 * DAY;
    const rows: [string, string, string, number, string, number][] = [];
    for (let a = 0; a < ACCOUNTS; a++) {
      const id = first + a;
      for (let r = 0; r < ROUNDS; r++) {
        const at = now - span + Math.floor(((r + random()) / ROUNDS) * span);
        const day = new Date(at).toISOString().slice(0, 10);
        const steps = 1 + Math.floor(random() * 4);
        for (let s = 1; s <= steps; s++) rows.push([`revisit:${id}:${day}:${s}`, 'revisit', 'account', id, `${day}:${s}`, at + (s - 1) * 7 * DAY]);
        if (random() < 0.3) rows.push([`health:${id}:${day}:1`, 'health', 'account', id, `${day}:1`, at]);
      }
    }
    rows.sort((x, y) => x[5] - y[5]);
    for (const [key, kind, type, subject, period, at] of rows) nudge.run(book.tenantId, key, kind, type, subject, period, at, at + 3_600_000);
    counts.nudges = rows.length;
    const audit = c.prepare("insert into audit_log (tenant_id, action, entity, entity_id, at) values (?, 'touch.log', 'touchpoint', ?, ?)");
    for (let i = 0; i < 2 * ACCOUNTS; i++) audit.run(book.tenantId, i, now - 730 * DAY + Math.floor((i / (2 * ACCOUNTS)) * 730 * DAY));
    counts.audit = 2 * ACCOUNTS;
    const event = c.prepare('insert into inbound_events (platform, event_id, received_at) values (?, ?, ?)');
    for (let i = 0; i < ACCOUNTS; i++) event.run('slack', `Ev${i}`, now - 30 * DAY + Math.floor((i / ACCOUNTS) * 30 * DAY));
    counts.events = ACCOUNTS;
    const request = c.prepare('insert into seen_requests (key, expires_at) values (?, ?)');
    for (let i = 0; i < ACCOUNTS / 5; i++) request.run(`slack:v0=${i}`, now - 3_600_000 + Math.floor((i / (ACCOUNTS / 5)) * 3_600_000));
    counts.requests = ACCOUNTS / 5;
  })();
  process.stdout.write(
    `seeded ${fmt(ACCOUNTS)} accounts, ${fmt(counts.nudges)} nudges, ${fmt(counts.audit)} audit rows, ${fmt(counts.events)} event ids, ${fmt(counts.requests)} signatures in ${fmt((performance.now() - seeded) / 1000, 1)} s\n`,
  );
  // The seeding's WAL written back first: the runs are measured on a book at rest.
  c.pragma('wal_checkpoint(TRUNCATE)');
  const all = await db.select().from(tenants).all();
  const rows: string[][] = [
    [
      'run',
      'nudges',
      'audit',
      'events',
      'signatures',
      'writes',
      'largest batch',
      'median hold ms',
      'p99 hold ms',
      'longest hold ms',
      'longest commit ms',
      'longest read ms',
      'held s',
      'wall s',
    ],
  ];
  for (const name of ['first run (years of history)', 'second run']) {
    const start = performance.now();
    const r = await runRetention(db, all, NOW, { days: 400, eventDays: 7 }, { budgetMs: BUDGET_S > 0 ? BUDGET_S * 1000 : Number.POSITIVE_INFINITY });
    const wall = (performance.now() - start) / 1000;
    rows.push([
      name,
      fmt(r.deleted.nudges),
      fmt(r.deleted.audit),
      fmt(r.deleted.events),
      fmt(r.deleted.requests),
      fmt(r.batches),
      fmt(Math.max(0, ...r.rows)),
      fmt(percentile(ascending(r.holds), 50) || 0, 2),
      fmt(percentile(ascending(r.holds), 99) || 0, 1),
      fmt(r.longestHoldMs, 1),
      fmt(Math.max(0, ...r.commits), 1),
      fmt(Math.max(0, ...r.reads), 1),
      fmt(r.holds.reduce((a, b) => a + b, 0) / 1000, 1),
      fmt(wall, 1),
    ]);
  }
  process.stdout.write(`${table(rows)}\n`);
});

// `npx tsx bench/migrate-db.ts`: the copy rate of `steward migrate-db` (src/io/migrate-db.ts) on the benches'
// seeded book (bench/lib.ts seedBook), into a PostgreSQL of the bench's own (test/pg.ts: initdb in a temp
// folder, fsync off; or TEST_DATABASE_URL), a fresh database per run. Reported per run: rows copied, wall
// time, rows/s, and this process's CPU time (reading SQLite, mapping through drizzle, building the INSERTs;
// the server's own work is on the other core), with the load average. The batch sizes are run in turn on
// the same book, so their ratio is of one run.
//
//   BENCH_MIGRATE_ACCOUNTS=100000   accounts in the seeded book (2 touchpoints each, complaints, promises, pairings)
//   BENCH_MIGRATE_BATCHES=1000,250  rows per INSERT at most, one run each
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { migrateDb } from '../src/io/migrate-db.js';
import { startTestPg } from '../test/pg.js';
import { fmt, int, ints, seedBook, table, withTempDb } from './lib.js';

const ACCOUNTS = int('BENCH_MIGRATE_ACCOUNTS', 100_000, 1);
const BATCHES = ints('BENCH_MIGRATE_BATCHES', [1000, 250]);

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

await withTempDb('steward-bench-migrate-', async (db, file) => {
  const seeded = performance.now();
  seedBook(db, { accounts: ACCOUNTS, team: 200, workspace: 'bench' });
  console.log(`seeded ${fmt(ACCOUNTS)} accounts in ${fmt((performance.now() - seeded) / 1000, 1)} s`);
  const server = await startTestPg();
  try {
    const rows: string[][] = [['batch', 'rows', 'wall s', 'rows/s', 'cpu s', 'load']];
    for (const batchRows of BATCHES) {
      const c = await server.database();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const r = await migrateDb({ from: file, to: c, batchRows });
      const wall = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      if (!r.ok) throw new Error(`the copy's checks failed: ${JSON.stringify(r.tables.filter((t) => !t.ok))}`);
      rows.push([String(batchRows), fmt(r.rows), fmt(wall, 1), fmt(r.rows / wall), fmt((used.user + used.system) / 1e6, 1), load()]);
    }
    console.log(table(rows));
  } finally {
    await server.stop();
  }
});

// The digest's touch counts as SQLite ran them (`sum(x >= ?)`) and as they are written now to run on PostgreSQL
// too (`sum(case when x >= ? then 1 else 0 end)`), on one in-memory table in one process, alternating: CPU per query.
// `npx tsx bench/pg-portable-sql.ts`
import Database from 'better-sqlite3';

const db = new Database(':memory:');
db.exec('create table t (member_id integer, tenant_id integer, occurred_at integer)');
const insert = db.prepare('insert into t values (?, ?, ?)');
db.transaction(() => {
  for (let i = 0; i < 200_000; i++) insert.run(i % 50, 1, 1_700_000_000_000 + i * 60_000);
})();
db.exec('create index t_member on t (member_id, occurred_at)');
const where = 'from t where member_id in (select value from json_each(?)) and +tenant_id = ? and occurred_at >= ? and occurred_at < ?';
const before = db.prepare(`select coalesce(sum(occurred_at >= ?), 0), coalesce(sum(occurred_at < ?), 0) ${where}`);
const after = db.prepare(`select coalesce(sum(case when occurred_at >= ? then 1 else 0 end), 0), coalesce(sum(case when occurred_at < ? then 1 else 0 end), 0) ${where}`);
const week = 1_700_000_000_000 + 100_000 * 60_000;
const args = [week, week, JSON.stringify([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 1, week - 20_000 * 60_000, week + 20_000 * 60_000];
if (JSON.stringify(before.raw().get(...args)) !== JSON.stringify(after.raw().get(...args))) throw new Error('the two forms disagree');
const cpu = (q: Database.Statement, n: number) => {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) q.raw().get(...args);
  const d = process.cpuUsage(t);
  return (d.user + d.system) / n;
};
const runs: Record<string, number[]> = { before: [], after: [] };
for (let r = 0; r < 6; r++) {
  runs.before!.push(cpu(before, 200));
  runs.after!.push(cpu(after, 200));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  `sum(x >= ?): ${median(runs.before!).toFixed(1)} µs CPU a query; sum(case …): ${median(runs.after!).toFixed(1)} µs; ratio ${(median(runs.after!) / median(runs.before!)).toFixed(3)}`,
);

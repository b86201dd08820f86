// What the benches share: sizes from the environment, a fixed clock and seeded
// randomness (two runs do the same work), the names of a made-up logistics book,
// a temp SQLite file, and figures printed as percentiles and tables.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDb, openDb, type Db } from '../db/index.js';

/** A whole number from the environment variable `name`, at least `min`; `fallback` when unset or empty. */
export function int(name: string, fallback: number, min: 0 | 1 = 0): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: expected a ${min === 0 ? 'whole number' : 'positive whole number'}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Positive whole numbers, separated by commas (`8,32`), from the environment variable `name`, each once; `fallback` when unset or empty. */
export function ints(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((x) => Number(x.trim()));
  if (!list.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`${name}: expected positive whole numbers separated by commas, got ${JSON.stringify(raw)}`);
  return [...new Set(list)];
}

/** BENCH_KEEP=1: keep the temp SQLite file (its path is printed). */
export const KEEP = process.env.BENCH_KEEP === '1';

/** Monday 10:00 in Shanghai: working hours, so nothing waits. */
export const NOW = new Date('2026-11-23T02:00:00Z');
export const TIMEZONE = 'Asia/Shanghai';
export const DAY = 86_400_000;

/** A seeded random number generator (mulberry32), uniform in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `rng` with the draws the seeded tests use: the next number, an integer below `n`, an element of a list. */
export function seeded(seed: number) {
  const next = rng(seed);
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

/** Picks an element of a list with `random`. */
export const picker =
  (random: () => number) =>
  <T>(xs: readonly T[]): T =>
    xs[Math.floor(random() * xs.length)]!;

export const CITIES = [
  'Shanghai',
  'Suzhou',
  'Kunshan',
  'Ningbo',
  'Hangzhou',
  'Wuxi',
  'Nanjing',
  'Qingdao',
  'Tianjin',
  'Shenzhen',
  'Dongguan',
  'Foshan',
  'Xiamen',
  'Chengdu',
  'Chongqing',
  'Wuhan',
  'Zhengzhou',
  'Xian',
  'Hefei',
  'Changsha',
];
export const INDUSTRIES = ['Logistics', 'Electronics', 'Auto Parts', 'Retail', 'Pharma', 'Foods', 'Machinery', 'Textiles', 'Furniture', 'Cosmetics', 'Chemicals', 'Packaging'];
export const TOUCH_KINDS = ['visit', 'call', 'meeting', 'message', 'review'] as const;
export const NOTES = [
  'Walked the new warehouse; they want cold-chain quotes for Q1',
  'Confirmed December peak volumes (+15%)',
  'Quarterly review of damage rates on the Shanghai-Chengdu lane',
  'Discussed moving two DCs to us next year',
  'GDP audit scheduled for January',
  'Sent updated reefer tariffs and the new SLA draft',
];

/** The i-th account's name: "Wuxi Retail 00042". */
export const accountName = (i: number) => `${CITIES[i % CITIES.length]} ${INDUSTRIES[Math.floor(i / CITIES.length) % INDUSTRIES.length]} ${String(i + 1).padStart(5, '0')}`;

/** One account in 20 is strategic, one in 5 key, the rest standard. */
export const tierOf = (i: number): 'strategic' | 'key' | 'standard' => (i % 20 === 0 ? 'strategic' : i % 5 === 0 ? 'key' : 'standard');

/** Runs `body` on a new SQLite file in a temp folder, then closes it and removes the folder unless BENCH_KEEP=1. */
export async function withTempDb<T>(prefix: string, body: (db: Db, file: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'bench.db');
  const db = openDb(file);
  try {
    return await body(db, file);
  } finally {
    closeDb(db);
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

/** The p-th percentile (nearest rank) of numbers sorted ascending; NaN for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** A copy sorted ascending. */
export const ascending = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** The lower median. */
export const median = (xs: number[]) => ascending(xs)[Math.floor((xs.length - 1) / 2)]!;

/** Count, p50 and p99 of latencies in any order. */
export function latency(xs: number[]): { n: number; p50: number; p99: number } {
  const s = ascending(xs);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99) };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Rows as an aligned table: the first row a header, the first column left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

// Fixed clock (NOW: Monday 10:00 in Shanghai, working hours, so nothing waits) and seeded randomness.
const CADENCE = { strategic: 14, key: 30, standard: 90 } as const;
export interface SeededBook {
  tenantId: number;
  /** A manager whose team owns `team` accounts, and one of their reps. */
  managerId: number;
  repId: number;
  touchpoints: number;
  complaints: number;
  promises: number;
  pairings: number;
}

/**
 * The benches' book: reps own 100 accounts each (fewer in a smaller team); every team / 100 reps report to a manager.
 * Each account's last visit is one cadence plus 0-40 days ago, so every account is
 * due, and some are overdue enough for a reminder or for their manager to be told.
 */
export function seedBook(db: Db, o: { accounts: number; team: number; workspace: string }): SeededBook {
  const ACCOUNTS = o.accounts;
  const TEAM = o.team;
  const PER_REP = Math.min(100, TEAM);
  const random = rng(7);
  const c = db.$client;
  const tenantId = Number(
    c.prepare("insert into tenants (platform, workspace_id, name, locale, timezone) values ('shell', ?, 'Bench Logistics', 'en', ?)").run(o.workspace, TIMEZONE).lastInsertRowid,
  );
  const insMember = c.prepare('insert into members (tenant_id, platform_user_id, name, role, function, manager_id) values (?, ?, ?, ?, ?, ?)');
  const insAccount = c.prepare('insert into accounts (tenant_id, name, name_key, tier, owner_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)');
  const insTouch = c.prepare(
    "insert into touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, note, source_platform, created_at) values (?, ?, ?, 'sales', ?, ?, '', 'shell', ?)",
  );
  const insComplaint = c.prepare(
    "insert into complaints (tenant_id, number, account_id, severity, category, summary, owner_id, reporter_id, status, opened_at, deadline_at) values (?, ?, ?, ?, 'delay', 'Late delivery', ?, ?, 'open', ?, ?)",
  );
  const insPromise = c.prepare(
    "insert into promises (tenant_id, number, account_id, owner_id, text, due_on, status, created_at) values (?, ?, ?, ?, 'Send the quote', ?, 'open', ?)",
  );
  const insPairing = c.prepare('insert into pairings (tenant_id, account_id, exec_id, cadence_days, active, created_at) values (?, ?, ?, 90, 1, ?)');
  const out: SeededBook = { tenantId, managerId: 0, repId: 0, touchpoints: 0, complaints: 0, promises: 0, pairings: 0 };
  c.transaction(() => {
    insMember.run(tenantId, 'admin', 'admin', 'admin', 'sales', null);
    const execId = Number(insMember.run(tenantId, 'chen', 'chen', 'exec', 'executive', null).lastInsertRowid);
    const reps: number[] = [];
    const repsPerTeam = Math.max(1, Math.round(TEAM / PER_REP));
    const repCount = Math.ceil(ACCOUNTS / PER_REP);
    let manager = 0;
    for (let r = 0; r < repCount; r++) {
      if (r % repsPerTeam === 0) {
        const m = r / repsPerTeam;
        manager = Number(insMember.run(tenantId, `mgr${m}`, `mgr${m}`, 'manager', 'sales', null).lastInsertRowid);
        if (m === 0) out.managerId = manager;
      }
      reps.push(Number(insMember.run(tenantId, `rep${r}`, `rep${r}`, 'rep', 'sales', manager).lastInsertRowid));
    }
    out.repId = reps[0]!;
    const created = NOW.getTime() - 800 * DAY;
    let complaintNo = 0;
    let promiseNo = 0;
    for (let i = 0; i < ACCOUNTS; i++) {
      const tier = tierOf(i);
      const owner = reps[Math.floor(i / PER_REP)]!;
      const name = `Account ${String(i + 1).padStart(6, '0')}`;
      const id = Number(insAccount.run(tenantId, name, name.toLowerCase(), tier, owner, created, created).lastInsertRowid);
      const lastVisit = NOW.getTime() - CADENCE[tier] * DAY - Math.floor(random() * 40 * DAY) - 3_600_000;
      insTouch.run(tenantId, id, owner, 'visit', lastVisit, lastVisit);
      // A call since then: a touch, but not one that resets the revisit clock.
      const call = lastVisit + Math.floor(random() * (NOW.getTime() - lastVisit));
      insTouch.run(tenantId, id, owner, 'call', call, call);
      out.touchpoints += 2;
      if (i % 50 === 0) {
        const opened = NOW.getTime() - Math.floor(random() * 10 * DAY);
        insComplaint.run(tenantId, ++complaintNo, id, 'high', owner, owner, opened, opened + 24 * 3_600_000);
        out.complaints++;
      }
      if (i % 33 === 0) {
        const due = new Date(NOW.getTime() + Math.floor((random() * 14 - 10) * DAY)).toISOString().slice(0, 10);
        insPromise.run(tenantId, ++promiseNo, id, owner, due, created);
        out.promises++;
      }
      if (tier === 'strategic' && i % 200 === 0) {
        insPairing.run(tenantId, id, execId, created);
        out.pairings++;
      }
    }
  })();
  c.pragma('optimize');
  // The seed's pages copied into the file now, not at the first commit measured.
  c.pragma('wal_checkpoint(TRUNCATE)');
  return out;
}

/**
 * The benches' baseline: the sweep's revisit read as raw SQL (every active, owned account with its last
 * visit), nothing decided. Warmed up once (page cache and statement); `once()` times a run and counts its rows.
 */
export function bookScan(db: Db, tenantId: number): { rows: number; once: () => number } {
  const stmt = db.$client.prepare(
    `select a.*, (select max(t.occurred_at) from touchpoints t where t.account_id = a.id and t.kind in ('visit', 'meeting', 'review')) as last
       from accounts a where a.tenant_id = ? and a.status = 'active' and a.owner_id is not null`,
  );
  const scan = {
    rows: 0,
    once: () => {
      const start = performance.now();
      scan.rows = (stmt.all(tenantId) as unknown[]).length;
      return performance.now() - start;
    },
  };
  scan.once();
  return scan;
}

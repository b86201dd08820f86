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

// `npm run steward -- migrate-db --to postgres://… [--from book.db]`: copies a SQLite book into an
// empty PostgreSQL database, all or nothing, and checks it.
//
// - The SQLite book is read in one read transaction (a snapshot: a Steward still running on it keeps
//   writing, and the copy sees each of its commands whole or not at all), with writes refused on the
//   connection (query_only).
// - db/migrations-pg are applied to the target; a target whose Steward tables hold any row is refused
//   before anything is written.
// - Every table is copied in foreign-key order in multi-row INSERTs, keeping ids, in one PostgreSQL
//   transaction. Values go through the drizzle tables of both schemas, column by column by name
//   (getTableConfig): read as db/schema.ts maps them (Dates, booleans, JSON), written as db/schema.pg.ts
//   maps them, so a column whose type changes in either schema is converted by its new mapping.
// - The tables' own triggers (the next_check_at marks, the card redraws) are off for the copy
//   (`ALTER TABLE … DISABLE TRIGGER USER`, inside the transaction: the owner may, no superuser needed;
//   foreign keys are still checked), so each row arrives exactly as it was; a self-reference
//   (members.manager_id, contacts.replaced_by_id) is written after its table's rows.
// - Each identity sequence is set past the largest id copied, then every table is checked, inside the
//   transaction: its row count, and sums over its integer and text columns, computed by the same SQL on
//   both sides. Any difference rolls the whole copy back.
// - The two schemas must hold the same tables and columns (test/schema-agreement.test.ts keeps them so);
//   a difference stops the copy before anything is written.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getTableColumns, is, sql, type Column } from 'drizzle-orm';
import { drizzle as pgDrizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as pgMigrate } from 'drizzle-orm/node-postgres/migrator';
import { getTableConfig as pgConfig, PgTable, type PgColumn } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { closeDb, openDb, type Db } from '../../db/index.js';
import * as pgSchema from '../../db/schema.pg.js';
import * as sqliteSchema from '../../db/schema.js';

export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../db/migrations-pg', import.meta.url));

/** A problem that stops the copy before or during it; the target is left as it was. */
export class MigrateError extends Error {
  override name = 'MigrateError';
}

export interface MigrateOptions {
  /** The SQLite book. */
  from: string;
  /** The PostgreSQL database: a postgres:// URL or node-postgres settings. */
  to: string | pg.ClientConfig;
  /** Rows per INSERT at most (fewer for a wide table, under PostgreSQL's 65 535 parameters). */
  batchRows?: number;
  onProgress?: (table: string, done: number, total: number) => void;
  /** Called inside the copy's transaction after each batch is written (the next one may be under way): a test's way to fail or race the copy. */
  onBatch?: (table: string, copied: number) => void | Promise<void>;
}

export interface TableCheck {
  table: string;
  sqlite: number;
  postgres: number;
  /** Count and sums equal. */
  ok: boolean;
}

export interface MigrateResult {
  /** Every table compared, in the order copied. */
  tables: TableCheck[];
  rows: number;
  ms: number;
  /** Every check held, and the copy was committed; false: it was rolled back. */
  ok: boolean;
}

interface Pair {
  name: string;
  sqlite: SQLiteTable;
  pg: PgTable;
  /** Column pairs by database name, in the PostgreSQL table's order, with each side's property key. */
  columns: { name: string; s: SQLiteColumn; sKey: string; p: PgColumn; pKey: string }[];
  /** PostgreSQL columns referencing their own table: written after the table's rows. */
  selfRefs: string[];
  /** The single-column primary key's database name, if any. */
  pk?: string;
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

const sqliteTables: SQLiteTable[] = (Object.values(sqliteSchema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable));
const pgTables: PgTable[] = (Object.values(pgSchema) as unknown[]).filter((v): v is PgTable => is(v, PgTable));

/** The tables of both schemas paired by name, in foreign-key order (a table after those it references). */
export function tablePairs(): Pair[] {
  const byName = new Map(sqliteTables.map((t) => [sqliteConfig(t).name, t]));
  const pgNames = new Set(pgTables.map((t) => pgConfig(t).name));
  const unordered: Pair[] = [];
  const problems: string[] = [];
  for (const p of pgTables) {
    const pc = pgConfig(p);
    const s = byName.get(pc.name);
    if (!s) {
      problems.push(`${pc.name} is only in the PostgreSQL schema`);
      continue;
    }
    const sCols = new Map(Object.entries(getTableColumns(s)).map(([key, c]) => [c.name, { key, c: c as SQLiteColumn }]));
    const pCols = Object.entries(getTableColumns(p)).map(([key, c]) => ({ key, c: c as PgColumn }));
    for (const name of sCols.keys()) if (!pCols.some((x) => x.c.name === name)) problems.push(`${pc.name}.${name} is only in the SQLite schema`);
    const columns = pCols.flatMap(({ key, c }) => {
      const sc = sCols.get(c.name);
      if (!sc) {
        problems.push(`${pc.name}.${c.name} is only in the PostgreSQL schema`);
        return [];
      }
      return [{ name: c.name, s: sc.c, sKey: sc.key, p: c, pKey: key }];
    });
    const selfRefs = pc.foreignKeys.flatMap((fk) => {
      const ref = fk.reference();
      return pgConfig(ref.foreignTable).name === pc.name ? ref.columns.map((c) => c.name) : [];
    });
    const pks = pc.columns.filter((c) => c.primary).map((c) => c.name);
    const pk = pks.length === 1 ? pks[0] : pc.primaryKeys.length === 1 && pc.primaryKeys[0]!.columns.length === 1 ? pc.primaryKeys[0]!.columns[0]!.name : undefined;
    if (selfRefs.length && !pk) problems.push(`${pc.name} references itself but has no single-column primary key`);
    unordered.push({ name: pc.name, sqlite: s, pg: p, columns, selfRefs, pk });
  }
  for (const name of byName.keys()) if (!pgNames.has(name)) problems.push(`${name} is only in the SQLite schema`);
  if (problems.length) throw new MigrateError(`db/schema.ts and db/schema.pg.ts disagree: ${problems.join('; ')}`);
  // Foreign-key order (depth-first), self-references aside.
  const deps = new Map(
    unordered.map((t) => [
      t.name,
      pgConfig(t.pg)
        .foreignKeys.map((fk) => pgConfig(fk.reference().foreignTable).name)
        .filter((n) => n !== t.name),
    ]),
  );
  const pairs: Pair[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: Pair) => {
    if (state.get(t.name) === 'done') return;
    if (state.get(t.name) === 'visiting') throw new MigrateError(`the tables' foreign keys form a cycle through ${t.name}`);
    state.set(t.name, 'visiting');
    for (const d of deps.get(t.name)!) {
      const dep = unordered.find((x) => x.name === d);
      if (dep) visit(dep);
    }
    state.set(t.name, 'done');
    pairs.push(t);
  };
  for (const t of unordered) visit(t);
  return pairs;
}

/**
 * A value as the SQLite column's mapping read it, made the kind the PostgreSQL column's mapping writes
 * (the same kind, as the schemas stand, passes through). A custom PostgreSQL type takes the value as read.
 */
export function convert(value: unknown, from: Column, to: Column): unknown {
  if (value === null || value === undefined) return null;
  if (from.dataType === to.dataType) return value;
  // A custom column of db/schema.pg.ts stores what SQLite stores: JSON as its text (jsonText), an instant as a Date for epochMs.
  if (to.dataType === 'custom') return typeof value === 'object' && !(value instanceof Date) && /^text\b/i.test(to.getSQLType()) ? JSON.stringify(value) : value;
  switch (to.dataType) {
    case 'boolean':
      return typeof value === 'string' ? value !== '' && value !== '0' && value !== 'false' : Boolean(value);
    case 'number':
      return value instanceof Date ? value.getTime() : Number(value);
    case 'bigint':
      return BigInt(value instanceof Date ? value.getTime() : typeof value === 'boolean' ? Number(value) : (value as number | string | bigint));
    case 'string':
      return typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value instanceof Date ? String(value.getTime()) : String(value);
    case 'json':
      return typeof value === 'string' ? JSON.parse(value) : value;
    case 'date':
      return value instanceof Date ? value : new Date(Number(value));
    default:
      return value;
  }
}

/** The check's SQL, the same text on both engines: the count, and sums over the columns both store as integers or as plain text. */
function checkSql(t: Pair): string {
  const parts = ['count(*)'];
  for (const c of t.columns) {
    const sType = c.s.getSQLType();
    const pType = c.p.getSQLType();
    if (sType === 'integer' && ['bigint', 'integer', 'smallint'].includes(pType)) parts.push(`sum(${q(c.name)} % 4294967296)`);
    else if (sType === 'text' && pType === 'text' && c.s.dataType === 'string' && c.p.dataType === 'string') parts.push(`sum(length(${q(c.name)}))`);
  }
  return `SELECT ${parts.join(', ')} FROM ${q(t.name)}`;
}

const asText = (v: unknown) => (v === null || v === undefined ? 'null' : String(v));

/** Host and database of a target, without its password, for messages. */
export function describeTarget(to: string | pg.ClientConfig): string {
  if (typeof to === 'string') return to.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:…@');
  return `${to.host ?? 'localhost'}${to.port ? `:${to.port}` : ''}/${to.database ?? ''}`;
}

async function nonEmptyTables(client: pg.Client, pairs: Pair[]): Promise<string[]> {
  const full: string[] = [];
  for (const name of pairs.map((p) => p.name)) {
    const { rows } = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [q(name)]);
    if (!rows[0]?.t) continue;
    const { rows: any } = await client.query(`SELECT 1 FROM ${q(name)} LIMIT 1`);
    if (any.length) full.push(name);
  }
  return full;
}

/** Copies the SQLite book `from` into the empty PostgreSQL database `to`; see the top of this file. */
export async function migrateDb(opts: MigrateOptions): Promise<MigrateResult> {
  const started = performance.now();
  if (!existsSync(opts.from)) throw new MigrateError(`no SQLite book at ${opts.from}`);
  const pairs = tablePairs();
  // Pending SQLite migrations are applied as any steward command does; then the connection only reads.
  const book: Db = openDb(opts.from);
  const s = book.$client;
  let client: pg.Client | undefined;
  try {
    s.pragma('query_only = ON');
    s.exec('BEGIN');
    s.prepare('SELECT count(*) FROM sqlite_master').get(); // the snapshot starts at the first read

    client = new pg.Client(typeof opts.to === 'string' ? { connectionString: opts.to } : opts.to);
    // A lost connection fails the query under way (and so the copy); without a listener it would also be thrown out of the process.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (e) {
      throw new MigrateError(`cannot connect to ${describeTarget(opts.to)}: ${(e as Error).message}`);
    }
    const refuse = (full: string[]) =>
      new MigrateError(`${describeTarget(opts.to)} already holds Steward rows (${full.join(', ')}); migrate-db copies into an empty database only. Nothing was written.`);
    const full = await nonEmptyTables(client, pairs);
    if (full.length) throw refuse(full);
    const target: NodePgDatabase = pgDrizzle(client);
    await pgMigrate(target, { migrationsFolder: PG_MIGRATIONS_FOLDER });

    await client.query('BEGIN');
    let committed = false;
    try {
      // The locks these take keep anyone else from writing the tables until the copy commits.
      for (const t of pairs) await client.query(`ALTER TABLE ${q(t.name)} DISABLE TRIGGER USER`);
      const raced = await nonEmptyTables(client, pairs);
      if (raced.length) throw refuse(raced);

      let rows = 0;
      for (const t of pairs) rows += await copyTable(book, target, client, t, opts);
      await resetSequences(client, pairs);
      for (const t of pairs) await client.query(`ALTER TABLE ${q(t.name)} ENABLE TRIGGER USER`);

      const tables: TableCheck[] = [];
      for (const t of pairs) {
        const text = checkSql(t);
        const mine = (s.prepare(text).safeIntegers().raw().get() as unknown[]).map(asText);
        const theirs = Object.values((await client.query({ text, rowMode: 'array' })).rows[0] as unknown[]).map(asText);
        tables.push({ table: t.name, sqlite: Number(mine[0]), postgres: Number(theirs[0]), ok: mine.join() === theirs.join() });
      }
      const ok = tables.every((c) => c.ok);
      if (ok) {
        await client.query('COMMIT');
        committed = true;
      }
      return { tables, rows, ms: performance.now() - started, ok };
    } finally {
      if (!committed) await client.query('ROLLBACK').catch(() => {});
    }
  } finally {
    if (s.inTransaction) s.exec('ROLLBACK');
    closeDb(book);
    await client?.end().catch(() => {});
  }
}

/** One table, in rowid order, in batches; its self-references written after its rows. Returns the rows copied. */
async function copyTable(book: Db, target: NodePgDatabase, client: pg.Client, t: Pair, opts: MigrateOptions): Promise<number> {
  const total = Number(
    book.$client
      .prepare(`SELECT count(*) FROM ${q(t.name)}`)
      .pluck()
      .get(),
  );
  const size = Math.max(1, Math.min(opts.batchRows ?? 1000, Math.floor(30_000 / t.columns.length)));
  const later: [unknown, string, unknown][] = []; // [primary key, column, value]
  const pkPair = t.columns.find((c) => c.name === t.pk);
  const rowid = sql<number>`rowid`.as('__steward_rowid');
  let last = -Infinity;
  let done = 0;
  let inFlight: { write: Promise<void>; rows: number } | undefined;
  const settle = async () => {
    if (!inFlight) return;
    const { write, rows } = inFlight;
    inFlight = undefined;
    await write;
    done += rows;
    opts.onProgress?.(t.name, done, total);
    await opts.onBatch?.(t.name, done);
  };
  opts.onProgress?.(t.name, 0, total);
  for (;;) {
    const batch = (await book
      .select({ ...getTableColumns(t.sqlite), __steward_rowid: rowid })
      .from(t.sqlite)
      .where(Number.isFinite(last) ? sql`rowid > ${last}` : undefined)
      .orderBy(sql`rowid`)
      .limit(size)
      .all()) as Record<string, unknown>[];
    if (!batch.length) break;
    last = batch.at(-1)!.__steward_rowid as number;
    const values = batch.map((row) => {
      const out: Record<string, unknown> = {};
      for (const c of t.columns) {
        const v = convert(row[c.sKey], c.s, c.p);
        if (t.selfRefs.includes(c.name) && v !== null) {
          later.push([convert(row[pkPair!.sKey], pkPair!.s, pkPair!.p), c.name, v]);
          out[c.pKey] = null;
        } else out[c.pKey] = v;
      }
      return out;
    });
    // One INSERT in flight while the next batch is read and mapped: the server's work and ours overlap.
    const from = String(batch[0]!.__steward_rowid);
    const write = target
      .insert(t.pg)
      .values(values)
      .then(
        () => undefined,
        (e: unknown) => {
          // drizzle's error names the whole statement and its values; the server's reason is its cause.
          const cause = ((e as Error).cause ?? e) as Error & { detail?: string };
          throw new MigrateError(`copying ${t.name} (rows from rowid ${from}): ${cause.message}${cause.detail ? ` (${cause.detail})` : ''}`);
        },
      );
    write.catch(() => {}); // awaited below; a failure of the one before it is thrown first
    await settle();
    inFlight = { write, rows: batch.length };
  }
  await settle();
  if (later.length && pkPair) {
    for (let i = 0; i < later.length; i += 5000) {
      const chunk = later.slice(i, i + 5000);
      for (const column of t.selfRefs) {
        const mine = chunk.filter(([, c]) => c === column);
        if (!mine.length) continue;
        const pType = pkPair.p.getSQLType();
        const cType = t.columns.find((c) => c.name === column)!.p.getSQLType();
        await client.query(
          `UPDATE ${q(t.name)} AS t SET ${q(column)} = v.val::${cType} FROM unnest($1::${pType}[], $2::${cType}[]) AS v(key, val) WHERE t.${q(pkPair.name)} = v.key`,
          [mine.map(([k]) => k), mine.map(([, , v]) => v)],
        );
      }
    }
  }
  return done;
}

/** Each identity (or serial) column's sequence set so the next id is past the largest copied. */
async function resetSequences(client: pg.Client, pairs: Pair[]): Promise<void> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY($1) AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`,
    [pairs.map((p) => p.name)],
  );
  for (const r of rows) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${q(r.column_name)}) FROM ${q(r.table_name)}), 0) + 1, false)`, [
      q(r.table_name),
      r.column_name,
    ]);
  }
}

// ---------------------------------------------------------------------------
// The command line

export const MIGRATE_USAGE = `usage:
  steward migrate-db --to postgres://user:password@host:5432/db [--from book.db]

Copies the SQLite book (--from, STEWARD_DB by default) into an empty PostgreSQL
database: applies db/migrations-pg there, copies every table keeping its ids in
one transaction, and checks each table's rows. A database that already holds
Steward rows is refused; any failure or difference leaves it as it was.`;

interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The checks as an aligned table: table, rows in SQLite, rows in PostgreSQL, ok or DIFFERENT. */
export function checkTable(result: MigrateResult): string {
  const rows = [['table', 'sqlite', 'postgres', 'check'], ...result.tables.map((c) => [c.table, String(c.sqlite), String(c.postgres), c.ok ? 'ok' : 'DIFFERENT'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

/**
 * `steward migrate-db ...`: 0 copied and checked, 1 a difference (rolled back), 2 a usage, configuration, source or
 * target problem. `configuredBook` gives the book when --from is not given (src/io/cli.ts: STEWARD_DB); it throws a
 * configuration problem as an error whose message is one line.
 */
export async function runMigrateDb(argv: string[], io: Io, configuredBook: () => string): Promise<number> {
  let values: { to?: string; from?: string; help?: boolean };
  try {
    const parsed = parseArgs({
      args: argv,
      options: { to: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    const extra = parsed.positionals.filter((p, i) => !(i === 0 && p === 'migrate-db'));
    if (extra.length) throw new Error(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!values.help && !values.to) throw new Error('migrate-db: --to postgres://… is required');
    if (values.to && !/^postgres(?:ql)?:\/\//.test(values.to)) throw new Error(`migrate-db: --to expects a postgres:// URL, got ${JSON.stringify(describeTarget(values.to))}`);
  } catch (e) {
    io.stderr.write(`steward: ${(e as Error).message}\n${MIGRATE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${MIGRATE_USAGE}\n`);
    return 0;
  }
  try {
    let from = values.from;
    if (from === undefined) {
      try {
        from = configuredBook();
      } catch (e) {
        throw new MigrateError((e as Error).message);
      }
    }
    let shown = '';
    const result = await migrateDb({
      from,
      to: values.to!,
      // On a terminal: each table's rows copied so far, on one line redrawn at each whole percent.
      onProgress: io.stderr.isTTY
        ? (table, done, total) => {
            const at = `${table} ${total ? Math.floor((done / total) * 100) : 100}`;
            if (at === shown) return;
            shown = at;
            io.stderr.write(`\rcopying ${table} ${done}/${total}${done === total ? '\n' : ''}`);
          }
        : undefined,
    });
    io.stdout.write(`${checkTable(result)}\n`);
    const rate = result.ms > 0 ? Math.round(result.rows / (result.ms / 1000)) : result.rows;
    if (!result.ok) {
      const bad = result.tables.filter((c) => !c.ok).map((c) => c.table);
      io.stderr.write(`steward: ${bad.join(', ')} differ after the copy; it was rolled back, nothing was written to ${describeTarget(values.to!)}\n`);
      return 1;
    }
    io.stdout.write(`copied ${result.rows} rows from ${from} to ${describeTarget(values.to!)} in ${(result.ms / 1000).toFixed(1)} s (${rate} rows/s)\n`);
    return 0;
  } catch (e) {
    if (e instanceof MigrateError) {
      io.stderr.write(`steward: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`steward: migrate-db failed, nothing was written: ${(e as Error).message}\n`);
    return 2;
  }
}

// PostgreSQL under the domain's own queries (the spike's approach, see
// db/POSTGRES.md): the domain keeps building its queries with the sqlite-core
// tables of db/schema.ts, and on PostgreSQL they go through drizzle's
// `sqlite-proxy` driver, whose callback here hands each statement to
// node-postgres. The SQL drizzle's SQLite dialect writes is PostgreSQL's too
// (double-quoted names, `returning`, `on conflict`), but for its `?`
// placeholders, which become `$1…`; the PostgreSQL tables store what the SQLite
// ones store (instants as bigint milliseconds, flags as 0/1, JSON as text; the
// schema is db/schema.pg.ts, its migrations db/migrations-pg), so drizzle's
// column mappings serve both engines unchanged.
import { fileURLToPath } from 'node:url';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { drizzle, type SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import pg from 'pg';
import * as schema from './schema.js';

/** The handle a command's queries go through on PostgreSQL: drizzle's async SQLite API, one pooled connection. */
export type PgTx = SqliteRemoteDatabase<typeof schema>;

/**
 * Result types as drizzle's SQLite mappings expect them: int8 (bigint
 * instants, `count(*)`) as a number (milliseconds are far inside 2^53), and
 * json/jsonb as their text, which the columns' JSON mode parses.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    // numeric (what PostgreSQL's sum and avg of integers give; SQLite gives a number) as a number too.
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    if (oid === pg.types.builtins.JSON || oid === pg.types.builtins.JSONB) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * A statement of drizzle's SQLite dialect as PostgreSQL takes it: `?`
 * placeholders as `$n` (quoted strings and names left alone), and in an
 * insert's values the `null` SQLite's dialect writes for a column given no
 * value as `default` (the same for a column without one; an identity id takes
 * its next value, where an explicit null would be refused).
 */
export function toPgSql(text: string): string {
  const sqlText = toPgPlaceholders(text);
  if (!sqlText.startsWith('insert into ')) return sqlText;
  const from = sqlText.indexOf(' values (');
  const ends = [' on conflict ', ' returning '].map((w) => sqlText.indexOf(w, from)).filter((i) => i > 0);
  const to = ends.length ? Math.min(...ends) : sqlText.length;
  return sqlText.slice(0, from) + sqlText.slice(from, to).replace(/\bnull\b/g, 'default') + conflictTarget(sqlText.slice(to));
}

/**
 * An `on conflict ("t"."a", "t"."b")` target as PostgreSQL takes it: column names, not qualified (drizzle's
 * SQLite dialect qualifies a target given as columns; PostgreSQL reads `"t"."a"` there as a syntax error).
 */
function conflictTarget(rest: string): string {
  const m = /^ on conflict \(([^)]*)\)/.exec(rest);
  if (!m) return rest;
  return ` on conflict (${m[1]!.replace(/"[^"]+"\.(?=")/g, '')})${rest.slice(m[0].length)}`;
}

/** `?` placeholders as PostgreSQL's `$n`, leaving quoted strings and names alone. */
export function toPgPlaceholders(text: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else out += ch === '?' ? `$${++n}` : ch;
  }
  return out;
}

/**
 * Statement texts already translated, with the name PostgreSQL prepares each
 * under on a connection (drizzle's prepared queries repeat the same few, so
 * each is parsed and planned once per connection, as SQLite's are).
 */
const translated = new Map<string, { text: string; name: string }>();

/** A statement of drizzle's SQLite dialect, run on a connection or on the pool. */
function proxy(on: pg.Pool | pg.PoolClient): PgTx {
  return drizzle(
    async (text, params, method) => {
      let stmt = translated.get(text);
      if (stmt === undefined) translated.set(text, (stmt = { text: toPgSql(text), name: `s${translated.size}` }));
      const res = await on.query({ ...stmt, values: params, rowMode: 'array' });
      // A run gives the rows it changed as better-sqlite3's `changes` does (the engine and the sweep read it).
      if (method === 'run') return { rows: [], changes: res.rowCount ?? 0 };
      return { rows: method === 'get' ? (res.rows[0] as unknown[]) : res.rows };
    },
    { schema },
  );
}

/** A pooled connection's transaction: its drizzle handle, whether a transaction is open on it, its savepoints. */
interface PgConn {
  client: pg.PoolClient;
  handle: PgTx;
  open: boolean;
  depth: number;
}

/** The state of one pooled connection, made once per connection so prepared queries (db/prepared.ts) are reused. */
const conns = new WeakMap<pg.PoolClient, PgConn>();
/** The same, by the handle a transaction's callback gets (so `transact` on it is a savepoint). */
const byHandle = new WeakMap<object, PgConn>();

function connOf(client: pg.PoolClient): PgConn {
  let conn = conns.get(client);
  if (conn) return conn;
  conn = { client, handle: proxy(client), open: false, depth: 0 };
  conns.set(client, conn);
  byHandle.set(conn.handle, conn);
  return conn;
}

/** A pool on `url` (or a client config), with the result types above. */
export function openPg(url: string | pg.ClientConfig, max = 4): pg.Pool {
  return new pg.Pool({ ...(typeof url === 'string' ? { connectionString: url } : url), max, types });
}

/** How a transaction of {@link inPgTx} runs. */
export interface PgTxOptions {
  /** SERIALIZABLE, retried on a serialization failure (the default for a command: see db/POSTGRES.md). */
  serializable?: boolean;
  /** READ ONLY: a snapshot that writes nothing (SQLite's `deferred` read transactions). */
  readOnly?: boolean;
}

/**
 * Runs `fn` in one transaction on a pooled connection, committed when it
 * resolves and rolled back when it throws. `serializable`: the command reads
 * what it then writes on (see db/POSTGRES.md); a serialization failure (or a
 * deadlock) is retried, as PostgreSQL asks, up to 5 attempts.
 */
export async function inPgTx<T>(pool: pg.Pool, fn: (tx: PgTx) => T | Promise<T>, options: boolean | PgTxOptions = false): Promise<T> {
  const { serializable = false, readOnly = false } = typeof options === 'boolean' ? { serializable: options } : options;
  const begin = `begin${serializable ? ' isolation level serializable' : ''}${readOnly ? ' read only' : ''}`;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    const conn = connOf(client);
    let broken: unknown;
    try {
      await client.query(begin);
      conn.open = true;
      conn.depth = 0;
      const result = await fn(conn.handle);
      await client.query('commit');
      return result;
    } catch (err) {
      conn.open = false;
      await client.query('rollback').catch((e: unknown) => (broken = e));
      if (!(serializable && attempt < 5 && retryable(err))) throw err;
    } finally {
      conn.open = false;
      // A connection whose rollback failed is not given back to others.
      client.release(broken as Error | undefined);
    }
  }
}

/** Whether `db` is the handle of a transaction of {@link inPgTx} (so a transaction on it is a savepoint). */
export function isPgTx(db: object): boolean {
  return byHandle.has(db);
}

/**
 * A savepoint in the transaction whose handle is `tx`: released when `fn`
 * resolves, rolled back to when it throws (a failed statement then leaves the
 * transaction usable, as on SQLite). Nested ones run in turn, each awaited.
 */
export async function pgSavepoint<T>(tx: object, fn: (tx: PgTx) => T | Promise<T>): Promise<T> {
  const conn = byHandle.get(tx);
  if (!conn) throw new Error('not the handle of a PostgreSQL transaction');
  if (!conn.open) throw new Error('this transaction has ended: its handle is used after its callback settled');
  const depth = ++conn.depth;
  const name = `steward_sp${depth}`;
  try {
    await conn.client.query(`savepoint ${name}`);
  } catch (e) {
    conn.depth--;
    throw e;
  }
  const close = async (keep: boolean) => {
    if (conn.depth !== depth) throw new Error(`savepoint ${depth} ended while ${conn.depth} is open: nested transactions run in turn, each awaited`);
    conn.depth--;
    await conn.client.query(keep ? `release savepoint ${name}` : `rollback to savepoint ${name}`);
  };
  let out: T;
  try {
    out = await fn(conn.handle);
  } catch (e) {
    // A serialization failure ends the whole transaction's chances: the rollback to the savepoint does not save it.
    if (conn.open) await close(false).catch(() => {});
    throw e;
  }
  await close(true);
  return out;
}

/** A handle on the pool itself, for statements outside a transaction (each its own, on any pooled connection). */
export function poolHandle(pool: pg.Pool): PgTx {
  return proxy(pool);
}

/** Whether `err` is a failure PostgreSQL asks to retry the transaction for: serialization failure or deadlock. */
export function retryable(err: unknown): boolean {
  const code = sqlState(err);
  return code === '40001' || code === '40P01';
}

/** PostgreSQL's SQLSTATE of a failure: drizzle wraps the driver's error ("Failed query: …") and keeps it as the cause. */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (typeof e.code === 'string') return e.code;
  return undefined;
}

export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations-pg', import.meta.url));

/** Any number distinct to this lock: what instances starting together take before migrating. */
const MIGRATION_LOCK = 1_937_011_306; // "stew"

/**
 * Applies db/migrations-pg with drizzle's node-postgres migrator, under a
 * session advisory lock: two instances starting together migrate one after
 * the other (the second finds nothing left to do) instead of racing.
 */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(pgDrizzle(client), { migrationsFolder: PG_MIGRATIONS_FOLDER });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    client.release(broken);
  }
}

/** The pool under each database handle {@link openPgDb} made. */
const pools = new WeakMap<object, pg.Pool>();

/** The pool of a PostgreSQL database handle; undefined for any other handle (SQLite's, a transaction's). */
export function pgPoolOf(db: object): pg.Pool | undefined {
  return pools.get(db);
}

/**
 * Opens the PostgreSQL database at `url`: a pool, db/migrations-pg applied
 * (migratePg), and the handle on the pool that statements outside a
 * transaction go through; `transact` (db/transaction.ts) runs a transaction
 * on one of the pool's connections.
 */
export async function openPgDb(url: string | pg.ClientConfig, max = 8): Promise<PgTx> {
  const pool = openPg(url, max);
  // An idle connection the server drops (a restart, a proxy's timeout) is an error on the pool, not a crash.
  pool.on('error', () => {});
  try {
    await migratePg(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const db = poolHandle(pool);
  pools.set(db, pool);
  return db;
}

/** Ends the pool of a handle {@link openPgDb} made (waits for its connections to be given back). */
export async function closePgDb(db: object): Promise<void> {
  const pool = pools.get(db);
  if (pool && !pool.ended) await pool.end();
}

// A transaction whose callback may await (issue #19's step 1: the data layer
// becomes asynchronous so one domain runs on SQLite and PostgreSQL).
// better-sqlite3's transaction functions commit when the callback returns, so
// they cannot span an await; this runs BEGIN IMMEDIATE, awaits the callback,
// then COMMITs (ROLLBACK when it throws or rejects).
//
// The rules, per connection (one better-sqlite3 client):
// - Top-level transactions (`transact(db, …)` on the database) take turns, first
//   come first served: a small mutex, so two async commands never interleave
//   their statements in one SQLite transaction.
// - The callback gets the connection's transaction handle (a second drizzle
//   instance on the same client, made once), not the database: nested use goes
//   through it. `transact(tx, …)` on it is a named SAVEPOINT, released when its
//   callback settles and rolled back to when it throws; better-sqlite3's own
//   transaction functions and drizzle's `transaction()` on it nest as savepoints
//   as they always have. A nested transaction must settle before the next one in
//   the same transaction starts (awaited in turn, not side by side).
// - While a transaction is open across an await, nothing else may use the
//   connection's database handle synchronously: `immediate()` (db/index.ts) on
//   it throws instead of silently becoming a savepoint of someone else's
//   transaction. (drizzle's `db.transaction()` on it would nest silently: the
//   scheduler's and src/io's must move to `transact` before any handler awaits a
//   real promise on a shared connection: the plan's step 3.)
// - A callback that returns a plain value (not a promise) runs, commits and
//   returns synchronously: no await, no microtask, nothing interleaves, so
//   today's synchronous handlers cost what `immediate()` costs.
import type Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Db, Tx, TxConfig } from './handle.js';
import { inPgTx, isPgTx, pgPoolOf, pgSavepoint } from './pg.js';
import * as schema from './schema.js';

interface Conn {
  client: Database.Database;
  /** What a transaction's callback gets: a second drizzle handle on the same client. */
  inside: Db;
  /** The mutex is held (a transaction is running, or the next waiter has been given its turn). */
  busy: boolean;
  /** BEGIN has run and the transaction has not ended. */
  open: boolean;
  /** Savepoints open inside it. */
  depth: number;
  /** Who waits for a turn, in arrival order. */
  waiting: (() => void)[];
  begin: Database.Statement;
  /** BEGIN DEFERRED: a transaction that reads (a snapshot) and takes the write lock only if it writes. */
  beginDeferred: Database.Statement;
  commit: Database.Statement;
  rollback: Database.Statement;
  /** SAVEPOINT, RELEASE and ROLLBACK TO statements by depth. */
  savepoints: { save: Database.Statement; release: Database.Statement; undo: Database.Statement }[];
}

const byDb = new WeakMap<object, Conn>();
const byInside = new WeakMap<object, Conn>();

function connOf(db: Db): Conn {
  let conn = byDb.get(db);
  if (!conn) {
    const client = db.$client;
    conn = {
      client,
      inside: drizzle(client, { schema }) as unknown as Db,
      busy: false,
      open: false,
      depth: 0,
      waiting: [],
      begin: client.prepare('BEGIN IMMEDIATE'),
      beginDeferred: client.prepare('BEGIN DEFERRED'),
      commit: client.prepare('COMMIT'),
      rollback: client.prepare('ROLLBACK'),
      savepoints: [],
    };
    byDb.set(db, conn);
    byInside.set(conn.inside, conn);
  }
  return conn;
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown } | null)?.then === 'function';

/**
 * Runs `fn` in a transaction: on a database, one BEGIN IMMEDIATE … COMMIT when
 * its turn comes (see the rules above); on the handle a transaction's callback
 * got, a savepoint inside it. Synchronous when `fn` is and the connection is
 * free; a promise otherwise. A throw or rejection of `fn` rolls back and is
 * passed on; so is a failed COMMIT (after a ROLLBACK).
 */
export function transact<T>(db: Db | Tx, fn: (tx: Tx) => T | Promise<T>, config?: TxConfig): T | Promise<T> {
  // PostgreSQL (db/pg.ts): a command runs SERIALIZABLE on a pooled connection, retried on a serialization
  // failure (so `fn` may run more than once: nothing outside the transaction before it commits); a `deferred`
  // transaction only reads there (READ ONLY). Nested on a transaction's handle: a savepoint.
  if (isPgTx(db)) return pgSavepoint(db, fn);
  const pool = pgPoolOf(db);
  if (pool) return inPgTx(pool, fn, { serializable: true, readOnly: config?.behavior === 'deferred' });
  const nested = byInside.get(db);
  if (nested) {
    if (!nested.open) throw new Error('this transaction has ended: its handle is used after its callback settled');
    return savepoint(nested, fn);
  }
  const conn = connOf(db as Db);
  if (!conn.busy) {
    conn.busy = true;
    return run(conn, fn, config);
  }
  return new Promise<void>((resolve) => conn.waiting.push(resolve)).then(() => run(conn, fn, config));
}

/** `transact`, always as a promise. */
export async function transaction<T>(db: Db | Tx, fn: (tx: Tx) => T | Promise<T>, config?: TxConfig): Promise<T> {
  try {
    return Promise.resolve(await transact(db, fn, config));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Whether a transaction of `transact` is open on this SQLite database (so a synchronous one must not start). */
export function asyncOpen(db: Db | Tx): boolean {
  return byDb.get(db)?.open === true;
}

/** The turn of one top-level transaction (the mutex is held): begin, run, end, hand the turn on. */
function run<T>(conn: Conn, fn: (tx: Tx) => T | Promise<T>, config?: TxConfig): T | Promise<T> {
  try {
    (config?.behavior === 'deferred' ? conn.beginDeferred : conn.begin).run();
  } catch (e) {
    release(conn);
    throw e;
  }
  conn.open = true;
  let out: T | Promise<T>;
  try {
    out = fn(conn.inside);
  } catch (e) {
    end(conn, false);
    throw e;
  }
  if (!isPromise(out)) {
    end(conn, true);
    return out;
  }
  return out.then(
    (v) => {
      end(conn, true);
      return v;
    },
    (e: unknown) => {
      end(conn, false);
      throw e;
    },
  );
}

/** COMMIT (ROLLBACK when it fails, or when `commit` is false), then the next waiter's turn. Throws what COMMIT threw. */
function end(conn: Conn, commit: boolean): void {
  try {
    if (commit) conn.commit.run();
    else if (conn.client.inTransaction) conn.rollback.run();
  } catch (e) {
    // A COMMIT that fails (a deferred constraint, say) leaves the transaction open: undo it.
    if (conn.client.inTransaction) conn.rollback.run();
    throw e;
  } finally {
    conn.open = false;
    conn.depth = 0;
    release(conn);
  }
}

function release(conn: Conn): void {
  const next = conn.waiting.shift();
  // The mutex passes straight to the next waiter (still busy), so nobody arriving meanwhile goes before it.
  if (next) next();
  else conn.busy = false;
}

function savepoint<T>(conn: Conn, fn: (tx: Tx) => T | Promise<T>): T | Promise<T> {
  const depth = ++conn.depth;
  let sp = conn.savepoints[depth - 1];
  if (!sp) {
    const name = `steward_sp${depth}`;
    sp = { save: conn.client.prepare(`SAVEPOINT ${name}`), release: conn.client.prepare(`RELEASE ${name}`), undo: conn.client.prepare(`ROLLBACK TO ${name}`) };
    conn.savepoints[depth - 1] = sp;
  }
  const s = sp;
  try {
    s.save.run();
  } catch (e) {
    conn.depth--;
    throw e;
  }
  const close = (keep: boolean) => {
    if (conn.depth !== depth) throw new Error(`savepoint ${depth} ended while ${conn.depth} is open: nested transactions run in turn, each awaited`);
    conn.depth--;
    if (!keep) s.undo.run();
    s.release.run();
  };
  let out: T | Promise<T>;
  try {
    out = fn(conn.inside);
  } catch (e) {
    close(false);
    throw e;
  }
  if (!isPromise(out)) {
    close(true);
    return out;
  }
  return out.then(
    (v) => {
      close(true);
      return v;
    },
    (e: unknown) => {
      close(false);
      throw e;
    },
  );
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import type { AsyncTx, Db, SyncDb, Tx, TxConfig } from './handle.js';
import { closePgDb, openPgDb, pgPoolOf } from './pg.js';
import { asyncOpen } from './transaction.js';

export type { AsyncTx, Db, SyncDb, Tx, TxConfig };
export { changes } from './handle.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Opens (creating if needed) the SQLite file, turns on WAL and foreign keys, applies migrations.
 * `Client` is better-sqlite3's Database or a subclass of it (a bench counts compiled statements so).
 */
export function openDb(file: string, Client: new (file: string) => Database.Database = Database): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const client = new Client(file);
  client.pragma('journal_mode = WAL');
  client.pragma('foreign_keys = ON');
  client.pragma('busy_timeout = 5000');
  // WAL makes NORMAL durable against process crashes; only power loss can cost the last commits.
  client.pragma('synchronous = NORMAL');
  // Checkpoint (copy the WAL back into the file, with an fsync) every 4000 pages
  // rather than SQLite's 1000: a page a command writes again and again (an
  // index's last leaf, say) is copied once per checkpoint, so a small command
  // costs 10% less CPU, and the WAL stays under about 16 MB.
  client.pragma('wal_autocheckpoint = 4000');
  const db = drizzle(client, { schema }) as SyncDb;
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db as unknown as Db;
}

/** Per database: one better-sqlite3 transaction function that runs any callback with the database as its handle. */
const runners = new WeakMap<Db, Database.Transaction<(fn: (tx: Tx) => unknown) => unknown>>();

/**
 * Runs `fn` in one IMMEDIATE transaction on `db` (a savepoint when a
 * transaction is already open on it), committed when `fn` returns and rolled
 * back when it throws: better-sqlite3's own transaction function
 * (`client.transaction(f).immediate`), built once per database. `fn` gets the
 * database itself as its handle: on one connection every query runs inside
 * the transaction open on it, so the statements prepared for the database
 * (db/prepared.ts) serve every transaction, and a `transaction()` inside is a
 * savepoint, as better-sqlite3 nests them.
 */
export function immediate<T>(db: Db, fn: (tx: Tx) => T): T {
  if (pgPoolOf(db)) throw new Error("immediate() is SQLite's: use transact() (db/transaction.ts)");
  // Inside it, this would become a savepoint of whichever async transaction is waiting on an await (db/transaction.ts).
  if (asyncOpen(db)) throw new Error('an asynchronous transaction is open on this connection: use transact() (db/transaction.ts), or its handle inside it');
  let run = runners.get(db);
  if (!run) runners.set(db, (run = db.$client.transaction((f: (tx: Tx) => unknown) => f(db))));
  return run.immediate(fn) as T;
}

export function closeDb(db: Db): void {
  if (pgPoolOf(db)) throw new Error('a PostgreSQL database closes with closeDatabase()');
  if (db.$client.open) db.$client.close();
}

/** Where a book is: a SQLite file (`:memory:` too) or a PostgreSQL URL (`postgres://` or `postgresql://`). */
export type DatabaseAt = { file: string } | { url: string };

/**
 * Opens a book on either engine, migrated: SQLite as {@link openDb}; PostgreSQL
 * (db/pg.ts) a pool with db/migrations-pg applied under an advisory lock. The
 * handle is the same query API on both; `transact` runs a command on it.
 * On PostgreSQL the handle has no `$client`: code for SQLite only asks
 * {@link sqliteClient} first.
 */
export async function openDatabase(at: DatabaseAt): Promise<Db> {
  if ('url' in at) return (await openPgDb(at.url)) as unknown as Db;
  return openDb(at.file);
}

/** Closes what {@link openDatabase} opened. */
export async function closeDatabase(db: Db): Promise<void> {
  if (pgPoolOf(db)) await closePgDb(db);
  else closeDb(db);
}

/** Which engine a database handle (from {@link openDatabase}) runs on. */
export function engineOf(db: Db): 'sqlite' | 'postgres' {
  return pgPoolOf(db) ? 'postgres' : 'sqlite';
}

/** The better-sqlite3 client under a SQLite database; undefined on PostgreSQL. */
export function sqliteClient(db: Db): Database.Database | undefined {
  return pgPoolOf(db) ? undefined : db.$client;
}

/** `DATABASE_URL` when set (PostgreSQL), else the SQLite file. */
export function databaseAt(config: { DATABASE_URL?: string | undefined; STEWARD_DB: string }): DatabaseAt {
  return config.DATABASE_URL ? { url: config.DATABASE_URL } : { file: config.STEWARD_DB };
}

export { schema };
export { transact, transaction } from './transaction.js';
export { retryable } from './pg.js';

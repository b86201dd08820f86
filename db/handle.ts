// The types of a database handle (db/index.ts opens one; db/transaction.ts runs transactions on it).
import type Database from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as schema from './schema.js';

/**
 * The handle every query goes through: drizzle's asynchronous SQLite query API
 * (db/POSTGRES.md), which both engines serve. On SQLite it is better-sqlite3's
 * synchronous driver, whose results awaited are those results; on PostgreSQL,
 * drizzle's sqlite-proxy driver through db/pg.ts. A query not awaited is a type
 * error (and eslint's promise rules catch one left floating).
 */
export type Tx = BaseSQLiteDatabase<'async', unknown, typeof schema>;
/** The same, as db/pg.ts and older code call it. */
export type AsyncTx = Tx;
/** A database (not a transaction's handle): the query API and, on SQLite only, its client (on PostgreSQL ask `sqliteClient(db)` of db/index.ts). */
export type Db = Tx & { $client: Database.Database };
/** The synchronous driver a {@link Db} is underneath, for db/'s own use (migrations, better-sqlite3 transactions). */
export type SyncDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** How a transaction begins: `immediate` (the default) takes the write lock at once; `deferred` only reads until it writes. */
export interface TxConfig {
  behavior?: 'deferred' | 'immediate';
}

/** The rows a `run()` changed: better-sqlite3's `changes`, which db/pg.ts gives from PostgreSQL's row count. */
export function changes(result: unknown): number {
  return (result as { changes: number }).changes;
}

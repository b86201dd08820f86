// The types of a database handle (db/index.ts opens one; db/transaction.ts runs transactions on it).
import type Database from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/**
 * The handle a command's queries go through inside its transaction: the query
 * API that a database and a drizzle transaction share (so it is either: see
 * `immediate`, which gives the database itself, and `transact`, which gives its
 * connection's transaction handle).
 */
export type Tx = BaseSQLiteDatabase<'sync', Database.RunResult, typeof schema>;

/**
 * The handle as the asynchronous data layer types it (db/POSTGRES.md): drizzle's
 * async SQLite query API, which both engines serve (SQLite's results awaited
 * are those results; PostgreSQL's through db/pg.ts).
 */
export type AsyncTx = BaseSQLiteDatabase<'async', unknown, typeof schema>;

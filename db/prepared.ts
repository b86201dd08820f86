// Queries on the hot path of every command (who is speaking, which account,
// the audit row) built once per database handle as drizzle prepared queries
// (`.prepare()`, values in `sql.placeholder`s), instead of having drizzle
// build their SQL and SQLite compile it again on every run: building and
// compiling are most of what a small query costs. The statement and the row
// mapping are drizzle's own, so a prepared query returns exactly what the
// same query built on the spot would.
import type { AsyncTx, Db, Tx } from './index.js';

type Handle = Db | Tx | AsyncTx;

/**
 * Prepared queries by the handle they were prepared on, then by key. A
 * statement belongs to its connection, so each database has its own. A command
 * run through `immediate` has the database itself as its handle, so every
 * transaction on it shares its queries; a handle of drizzle's own
 * `db.transaction()` has its own, prepared afresh per transaction (still right,
 * only slower), and they go with it.
 */
const byHandle = new WeakMap<Handle, Map<string, unknown>>();

/**
 * The prepared query `key` on `db`, built by `build` the first time.
 * `build` must give the same SQL every time for one key (values go in placeholders).
 */
export function prepared<H extends Handle, T>(db: H, key: string, build: (db: H) => T): T {
  let queries = byHandle.get(db);
  if (!queries) byHandle.set(db, (queries = new Map()));
  let q = queries.get(key) as T | undefined;
  if (q === undefined) queries.set(key, (q = build(db)));
  return q;
}

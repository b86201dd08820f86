// Queries on the hot path of every command (who is speaking, which account,
// the audit row) built once per connection as drizzle prepared queries with
// placeholders, instead of having drizzle build their SQL again on every run:
// building is most of what a small query costs. The statement and the row
// mapping are drizzle's own, so a prepared query returns exactly what the
// same query built on the spot would.
import type { Db, Tx } from './index.js';

type Handle = Db | Tx;

/** Prepared queries of one connection, by key. Transactions share their database's session, so they share its queries too. */
const bySession = new WeakMap<object, Map<string, unknown>>();

function sessionOf(db: Handle): object {
  // drizzle keeps the connection's session on the database and on every transaction opened on it.
  return (db as unknown as { session: object }).session;
}

/**
 * The prepared query `key` on `db`'s connection, built by `build` the first time.
 * `build` must give the same SQL every time for one key (values go in placeholders).
 */
export function prepared<T>(db: Handle, key: string, build: (db: Handle) => T): T {
  const session = sessionOf(db);
  let queries = bySession.get(session);
  if (!queries) bySession.set(session, (queries = new Map()));
  let q = queries.get(key) as T | undefined;
  if (q === undefined) queries.set(key, (q = build(db)));
  return q;
}

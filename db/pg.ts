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
import pg from 'pg';
import { drizzle, type SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
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
  return sqlText.slice(0, from) + sqlText.slice(from, to).replace(/\bnull\b/g, 'default') + sqlText.slice(to);
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

/** The drizzle handle of one pooled connection, made once per connection so prepared queries (db/prepared.ts) are reused. */
const handles = new WeakMap<pg.PoolClient, PgTx>();

function handleOf(client: pg.PoolClient): PgTx {
  let db = handles.get(client);
  if (db) return db;
  db = drizzle(
    async (text, params, method) => {
      let stmt = translated.get(text);
      if (stmt === undefined) translated.set(text, (stmt = { text: toPgSql(text), name: `s${translated.size}` }));
      const res = await client.query({ ...stmt, values: params, rowMode: 'array' });
      // A run gives the rows it changed as better-sqlite3's `changes` does (the engine and the sweep read it).
      if (method === 'run') return { rows: [], changes: res.rowCount ?? 0 };
      return { rows: method === 'get' ? (res.rows[0] as unknown[]) : res.rows };
    },
    { schema },
  );
  handles.set(client, db);
  return db;
}

/** A pool on `url` (or a client config), with the result types above. */
export function openPg(url: string | pg.ClientConfig, max = 4): pg.Pool {
  return new pg.Pool({ ...(typeof url === 'string' ? { connectionString: url } : url), max, types });
}

/**
 * Runs `fn` in one transaction on a pooled connection, committed when it
 * resolves and rolled back when it throws. `serializable`: the command reads
 * what it then writes on (see db/POSTGRES.md); a serialization failure is
 * retried, as PostgreSQL asks.
 */
export async function inPgTx<T>(pool: pg.Pool, fn: (tx: PgTx) => Promise<T>, serializable = false): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query(serializable ? 'begin isolation level serializable' : 'begin');
      const result = await fn(handleOf(client));
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback');
      if (!(serializable && attempt < 5 && sqlState(err) === '40001')) throw err;
    } finally {
      client.release();
    }
  }
}

/** PostgreSQL's SQLSTATE of a failure: drizzle wraps the driver's error ("Failed query: …") and keeps it as the cause. */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (typeof e.code === 'string') return e.code;
  return undefined;
}

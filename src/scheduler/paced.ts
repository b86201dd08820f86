// Short write transactions that leave SQLite's one write lock free between them. The sweep's batches
// (src/scheduler/sweep.ts) and retention's (src/scheduler/retention.ts) share how a batch is timed, how
// the WAL is copied back between batches, and how long the lock is left free after one.
import { performance } from 'node:perf_hooks';
import { sqliteClient, transact, type Db, type Tx } from '../../db/index.js';

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One write transaction as it went: its value; from the lock (the callback's start) to the end of COMMIT; COMMIT alone. */
export interface TimedWrite<T> {
  value: T;
  start: number;
  end: number;
  held: number;
  commit: number;
}

/** `fn` in one write transaction, in turn with the commands on this connection (db/transaction.ts), timed from BEGIN's lock. */
export async function timedWrite<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<TimedWrite<T>> {
  let start = 0;
  let committing = 0;
  const value = await transact(db, async (tx) => {
    start = performance.now();
    const v = await fn(tx);
    committing = performance.now();
    return v;
  });
  const end = performance.now();
  return { value, start, end, held: end - start, commit: end - committing };
}

/**
 * The WAL copied back by the caller between its writes (a PASSIVE checkpoint, outside any transaction)
 * rather than on a COMMIT, so no commit carries a checkpoint: SQLite's automatic checkpoint is off until
 * `restore`. PostgreSQL has no WAL of ours to copy: both do nothing there.
 */
export function walBetweenWrites(db: Db): { checkpoint(): number | undefined; restore(): void } {
  const client = sqliteClient(db);
  const automatic = client?.pragma('wal_autocheckpoint', { simple: true }) as number | undefined;
  client?.pragma('wal_autocheckpoint = 0');
  return {
    /** How long the checkpoint took; undefined when none ran (PostgreSQL, or another command's transaction open on this connection across an await: the next one copies it). */
    checkpoint() {
      if (!client || client.inTransaction) return undefined;
      const start = performance.now();
      client.pragma('wal_checkpoint(PASSIVE)');
      return performance.now() - start;
    },
    restore() {
      if (client && automatic !== undefined) client.pragma(`wal_autocheckpoint = ${automatic}`);
    },
  };
}

/**
 * The lock left free after a write held it `held` ms: `pace` times as long, and longer than a waiting
 * command's busy handler sleeps between tries early on (1, 2, 5 ms...), never in step with it (a jitter).
 */
export const leaveFree = (pace: number, held: number) => pause(Math.max(8, Math.ceil(pace * held)) + Math.floor(Math.random() * 4));

// db/transaction.ts: a transaction whose callback may await. Async commands on
// one connection take turns (first come, first served) and never interleave;
// each sees its own writes; a throw undoes only its own; nested use on the
// transaction's handle is a savepoint; a failed COMMIT leaves nothing and frees
// the connection; a synchronous immediate() meanwhile is refused rather than
// becoming part of someone else's transaction. Real SQLite files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDb, immediate, openDb, type Db, type Tx } from '../db/index.js';
import { tenants } from '../db/schema.js';
import { transact, transaction } from '../db/transaction.js';

const dirs: string[] = [];
const open: { close(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): { db: Db; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'steward-tx-'));
  dirs.push(dir);
  const file = join(dir, 'steward.db');
  const db = openDb(file);
  open.push({ close: () => closeDb(db) });
  return { db, file };
}

/** Another connection to the file: what has been committed. */
function committed(file: string): string[] {
  const c = new Database(file, { readonly: true });
  try {
    return (c.prepare('select workspace_id as w from tenants order by workspace_id').all() as { w: string }[]).map((r) => r.w);
  } finally {
    c.close();
  }
}

// These tests are about the transactions themselves, so their queries are synchronous: on better-sqlite3 a query
// runs when it is called, and what the asynchronous API types as a promise is already its value.
const now = <T>(q: T | Promise<T>): T => q as T;
const add = (tx: Tx, workspaceId: string): void => {
  now(tx.insert(tenants).values({ platform: 'slack', workspaceId, locale: 'en', timezone: 'UTC' }).run());
};
const has = (tx: Tx, workspaceId: string) => now(tx.select().from(tenants).where(eq(tenants.workspaceId, workspaceId)).all()).length === 1;
const count = (tx: Tx) => now(tx.select().from(tenants).all()).length;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('transaction', () => {
  it('many async commands on one connection take turns in arrival order, each sees its own writes, a throw undoes only its own', async () => {
    const { db, file } = fresh();
    const events: string[] = [];
    let inside = 0;
    let most = 0;
    const n = 30;
    const fails = (i: number) => i % 4 === 1;
    const runs = Array.from({ length: n }, (_, i) =>
      transaction(db, async (tx) => {
        inside++;
        most = Math.max(most, inside);
        events.push(`start ${i}`);
        const before = count(tx);
        add(tx, `w${String(i).padStart(2, '0')}`);
        // Other commands are waiting meanwhile: timers, I/O turns, microtasks.
        await (i % 3 === 0 ? later(i % 5) : turn());
        expect(has(tx, `w${String(i).padStart(2, '0')}`)).toBe(true);
        await Promise.resolve();
        add(tx, `w${String(i).padStart(2, '0')}b`);
        expect(count(tx)).toBe(before + 2);
        inside--;
        if (fails(i)) throw new Error(`command ${i} fails`);
        return i;
      }),
    );
    const settled = await Promise.allSettled(runs);
    expect(most).toBe(1);
    expect(events).toEqual(Array.from({ length: n }, (_, i) => `start ${i}`));
    settled.forEach((s, i) => {
      if (fails(i)) expect(s).toMatchObject({ status: 'rejected', reason: { message: `command ${i} fails` } });
      else expect(s).toEqual({ status: 'fulfilled', value: i });
    });
    const kept = Array.from({ length: n }, (_, i) => i)
      .filter((i) => !fails(i))
      .flatMap((i) => [`w${String(i).padStart(2, '0')}`, `w${String(i).padStart(2, '0')}b`]);
    expect(committed(file)).toEqual(kept.sort());
    expect(db.$client.inTransaction).toBe(false);
  });

  it('a synchronous callback runs, commits and returns at once: no await, nothing can come between', () => {
    const { db, file } = fresh();
    const out = transact(db, (tx) => {
      add(tx, 'now');
      return 7;
    });
    expect(out).toBe(7);
    expect(committed(file)).toEqual(['now']);
    expect(() =>
      transact(db, (tx) => {
        add(tx, 'never');
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(committed(file)).toEqual(['now']);
    expect(db.$client.inTransaction).toBe(false);
  });

  it('a synchronous callback waits its turn behind an open async one', async () => {
    const { db, file } = fresh();
    const order: string[] = [];
    const first = transaction(db, async (tx) => {
      add(tx, 'a');
      await later(5);
      order.push('a');
    });
    const second = transact(db, (tx) => {
      order.push('b');
      expect(has(tx, 'a')).toBe(true);
      add(tx, 'b');
      return 'b';
    });
    expect(second).toBeInstanceOf(Promise);
    expect(await second).toBe('b');
    await first;
    expect(order).toEqual(['a', 'b']);
    expect(committed(file)).toEqual(['a', 'b']);
  });

  it('nested on the transaction handle: savepoints, each undone alone when it throws, awaited inside', async () => {
    const { db, file } = fresh();
    await transaction(db, async (tx) => {
      add(tx, 'outer');
      await transaction(tx, async (inner) => {
        add(inner, 'kept');
        await turn();
        await expect(
          transaction(inner, async (deeper) => {
            add(deeper, 'undone deeper');
            await turn();
            throw new Error('deeper fails');
          }),
        ).rejects.toThrow('deeper fails');
        expect(has(inner, 'undone deeper')).toBe(false);
      });
      await expect(
        transaction(tx, async (inner) => {
          add(inner, 'undone');
          await turn();
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      // better-sqlite3's own nesting on the handle is a savepoint too.
      expect(() =>
        immediate(tx as Db, (t) => {
          add(t, 'undone sync');
          throw new Error('sync inner fails');
        }),
      ).toThrow('sync inner fails');
      immediate(tx as Db, (t) => add(t, 'kept sync'));
      expect(has(tx, 'undone')).toBe(false);
    });
    expect(committed(file)).toEqual(['kept', 'kept sync', 'outer']);
    // The handle is the transaction's: used after it, it says so.
    let handle: Tx | undefined;
    await transaction(db, (tx) => {
      handle = tx;
    });
    expect(() => transact(handle!, () => 1)).toThrow('this transaction has ended');
  });

  it('a failing COMMIT rejects, saves nothing, and hands the connection to the next', async () => {
    const { db, file } = fresh();
    db.$client.exec('create table parent (id integer primary key); create table child (pid integer references parent(id) deferrable initially deferred)');
    const broken = transaction(db, async (tx) => {
      add(tx, 'lost');
      await turn();
      db.$client.prepare('insert into child (pid) values (99)').run();
    });
    const next = transaction(db, (tx) => {
      add(tx, 'next');
      return count(tx);
    });
    await expect(broken).rejects.toThrow(/FOREIGN KEY/);
    expect(await next).toBe(1);
    expect(committed(file)).toEqual(['next']);
    expect(db.$client.prepare('select count(*) as n from child').get()).toEqual({ n: 0 });
    expect(db.$client.inTransaction).toBe(false);
  });

  it('while an async transaction waits on an await, a synchronous immediate() on the connection is refused, not nested in it', async () => {
    const { db, file } = fresh();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = transaction(db, async (tx) => {
      add(tx, 'async');
      await gate;
      throw new Error('the async command fails');
    });
    await turn();
    // The sweep, say, on the same connection: it would otherwise have been a savepoint, rolled back with the command.
    expect(() => immediate(db, (tx) => add(tx, 'sync'))).toThrow(/asynchronous transaction is open/);
    release();
    await expect(running).rejects.toThrow('the async command fails');
    immediate(db, (tx) => add(tx, 'sync after'));
    expect(committed(file)).toEqual(['sync after']);
  });
});

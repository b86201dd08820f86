// What a command's transaction and its prepared queries promise (db/index.ts,
// db/prepared.ts), through the libraries' public APIs only: one IMMEDIATE
// transaction, all or nothing, a savepoint when nested; a prepared query
// belongs to the database it was prepared on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDb, immediate, openDb, transact, type Db, type Tx } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import { tenants } from '../db/schema.js';

const dirs: string[] = [];
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) closeDb(db);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): { db: Db; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'steward-db-'));
  dirs.push(dir);
  const file = join(dir, 'steward.db');
  const db = openDb(file);
  open.push(db);
  return { db, file };
}

const addTenant = (db: Db, workspaceId: string) => db.insert(tenants).values({ platform: 'slack', workspaceId, locale: 'en', timezone: 'UTC' }).run();
const workspaces = async (db: Db) => (await db.select({ w: tenants.workspaceId }).from(tenants).orderBy(tenants.id).all()).map((r) => r.w);

// immediate() is better-sqlite3's synchronous transaction function: it commits when its callback returns, so a
// callback that awaits would commit at its first await. Its callbacks here are synchronous: on better-sqlite3 a
// query runs when it is called, and what the asynchronous API types as a promise is already its value.
const now = <T>(q: T | Promise<T>): T => q as T;

describe('immediate', () => {
  it('commits what its function wrote when it returns, and nothing when it throws', async () => {
    const { db } = fresh();
    expect(immediate(db, (tx) => (now(tx.insert(tenants).values({ platform: 'slack', workspaceId: 'T1', locale: 'en', timezone: 'UTC' }).run()), 'done'))).toBe('done');
    expect(() =>
      immediate(db, (tx) => {
        now(tx.insert(tenants).values({ platform: 'slack', workspaceId: 'T2', locale: 'en', timezone: 'UTC' }).run());
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(await workspaces(db)).toEqual(['T1']);
  });

  it('nested, is a savepoint: what the inner one wrote before throwing is undone alone', async () => {
    const { db } = fresh();
    immediate(db, (tx) => {
      now(addTenant(db, 'outer'));
      expect(() =>
        immediate(db, () => {
          now(addTenant(db, 'inner'));
          throw new Error('inner refused');
        }),
      ).toThrow('inner refused');
      // drizzle's own transaction inside is a savepoint too.
      now(tx.transaction(() => addTenant(db, 'drizzle')));
    });
    expect(await workspaces(db)).toEqual(['outer', 'drizzle']);
  });

  it('holds the write lock from its start: another connection cannot begin writing meanwhile', () => {
    const { db, file } = fresh();
    const other = new Database(file);
    other.pragma('busy_timeout = 0');
    try {
      immediate(db, () => {
        expect(() => other.exec('begin immediate')).toThrow(/busy|locked/i);
      });
      other.exec('begin immediate');
      other.exec('rollback');
    } finally {
      other.close();
    }
  });
});

describe('prepared', () => {
  it('a query prepared on one database reads that database, however often and in whatever order each is used', async () => {
    const a = fresh().db;
    const b = fresh().db;
    await addTenant(a, 'TA');
    await addTenant(b, 'TB');
    const byWorkspace = (db: Db | Tx) =>
      prepared(db, 'test.tenant', (q) =>
        q
          .select({ w: tenants.workspaceId })
          .from(tenants)
          .where(eq(tenants.workspaceId, sql.placeholder('w')))
          .prepare(),
      );
    for (let i = 0; i < 3; i++) {
      expect(await immediate(a, (tx) => byWorkspace(tx).get({ w: 'TA' }))).toEqual({ w: 'TA' });
      expect(await immediate(b, (tx) => byWorkspace(tx).get({ w: 'TA' }))).toBeUndefined();
      expect(await byWorkspace(b).get({ w: 'TB' })).toEqual({ w: 'TB' });
    }
    // Inside a transaction, it sees the transaction's own writes (it runs on the same connection).
    await transact(a, async (tx) => {
      await addTenant(tx as Db, 'TA2');
      expect(await byWorkspace(tx).get({ w: 'TA2' })).toEqual({ w: 'TA2' });
    });
  });
});

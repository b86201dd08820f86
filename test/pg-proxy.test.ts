// The spike's approach on a real PostgreSQL (db/POSTGRES.md): the domain's own
// sqlite-core queries, as /touch's recordTouch builds them (prepared, with
// placeholders, insert … returning, the lastVisitSql subquery, count), run on
// PostgreSQL through db/pg.ts and give back what they give on SQLite, on a
// database made by db/migrations-pg (test/pg.ts: a server of the suite's own, or
// TEST_DATABASE_URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, count, eq, max, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncTx, closeDb, openDb } from '../db/index.js';
import { inPgTx, type openPg, type PgTx, toPgPlaceholders, toPgSql } from '../db/pg.js';
import { prepared } from '../db/prepared.js';
import { accounts, auditLog, complaints, members, tenants, touchpointParticipants, touchpoints } from '../db/schema.js';
import { lastVisitSql } from '../src/domain/cadence.js';
import { migratedPg, startTestPg, type TestPg } from './pg.js';

let server: TestPg;
let pool: ReturnType<typeof openPg>;

beforeAll(async () => {
  server = await startTestPg();
  pool = await migratedPg(server);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

const ph = sql.placeholder;

/**
 * One domain-style function, written once against the async-typed handle: seeds a book, then
 * runs /touch's queries (prepared insert … returning, participants, the last-visit subquery, the
 * open complaints, a run's changed rows). Both engines must give the same answers.
 */
async function touchOnce(db: AsyncTx) {
  const [tenant] = await db.insert(tenants).values({ platform: 'shell', workspaceId: 'w', locale: 'en', timezone: 'UTC' }).returning({ id: tenants.id });
  const tenantId = tenant!.id;
  const [a] = await db.insert(members).values({ tenantId, platformUserId: 'U1', name: 'Zhang' }).returning({ id: members.id });
  const [b] = await db.insert(members).values({ tenantId, platformUserId: 'U2', name: 'Wang' }).returning({ id: members.id });
  const [acct] = await db.insert(accounts).values({ tenantId, name: 'Acme', nameKey: 'acme' }).returning({ id: accounts.id });
  const at = new Date('2026-11-24T09:30:00Z');
  await db
    .insert(complaints)
    .values({ tenantId, number: 1, accountId: acct!.id, severity: 'high' as never, category: 'quality' as never, summary: 'late', openedAt: at, deadlineAt: at })
    .run();
  const insert = prepared(db, 'both.touch.insert', (q) =>
    q
      .insert(touchpoints)
      .values({
        tenantId: ph('tenantId'),
        accountId: ph('accountId'),
        memberId: ph('memberId'),
        ourLevel: 'sales',
        kind: 'visit',
        occurredAt: ph('occurredAt'),
        note: '',
        sourcePlatform: 'shell',
      })
      .returning({ id: touchpoints.id })
      .prepare(),
  );
  const touch = await insert.get({ tenantId, accountId: acct!.id, memberId: a!.id, occurredAt: at });
  await db.insert(touchpointParticipants).values({ touchpointId: touch!.id, memberId: b!.id, ourLevel: 'sales' }).run();
  const last = await db.select({ at: lastVisitSql }).from(accounts).where(eq(accounts.id, acct!.id)).get();
  const open = await db
    .select({ n: count() })
    .from(complaints)
    .where(and(eq(complaints.accountId, acct!.id), eq(complaints.status, 'open')))
    .get();
  const renamed = (await db.update(members).set({ name: 'Z' }).where(eq(members.tenantId, tenantId)).run()) as { changes: number };
  return { lastVisit: last!.at, open: open!.n, changed: renamed.changes, participants: await db.select({ m: touchpointParticipants.memberId }).from(touchpointParticipants).all() };
}

describe('db/pg.ts', () => {
  it('numbers the placeholders, leaving quoted text alone', () => {
    expect(toPgPlaceholders(`select '?', "a?" from t where x = ? and y = ?`)).toBe(`select '?', "a?" from t where x = $1 and y = $2`);
    expect(toPgSql('insert into "t" ("id", "a", "b") values (null, ?, null) on conflict do update set "b" = null returning "id"')).toBe(
      'insert into "t" ("id", "a", "b") values (default, $1, default) on conflict do update set "b" = null returning "id"',
    );
  });

  it("runs /touch's queries on PostgreSQL and maps their rows as on SQLite", async () => {
    await pool.query(`insert into tenants (platform, workspace_id, locale, timezone) values ('shell', 'w1', 'en', 'UTC'), ('shell', 'w2', 'en', 'UTC')`);
    const at = new Date('2026-11-24T09:30:00.123Z');
    const later = new Date('2026-11-25T10:00:00Z');
    const result = await inPgTx(pool, async (db) => {
      const [a] = await db.insert(members).values({ tenantId: 1, platformUserId: 'U1', name: 'Zhang', active: false }).returning({ id: members.id });
      const [b] = await db.insert(members).values({ tenantId: 1, platformUserId: 'U2', name: 'Wang' }).returning({ id: members.id });
      const [acct] = await db
        .insert(accounts)
        .values({ tenantId: 1, name: 'Acme', nameKey: 'acme', aliases: ['ACME Corp'] })
        .returning({ id: accounts.id });
      const insertTouch = prepared(db as never, 'pg.touch.insert', () =>
        db
          .insert(touchpoints)
          .values({
            tenantId: 1,
            accountId: ph('accountId'),
            memberId: ph('memberId'),
            ourLevel: 'sales',
            kind: ph('kind'),
            occurredAt: ph('occurredAt'),
            note: ph('note'),
            sourcePlatform: 'shell',
          })
          .returning({ id: touchpoints.id })
          .prepare(),
      );
      const t1 = await insertTouch.get({ accountId: acct!.id, memberId: a!.id, kind: 'visit', occurredAt: at, note: "it's ? fine" });
      const t2 = await insertTouch.get({ accountId: acct!.id, memberId: a!.id, kind: 'visit', occurredAt: later, note: '' });
      await db.insert(touchpointParticipants).values({ touchpointId: t1!.id, memberId: b!.id, ourLevel: 'sales' }).run();
      await db
        .insert(complaints)
        .values({ tenantId: 1, number: 1, accountId: acct!.id, severity: 'high' as never, category: 'quality' as never, summary: 'late', openedAt: at, deadlineAt: later })
        .run();
      await db
        .insert(auditLog)
        .values({ tenantId: 1, actorId: a!.id, action: 'touch.log', entity: 'touchpoint', entityId: t1!.id, detail: { account: 'Acme', kind: 'visit' }, at })
        .run();
      const last = await db.select({ at: lastVisitSql }).from(accounts).where(eq(accounts.id, acct!.id)).get();
      const open = await db
        .select({ n: count() })
        .from(complaints)
        .where(and(eq(complaints.accountId, acct!.id), eq(complaints.status, 'open')))
        .get();
      const touch = await db.select().from(touchpoints).where(eq(touchpoints.id, t1!.id)).get();
      const member = await db.select({ active: members.active, leftAt: members.leftAt }).from(members).where(eq(members.id, a!.id)).get();
      const audit = await db.select({ detail: auditLog.detail, at: auditLog.at }).from(auditLog).get();
      const account = await db.select({ aliases: accounts.aliases }).from(accounts).get();
      return { t1, t2, last, open, touch, member, audit, account };
    });
    expect(result.t2!.id).toBe(result.t1!.id + 1);
    expect(result.last!.at).toBe(later.getTime());
    expect(result.open).toEqual({ n: 1 });
    expect(result.touch!.occurredAt).toEqual(at);
    expect(result.touch!.note).toBe("it's ? fine");
    expect(result.touch!.createdAt).toBeInstanceOf(Date);
    expect(result.member).toEqual({ active: false, leftAt: null });
    expect(result.audit).toEqual({ detail: { account: 'Acme', kind: 'visit' }, at });
    expect(result.account!.aliases).toEqual(['ACME Corp']);
  });

  it('stores flags as 0/1 and JSON as the text SQLite stores, so raw SQL on them reads the same on both engines', async () => {
    const detail = { b: 1, a: 'x', nested: { z: [1, 2], y: null } };
    const ids = await inPgTx(pool, async (db) => {
      const [m] = await db.insert(members).values({ tenantId: 1, platformUserId: 'U9', name: 'Gone', active: false }).returning({ id: members.id });
      const [a] = await db.insert(auditLog).values({ tenantId: 1, action: 'x', entity: 'y', detail, at: new Date() }).returning({ id: auditLog.id });
      return { member: m!.id, audit: a!.id };
    });
    // What the domain's raw SQL may say of a flag (SQLite's 1/0), which a PostgreSQL boolean refuses.
    const flags = await pool.query('select active, active = 0 as gone, sum(active) over () as n from members where id = $1', [ids.member]);
    expect(flags.rows).toEqual([{ active: 0, gone: true, n: expect.any(Number) }]);
    await expect(pool.query('select true = 1')).rejects.toMatchObject({ code: '42883' }); // boolean = integer
    await expect(pool.query('select sum(true)')).rejects.toMatchObject({ code: '42883' });
    // The JSON text as drizzle wrote it, byte for byte (jsonb would reorder the keys and respace them).
    const text = await pool.query('select detail from audit_log where id = $1', [ids.audit]);
    expect(text.rows[0].detail).toBe(JSON.stringify(detail));
    expect((await pool.query(`select $1::jsonb::text as j`, [JSON.stringify(detail)])).rows[0].j).not.toBe(JSON.stringify(detail));
  });

  it('rolls a failed command back whole', async () => {
    const before = await inPgTx(pool, (db) => db.select({ n: count() }).from(auditLog).get());
    await expect(
      inPgTx(pool, async (db) => {
        await db.insert(auditLog).values({ tenantId: 1, action: 'x', entity: 'y', at: new Date() }).run();
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await inPgTx(pool, (db) => db.select({ n: count() }).from(auditLog).get())).toEqual(before);
  });

  // nextNumber (src/domain/numbers.ts) reads the tenant's highest number and writes the next: on SQLite's
  // single writer two commands never read the same maximum; on PostgreSQL two transactions can.
  const nextComplaint = async (db: PgTx, arrived: () => Promise<void>) => {
    const row = await db
      .select({ n: max(complaints.number) })
      .from(complaints)
      .where(eq(complaints.tenantId, 2))
      .get();
    await arrived();
    const at = new Date();
    await db
      .insert(complaints)
      .values({ tenantId: 2, number: Number(row?.n ?? 0) + 1, accountId: 1, severity: 'high' as never, category: 'quality' as never, summary: 's', openedAt: at, deadlineAt: at })
      .run();
  };
  /** Lets two first attempts both read before either writes (a retry runs straight through). */
  const bothRead = () => {
    let waiting = 2;
    let release: () => void = () => {};
    const all = new Promise<void>((r) => (release = r));
    return () => {
      if (waiting <= 0) return Promise.resolve();
      if (--waiting === 0) release();
      return all;
    };
  };
  const numbers = async () => (await pool.query('select number from complaints where tenant_id = 2 order by number')).rows.map((r) => r.number as number);

  it('two commands that read then write, run serializable, number two complaints 1 and 2', async () => {
    const arrived = bothRead();
    await Promise.all([inPgTx(pool, (db) => nextComplaint(db, arrived), true), inPgTx(pool, (db) => nextComplaint(db, arrived), true)]);
    expect(await numbers()).toEqual([1, 2]);
  });

  it('under READ COMMITTED the same two commands read the same number, and the schema refuses the second (why commands run serializable)', async () => {
    const arrived = bothRead();
    const [a, b] = await Promise.allSettled([inPgTx(pool, (db) => nextComplaint(db, arrived)), inPgTx(pool, (db) => nextComplaint(db, arrived))]);
    const failed = [a, b].filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as { cause?: { code?: string } });
    expect(failed.map((e) => e.cause?.code)).toEqual(['23505']); // complaints_tenant_number: a failed command, not a retried one
    expect(await numbers()).toEqual([1, 2, 3]);
  });

  it('runs one async domain function on SQLite and on PostgreSQL with the same answers', async () => {
    const sqliteDir = mkdtempSync(join(tmpdir(), 'pg-proxy-sqlite-'));
    const sqlite = openDb(join(sqliteDir, 'book.db'));
    try {
      const onSqlite = await touchOnce(sqlite);
      const fresh = await migratedPg(server);
      const onPg = await inPgTx(fresh, (db) => touchOnce(db), true).finally(() => fresh.end());
      expect(onPg).toEqual(onSqlite);
      expect(onSqlite).toEqual({ lastVisit: new Date('2026-11-24T09:30:00Z').getTime(), open: 1, changed: 2, participants: [{ m: 2 }] });
    } finally {
      closeDb(sqlite);
      rmSync(sqliteDir, { recursive: true, force: true });
    }
  });
});

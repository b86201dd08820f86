// The domain's own read queries on PostgreSQL beside SQLite (db/POSTGRES.md): one book, seeded from a seeded
// random source by one function written once against the async handle, goes into a SQLite file and into a
// PostgreSQL database made by db/migrations-pg. The domain's read functions (matching, health's facts,
// cadence's snoozes and overdue revisits, digests, churn, complaint times, teams, promises, coverage) run on
// SQLite through a drizzle handle that records every statement with its parameters; each recorded select is
// then run on PostgreSQL as db/pg.ts runs it (`toPgSql`, its result types) and on SQLite, and the rows must
// be the same. A statement PostgreSQL refuses, or rows that differ, fail the test with the SQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncTx, closeDb, type Db, openDb } from '../db/index.js';
import { inPgTx, toPgSql } from '../db/pg.js';
import * as schema from '../db/schema.js';
import { overdueRevisits, snoozeEnds } from '../src/domain/cadence.js';
import { accountChoices, accountNameById } from '../src/domain/choices.js';
import { churnBook } from '../src/domain/churn.js';
import { complaintLife, complaintTimes } from '../src/domain/complaint-life.js';
import { contactsOf } from '../src/domain/contacts.js';
import { coverageCells } from '../src/domain/coverage.js';
import { digestsDue, digestWeek, orgWeek, ownsAccounts } from '../src/domain/digest.js';
import { healthOf, loadFacts } from '../src/domain/health.js';
import { homeBook } from '../src/domain/home.js';
import { accountByExactName, longestExact, matchAccount } from '../src/domain/match.js';
import { nextNumber } from '../src/domain/numbers.js';
import { keptRates, moveCounts } from '../src/domain/promises.js';
import { reviewFacts } from '../src/domain/review.js';
import { decideAccounts, dueAccountIds, dueComplaintIds, duePromiseIds } from '../src/domain/sweep.js';
import { organisation, teamOf } from '../src/domain/teams.js';
import { nudgeViews } from '../src/views/nudges.js';
import { seeded } from '../bench/lib.js';
import { migratedPg, startTestPg, type TestPg } from './pg.js';

const {
  tenants,
  members,
  accounts,
  accountAliases,
  contacts,
  touchpoints,
  touchpointParticipants,
  complaints,
  promises,
  promiseMoves,
  nudgeSnoozes,
  churnSignals,
  auditLog,
  pairings,
} = schema;

const DAY = 86_400_000;
const NOW = new Date('2026-11-26T10:00:00Z');

// Names whose order differs between byte order and a language's (case, accents, punctuation, CJK), and
// keys with LIKE's special characters, so matching and sorting are tried on what differs.
const NAMES = [
  'Acme',
  'acme east',
  'Ácme Trading',
  'Beta_Co',
  'beta-co',
  'Betacorp',
  'Zeta',
  'zebra 100%',
  '华东物流',
  '华南物流',
  'Éclair',
  'eclipse',
  'A&B',
  'ab',
  'Delta',
  'delta 2',
  'Gamma',
  'Omega',
  '_under',
  'Ünited',
];
const key = (name: string) => name.toLowerCase();

/** One book, written once against the async handle, run on both engines. */
async function seed(db: AsyncTx, seedNo: number) {
  const r = seeded(seedNo);
  const [t] = await db
    .insert(tenants)
    .values({ platform: 'slack', workspaceId: `T${seedNo}`, locale: 'en', timezone: 'UTC', createdAt: new Date(NOW.getTime() - 400 * DAY) })
    .returning();
  const tenantId = t!.id;
  const memberIds: number[] = [];
  for (let i = 0; i < 8; i++) {
    const [m] = await db
      .insert(members)
      .values({
        tenantId,
        platformUserId: `U${i}`,
        name: r.pick(['Zhang', 'wang', 'Li', 'Ann', 'ann', 'Émile', 'Bob', '_x']) + i,
        role: i === 0 ? 'admin' : i < 2 ? 'exec' : i < 4 ? 'manager' : 'rep',
        function: r.pick(schema.FUNCTIONS),
        managerId: i >= 4 ? memberIds[2 + (i % 2)] : i >= 2 ? memberIds[1] : null,
        active: i !== 7,
        leftAt: i === 7 ? new Date(NOW.getTime() - 10 * DAY) : null,
        createdAt: new Date(NOW.getTime() - 300 * DAY),
      })
      .returning({ id: members.id });
    memberIds.push(m!.id);
  }
  const accountIds: number[] = [];
  for (const [i, name] of NAMES.entries()) {
    const [a] = await db
      .insert(accounts)
      .values({
        tenantId,
        name,
        nameKey: key(name),
        ownerId: r.next() < 0.9 ? r.pick(memberIds) : null,
        tier: r.pick(schema.TIERS),
        cadenceDays: r.next() < 0.3 ? 7 + r.int(30) : null,
        annualRevenue: r.next() < 0.5 ? Math.round(r.next() * 1e7) / 100 : null,
        aliases: i % 5 === 0 ? [`${name} Group`] : [],
        createdAt: new Date(NOW.getTime() - r.int(200) * DAY),
      })
      .returning({ id: accounts.id });
    accountIds.push(a!.id);
    if (i % 5 === 0)
      await db
        .insert(accountAliases)
        .values({ tenantId, accountId: a!.id, key: key(`${name} Group`) })
        .run();
  }
  const contactIds: number[] = [];
  for (let i = 0; i < 30; i++) {
    const name = r.pick(['Chen', 'chen', 'Éva', 'Ole', 'Ōta', 'ma', 'Ma']) + r.int(5);
    const [c] = await db
      .insert(contacts)
      .values({ tenantId, accountId: r.pick(accountIds), name, nameKey: key(name), level: r.pick(schema.CONTACT_LEVELS), createdAt: new Date(NOW.getTime() - 200 * DAY) })
      .returning({ id: contacts.id });
    contactIds.push(c!.id);
  }
  for (let i = 0; i < 150; i++) {
    const [tp] = await db
      .insert(touchpoints)
      .values({
        tenantId,
        accountId: r.pick(accountIds),
        memberId: r.pick(memberIds),
        contactId: r.next() < 0.6 ? r.pick(contactIds) : null,
        ourLevel: r.pick(schema.FUNCTIONS),
        kind: r.pick(schema.TOUCH_KINDS),
        occurredAt: new Date(NOW.getTime() - r.int(120 * 24) * 3_600_000),
        note: '',
        sourcePlatform: 'slack',
        createdAt: NOW,
      })
      .returning({ id: touchpoints.id });
    if (r.next() < 0.3)
      await db
        .insert(touchpointParticipants)
        .values({ touchpointId: tp!.id, memberId: r.pick(memberIds), ourLevel: r.pick(schema.FUNCTIONS) })
        .run();
  }
  for (let n = 1; n <= 12; n++) {
    const opened = NOW.getTime() - r.int(60) * DAY;
    const resolved = r.next() < 0.5 ? opened + r.int(10) * DAY + 1 : null;
    const [c] = await db
      .insert(complaints)
      .values({
        tenantId,
        number: n,
        accountId: r.pick(accountIds),
        severity: r.pick(schema.SEVERITIES),
        category: r.pick(schema.COMPLAINT_CATEGORIES),
        summary: `s${n}`,
        ownerId: r.pick(memberIds),
        status: resolved ? 'resolved' : 'open',
        openedAt: new Date(opened),
        deadlineAt: new Date(opened + 3 * DAY),
        resolvedAt: resolved ? new Date(resolved) : null,
        firstAnswerAt: r.next() < 0.7 ? new Date(opened + 3_600_000) : null,
      })
      .returning({ id: complaints.id });
    if (r.next() < 0.4)
      await db
        .insert(auditLog)
        .values({ tenantId, actorId: r.pick(memberIds), action: 'complaint.assign', entity: 'complaint', entityId: c!.id, detail: { to: 1 }, at: new Date(opened + DAY) })
        .run();
  }
  for (let n = 1; n <= 15; n++) {
    const status = r.pick(schema.PROMISE_STATUSES);
    const [p] = await db
      .insert(promises)
      .values({
        tenantId,
        number: n,
        accountId: r.pick(accountIds),
        ownerId: r.pick(memberIds),
        text: `p${n}`,
        dueOn: `2026-11-${String(1 + r.int(28)).padStart(2, '0')}`,
        status,
        closedAt: status === 'open' ? null : new Date(NOW.getTime() - r.int(40) * DAY),
        createdAt: new Date(NOW.getTime() - 50 * DAY),
      })
      .returning({ id: promises.id });
    for (let m = r.int(3); m > 0; m--)
      await db
        .insert(promiseMoves)
        .values({ tenantId, promiseId: p!.id, fromOn: '2026-10-01', toOn: '2026-10-08', reason: 'r', movedAt: new Date(NOW.getTime() - m * DAY) })
        .run();
  }
  for (let i = 0; i < 6; i++)
    await db
      .insert(nudgeSnoozes)
      .values({ tenantId, kind: 'revisit', subjectId: r.pick(accountIds), memberId: r.pick(memberIds), until: new Date(NOW.getTime() + r.int(20) * DAY), createdAt: NOW })
      .run();
  for (let i = 0; i < 8; i++)
    await db
      .insert(churnSignals)
      .values({ tenantId, accountId: r.pick(accountIds), kind: r.pick(schema.SIGNAL_KINDS), occurredAt: new Date(NOW.getTime() - r.int(90) * DAY) })
      .run();
  for (let i = 0; i < 4; i++)
    await db
      .insert(pairings)
      .values({ tenantId, accountId: accountIds[i]!, execId: memberIds[1]!, cadenceDays: 30, createdAt: new Date(NOW.getTime() - 100 * DAY) })
      .run();
  return { tenantId, memberIds, accountIds };
}

interface Statement {
  query: string;
  params: unknown[];
  from: string;
}

/** Runs the domain's read functions on `db` (a recording SQLite handle); `from` names the function running. */
async function domainReads(db: Db, tenantId: number, memberIds: number[], accountIds: number[], at: (name: string) => void) {
  at('book');
  const tenant = (await db.select().from(tenants).where(eq(tenants.id, tenantId)).get())!;
  const all = await db.select().from(members).where(eq(members.tenantId, tenantId)).all();
  at('match');
  for (const typed of ['acme', 'Acme', 'ac', 'ácme', 'beta_', 'beta', 'bet', 'a&b', '华东', '物流', 'zebra 100%', '100%', 'under', '_', 'delta', 'nothing here', 'acme group'])
    await matchAccount(db, tenantId, typed);
  await accountByExactName(db, tenantId, 'Delta 2');
  at('choices');
  for (const typed of ['', 'a', 'be', 'zz', '华']) await accountChoices({ db, tenant }, typed);
  await accountNameById({ db, tenant }, accountIds[3]!);
  at('contacts');
  for (const id of accountIds.slice(0, 6)) await contactsOf({ db }, id, id % 2 === 0);
  at('home');
  for (const actor of all.slice(0, 6)) await homeBook({ db, tenant, actor });
  at('review');
  const someAccounts = (await db.select().from(accounts).where(eq(accounts.tenantId, tenantId)).all()).slice(0, 3);
  for (const a of someAccounts) await reviewFacts(db, tenant, a, 2026, NOW);
  at('sweep');
  await dueAccountIds(db, tenantId, NOW);
  await duePromiseIds(db, tenant, NOW);
  await dueComplaintIds(db, tenantId, NOW);
  // The sweep's decisions on every account, read and composed, nothing written (the sweep's read transaction).
  await decideAccounts(db, tenant, NOW, nudgeViews, accountIds);
  at('numbers');
  await nextNumber(db, complaints, tenantId);
  await nextNumber(db, promises, tenantId);
  await longestExact(db, tenantId, ['delta 2 east', 'delta 2', 'delta']);
  at('health.loadFacts');
  await loadFacts(db, tenant, 'all', NOW.getTime());
  await loadFacts(db, tenant, accountIds.slice(0, 5), NOW.getTime());
  await healthOf(db, tenant, 'all', NOW);
  at('cadence');
  await snoozeEnds(db, tenantId, 'revisit', accountIds.slice(0, 10));
  await snoozeEnds(db, tenantId, 'revisit');
  const book = (await db.select().from(accounts).where(eq(accounts.tenantId, tenantId)).all()).map((a) => ({ a, last: null }));
  await overdueRevisits(db, tenant, book, NOW);
  at('digest');
  for (const m of all.slice(0, 5)) {
    await digestWeek(db, tenant, m, NOW, 'UTC');
    await ownsAccounts(db, tenant, m);
  }
  await orgWeek(db, tenant, NOW, 'UTC');
  await digestsDue(db, tenant, NOW);
  at('churn');
  await churnBook(db, tenantId, new Date(NOW.getTime() - 90 * DAY), NOW);
  at('complaint-life');
  await complaintTimes(db, tenantId, { from: new Date(NOW.getTime() - 60 * DAY), to: NOW });
  await complaintTimes(db, tenantId, { from: new Date(NOW.getTime() - 60 * DAY), to: NOW }, accountIds.slice(0, 8));
  for (const c of (await db.select().from(complaints).where(eq(complaints.tenantId, tenantId)).all()).slice(0, 4)) await complaintLife(db, c, NOW);
  at('teams');
  await organisation(db, tenantId);
  await teamOf(db, tenantId, all[1]!);
  await teamOf(db, tenantId, all[2]!);
  at('promises');
  await moveCounts(
    db,
    (await db.select({ id: promises.id }).from(promises).all()).map((p) => p.id),
  );
  await keptRates(db, tenant, all, NOW);
  at('coverage');
  for (const id of accountIds.slice(0, 5)) await coverageCells(db, id);
  void memberIds;
}

/** Rows as comparable values: in order when the statement orders them, else sorted. */
const rowsOf = (query: string, rows: unknown[][]) => {
  const text = rows.map((r) => JSON.stringify(r));
  return / order by /i.test(query) ? text : text.sort();
};

let server: TestPg;
beforeAll(async () => {
  server = await startTestPg();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe("the domain's reads on PostgreSQL beside SQLite", () => {
  // The last on a database whose default collation is ICU's en-US, as an operator's may be: the name
  // columns' `collate "C"` (db/schema.pg.ts) keeps SQLite's byte order for sorting and prefix ranges.
  for (const [seedNo, icuLocale] of [
    [1, undefined],
    [2, undefined],
    [3, 'en-US'],
  ] as const) {
    it(`give the same rows on a seeded book (seed ${seedNo}${icuLocale ? `, database collation ${icuLocale}` : ''})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pg-diff-'));
      const sqlite = openDb(join(dir, 'book.db'));
      let pool: pg.Pool | undefined;
      try {
        const onSqlite = await seed(sqlite, seedNo);
        pool = await migratedPg(server, { icuLocale });
        const onPg = await inPgTx(pool, (db) => seed(db, seedNo));
        expect(onPg).toEqual(onSqlite);

        const recorded: Statement[] = [];
        let from = '';
        const recording = drizzle(sqlite.$client, {
          schema,
          logger: { logQuery: (query, params) => void recorded.push({ query, params, from }) },
        }) as unknown as Db;
        await domainReads(recording, onSqlite.tenantId, onSqlite.memberIds, onSqlite.accountIds, (name) => (from = name));
        const selects = recorded.filter((s) => /^(select|with) /i.test(s.query));
        expect(selects.length).toBeGreaterThan(40);
        // The domain's `in (select value from json_each(?))` scoping, served by db/migrations-pg/0002_functions.
        expect(selects.filter((s) => s.query.includes('json_each(')).map((s) => s.from)).toEqual(
          expect.arrayContaining(['cadence', 'health.loadFacts', 'digest', 'complaint-life']),
        );
        expect(new Set(selects.map((s) => s.from))).toEqual(
          new Set([
            'book',
            'match',
            'choices',
            'contacts',
            'home',
            'review',
            'sweep',
            'numbers',
            'health.loadFacts',
            'cadence',
            'digest',
            'churn',
            'complaint-life',
            'teams',
            'promises',
            'coverage',
          ]),
        );

        const refused: string[] = [];
        const differ: string[] = [];
        const seen = new Set<string>();
        for (const s of selects) {
          const id = `${s.query} ${JSON.stringify(s.params)}`;
          if (seen.has(id)) continue;
          seen.add(id);
          const want = sqlite.$client
            .prepare(s.query)
            .raw(true)
            .all(...(s.params as unknown[])) as unknown[][];
          let got: unknown[][];
          try {
            got = (await pool.query({ text: toPgSql(s.query), values: s.params, rowMode: 'array' })).rows as unknown[][];
          } catch (e) {
            refused.push(`[${s.from}] ${(e as Error).message}: ${s.query}`);
            continue;
          }
          const [a, b] = [rowsOf(s.query, want), rowsOf(s.query, got)];
          if (JSON.stringify(a) !== JSON.stringify(b)) differ.push(`[${s.from}] ${s.query} ${JSON.stringify(s.params)}\n  sqlite ${a.join(' ')}\n  pg     ${b.join(' ')}`);
        }
        expect(refused).toEqual([]);
        expect(differ).toEqual([]);
      } finally {
        await pool?.end();
        closeDb(sqlite);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

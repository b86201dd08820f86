// db/migrations-pg applied to a fresh PostgreSQL database by drizzle's node-postgres migrator: every table of
// db/schema.pg.ts is there, the dedupe keys refuse a second row, and the triggers (the complaint card's redraw,
// the next_check_at = 0 marks) do what SQLite's do: the same writes, run on both engines, leave the same marks
// and the same card rows, and the marks each write must leave (what its trigger is for) are asserted too.
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../db/index.js';
import * as pgSchema from '../db/schema.pg.js';
import { startTestPg, withDatabase, type TestPg } from './pg.js';

const PG_MIGRATIONS = fileURLToPath(new URL('../db/migrations-pg', import.meta.url));

let server: TestPg;
let client: pg.Client;

/** A fresh database with db/migrations-pg applied; the caller ends the client. */
async function migrated(): Promise<pg.Client> {
  const c = new pg.Client(await server.database());
  await c.connect();
  await migrate(drizzle(c), { migrationsFolder: PG_MIGRATIONS });
  return c;
}

beforeAll(async () => {
  const started = performance.now();
  server = await startTestPg();
  console.log(`test postgres (${server.own ? 'own, initdb + start' : 'TEST_DATABASE_URL'}) ready in ${Math.round(performance.now() - started)} ms`);
  client = await migrated();
}, 60_000);
afterAll(async () => {
  await client?.end();
  await server?.stop();
});

const pgTables = Object.values(pgSchema)
  .filter((v) => is(v, PgTable))
  .map((t) => getTableConfig(t));

describe('PostgreSQL migrations', () => {
  it("run in a database made for this suite, never the server's own", async () => {
    expect((await client.query('SELECT current_database() AS d')).rows[0].d).toMatch(/^steward_test_\d+_\d+_[0-9a-f]+$/);
    expect(withDatabase('postgres://u:p@db.example:5432/postgres?sslmode=disable', 'x')).toBe('postgres://u:p@db.example:5432/x?sslmode=disable');
    expect(withDatabase('postgresql://u@/postgres?host=%2Ftmp%2Fs&port=5', 'x')).toBe('postgresql://u@/x?host=%2Ftmp%2Fs&port=5');
    expect(withDatabase('postgresql://h', 'x')).toBe('postgresql://h/x');
  });

  it('make every table of db/schema.pg.ts, with its columns', async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_%'`,
    );
    const found = new Map<string, string[]>();
    for (const r of rows) found.set(r.table_name, [...(found.get(r.table_name) ?? []), r.column_name]);
    expect(pgTables.length).toBeGreaterThan(20);
    expect([...found.keys()].sort()).toEqual(pgTables.map((t) => t.name).sort());
    for (const t of pgTables) expect(found.get(t.name)!.sort(), t.name).toEqual(t.columns.map((c) => c.name).sort());
  });

  it('give each column the type and nullability db/schema.pg.ts says (the committed migrations are not behind the schema)', async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; collation_name: string | null; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, collation_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_%'`,
    );
    const found = new Map(
      rows.map((r) => [
        `${r.table_name}.${r.column_name}`,
        `${r.data_type}${r.collation_name ? ` COLLATE "${r.collation_name}"` : ''} ${r.is_nullable === 'NO' ? 'not null' : 'null'}`,
      ]),
    );
    const want = new Map(pgTables.flatMap((t) => t.columns.map((c) => [`${t.name}.${c.name}`, `${c.getSQLType()} ${c.notNull ? 'not null' : 'null'}`] as const)));
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(want));
  });

  it('make every trigger SQLite has, by name', async () => {
    const sqlite = openDb(':memory:');
    try {
      const want = sqlite.$client.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).pluck().all();
      const { rows } = await client.query<{ tgname: string }>(`SELECT DISTINCT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`);
      expect(want.length).toBeGreaterThan(20);
      expect(rows.map((r) => r.tgname)).toEqual(want);
    } finally {
      closeDb(sqlite);
    }
  });

  it('refuse a second nudge, inbound event, replayed request or member with the same key', async () => {
    const c = await migrated();
    try {
      await c.query(`INSERT INTO "tenants" ("id", "platform", "workspace_id", "locale", "timezone") VALUES (1, 'slack', 'T1', 'en', 'UTC')`);
      const twice = async (insert: string) => {
        await c.query(insert);
        await expect(c.query(insert)).rejects.toMatchObject({ code: '23505' }); // unique_violation
      };
      await twice(
        `INSERT INTO "nudges" ("tenant_id", "dedupe_key", "kind", "subject_type", "subject_id", "period") VALUES (1, 'revisit:1:2026-W50', 'revisit', 'account', 1, '2026-W50')`,
      );
      await twice(`INSERT INTO "inbound_events" ("platform", "event_id", "received_at") VALUES ('slack', 'Ev1', 1)`);
      await twice(`INSERT INTO "seen_requests" ("key", "expires_at") VALUES ('sig:abc', 1)`);
      await twice(`INSERT INTO "members" ("tenant_id", "platform_user_id", "name") VALUES (1, 'U1', 'Ann')`);
      // The same key in another tenant is another nudge.
      await c.query(`INSERT INTO "tenants" ("id", "platform", "workspace_id", "locale", "timezone") VALUES (2, 'slack', 'T2', 'en', 'UTC')`);
      await c.query(
        `INSERT INTO "nudges" ("tenant_id", "dedupe_key", "kind", "subject_type", "subject_id", "period") VALUES (2, 'revisit:1:2026-W50', 'revisit', 'account', 1, '2026-W50')`,
      );
    } finally {
      await c.end();
    }
  });

  it('fill defaults as SQLite does: created_at is now in epoch ms, identity ids count from 1, JSON defaults', async () => {
    const c = await migrated();
    try {
      const before = Date.now();
      const { rows } = await c.query(`INSERT INTO "tenants" ("platform", "workspace_id", "locale", "timezone") VALUES ('lark', 'K', 'zh-CN', 'Asia/Shanghai') RETURNING *`);
      const after = Date.now();
      const row = rows[0];
      expect(Number(row.id)).toBe(1);
      expect(row.settings).toBe('{}'); // the JSON text, as SQLite stores it
      expect(Number(row.created_at)).toBeGreaterThanOrEqual(before - 1000); // the server's clock is this machine's
      expect(Number(row.created_at)).toBeLessThanOrEqual(after + 1000);
      // Read through drizzle, an instant is a Date as from SQLite.
      const [t] = await drizzle(c, { schema: pgSchema }).select().from(pgSchema.tenants);
      expect(t!.createdAt).toBeInstanceOf(Date);
      expect(t!.createdAt.getTime()).toBe(Number(row.created_at));
    } finally {
      await c.end();
    }
  });
});

// ---- The triggers, side by side ----

interface Marks {
  accounts?: number[];
  promises?: number[];
  complaints?: number[];
}
interface Step {
  what: string;
  sql: (mark: number) => string;
  /** The rows whose check the write marks (next_check_at = 0); every other row keeps the mark set before it. */
  marks: Marks;
  /** Card redraws of complaints (subject id) that the write queues. */
  cards?: number[];
}

const SETUP = `
INSERT INTO "tenants" ("id", "platform", "workspace_id", "locale", "timezone") VALUES (1, 'slack', 'T1', 'en', 'UTC');
INSERT INTO "members" ("id", "tenant_id", "platform_user_id", "name", "role") VALUES (1, 1, 'U1', 'Mia', 'manager');
INSERT INTO "members" ("id", "tenant_id", "platform_user_id", "name", "manager_id") VALUES (2, 1, 'U2', 'Ray', 1);
INSERT INTO "members" ("id", "tenant_id", "platform_user_id", "name", "role") VALUES (3, 1, 'U3', 'Eve', 'exec');
INSERT INTO "accounts" ("id", "tenant_id", "name", "name_key", "owner_id") VALUES (1, 1, 'Acme', 'acme', 2);
INSERT INTO "accounts" ("id", "tenant_id", "name", "name_key", "owner_id") VALUES (2, 1, 'Bolt', 'bolt', 1);
INSERT INTO "accounts" ("id", "tenant_id", "name", "name_key", "owner_id") VALUES (3, 1, 'Cask', 'cask', NULL);
INSERT INTO "pairings" ("id", "tenant_id", "account_id", "exec_id") VALUES (1, 1, 2, 3);
INSERT INTO "promises" ("id", "tenant_id", "number", "account_id", "owner_id", "text", "due_on") VALUES (1, 1, 1, 1, 2, 'quote', '2026-12-10');
INSERT INTO "promises" ("id", "tenant_id", "number", "account_id", "owner_id", "text", "due_on") VALUES (2, 1, 2, 3, NULL, 'call', '2026-12-11');
INSERT INTO "complaints" ("id", "tenant_id", "number", "account_id", "severity", "category", "summary", "owner_id", "opened_at", "deadline_at")
  VALUES (1, 1, 1, 1, 'high', 'delay', 'late', 2, 1000, 2000);
INSERT INTO "complaints" ("id", "tenant_id", "number", "account_id", "severity", "category", "summary", "owner_id", "opened_at", "deadline_at", "thread_ts", "thread_channel")
  VALUES (2, 1, 2, 3, 'low', 'damage', 'dent', NULL, 1000, 9000, 'T2', 'C2');
INSERT INTO "touchpoints" ("id", "tenant_id", "account_id", "member_id", "our_level", "kind", "occurred_at", "source_platform") VALUES (1, 1, 1, 2, 'sales', 'visit', 500, 'slack');
INSERT INTO "review_items" ("id", "tenant_id", "number", "account_id", "season", "due_on") VALUES (1, 1, 1, 3, 2026, '2026-10-01');
`;

// Nudges without explicit ids, as the card rows the triggers insert take theirs from the table's own count.
const nudgeTakenBack = (kind: string, subjectType: string, subject: number) =>
  `INSERT INTO "nudges" ("tenant_id", "dedupe_key", "kind", "subject_type", "subject_id", "period") VALUES (1, '${kind}:x', '${kind}', '${subjectType}', ${subject}, 'p'); DELETE FROM "nudges" WHERE "dedupe_key" = '${kind}:x'`;

const STEPS: Step[] = [
  {
    what: 'a touchpoint is logged',
    sql: () =>
      `INSERT INTO "touchpoints" ("id", "tenant_id", "account_id", "member_id", "our_level", "kind", "occurred_at", "source_platform") VALUES (2, 1, 2, 2, 'sales', 'call', 600, 'shell')`,
    marks: { accounts: [2] },
  },
  { what: 'a touchpoint moves to another account', sql: () => `UPDATE "touchpoints" SET "account_id" = 3 WHERE "id" = 2`, marks: { accounts: [2, 3] } },
  { what: "a touchpoint's note is edited", sql: () => `UPDATE "touchpoints" SET "note" = 'x' WHERE "id" = 2`, marks: {} },
  {
    what: 'a colleague joins a touchpoint',
    sql: () => `INSERT INTO "touchpoint_participants" ("touchpoint_id", "member_id", "our_level") VALUES (1, 3, 'executive')`,
    marks: { accounts: [1] },
  },
  { what: 'a colleague is taken off it', sql: () => `DELETE FROM "touchpoint_participants"`, marks: { accounts: [1] } },
  { what: 'a touchpoint is deleted', sql: () => `DELETE FROM "touchpoints" WHERE "id" = 2`, marks: { accounts: [3] } },
  { what: "an account's tier changes", sql: () => `UPDATE "accounts" SET "tier" = 'key' WHERE "id" = 1`, marks: { accounts: [1] } },
  { what: "an account's tier is written unchanged", sql: () => `UPDATE "accounts" SET "tier" = 'key' WHERE "id" = 1`, marks: {} },
  { what: "an account's region changes", sql: () => `UPDATE "accounts" SET "region" = 'north' WHERE "id" = 1`, marks: {} },
  {
    what: 'a revisit is snoozed',
    sql: () => `INSERT INTO "nudge_snoozes" ("id", "tenant_id", "kind", "subject_id", "until") VALUES (1, 1, 'revisit', 3, 5)`,
    marks: { accounts: [3] },
  },
  { what: 'another kind is snoozed', sql: () => `INSERT INTO "nudge_snoozes" ("id", "tenant_id", "kind", "subject_id", "until") VALUES (2, 1, 'promise', 1, 5)`, marks: {} },
  { what: "a revisit's snooze moves to another account", sql: () => `UPDATE "nudge_snoozes" SET "subject_id" = 2 WHERE "id" = 1`, marks: { accounts: [2, 3] } },
  { what: 'a revisit snooze is taken back', sql: () => `DELETE FROM "nudge_snoozes" WHERE "id" = 1`, marks: { accounts: [2] } },
  { what: 'a pairing starts', sql: () => `INSERT INTO "pairings" ("id", "tenant_id", "account_id", "exec_id") VALUES (2, 1, 1, 3)`, marks: { accounts: [1] } },
  { what: 'a pairing ends', sql: () => `UPDATE "pairings" SET "active" = 0 WHERE "id" = 2`, marks: { accounts: [1] } },
  { what: 'a review item moves to another season', sql: () => `UPDATE "review_items" SET "season" = 2027 WHERE "id" = 1`, marks: { accounts: [3] } },
  { what: "a review item's note is written", sql: () => `UPDATE "review_items" SET "note" = 'n' WHERE "id" = 1`, marks: {} },
  { what: "the workspace's zone changes", sql: () => `UPDATE "tenants" SET "timezone" = 'Asia/Shanghai'`, marks: { accounts: [1, 2, 3], promises: [1, 2], complaints: [1, 2] } },
  { what: "the workspace's zone is written unchanged", sql: () => `UPDATE "tenants" SET "timezone" = 'Asia/Shanghai'`, marks: {} },
  {
    what: "the workspace's settings change",
    sql: () => `UPDATE "tenants" SET "settings" = '{"workingHours":"08:00-17:00"}'`,
    marks: { accounts: [1, 2, 3], promises: [1, 2], complaints: [1, 2] },
  },
  { what: 'a manager leaves', sql: () => `UPDATE "members" SET "active" = 0 WHERE "id" = 1`, marks: { accounts: [1, 2], promises: [1] } },
  { what: 'an executive gets a manager', sql: () => `UPDATE "members" SET "manager_id" = 1 WHERE "id" = 3`, marks: { accounts: [1, 2] } },
  { what: "a rep's own zone changes", sql: () => `UPDATE "members" SET "timezone" = 'Europe/Paris' WHERE "id" = 2`, marks: { promises: [1] } },
  { what: "a rep's name changes", sql: () => `UPDATE "members" SET "name" = 'Raymond' WHERE "id" = 2`, marks: {} },
  { what: "a promise's text is edited", sql: () => `UPDATE "promises" SET "text" = 'quote v2' WHERE "id" = 1`, marks: { promises: [1] } },
  { what: "the sweep writes a promise's next check", sql: (m) => `UPDATE "promises" SET "next_check_at" = ${m + 5} WHERE "id" = 2`, marks: {} },
  { what: "the sweep writes a promise's check unchanged", sql: (m) => `UPDATE "promises" SET "next_check_at" = ${m} WHERE "id" = 1`, marks: { promises: [1] } },
  {
    what: 'a promise is moved',
    sql: () => `INSERT INTO "promise_moves" ("tenant_id", "promise_id", "from_on", "to_on", "reason", "moved_at") VALUES (1, 2, '2026-12-11', '2026-12-20', 'r', 7)`,
    marks: { promises: [2] },
  },
  { what: 'a complaint without a card changes', sql: () => `UPDATE "complaints" SET "summary" = 'very late' WHERE "id" = 1`, marks: { complaints: [1] } },
  { what: 'a complaint in its thread changes', sql: () => `UPDATE "complaints" SET "severity" = 'critical' WHERE "id" = 2`, marks: { complaints: [2] }, cards: [2] },
  // Each column the card shows, changed on a complaint whose card is in its thread.
  ...(
    [
      ['status', `'resolved'`],
      ['owner_id', '2'],
      ['escalation_level', '2'],
      ['resolution', `'fixed'`],
      ['resolved_at', '4000'],
      ['deadline_at', '9500'],
      ['reopen_count', '1'],
      ['category', `'billing'`],
      ['summary', `'dented'`],
    ] as const
  ).map(
    ([column, value]): Step => ({
      what: `a threaded complaint's ${column} changes`,
      sql: () => `UPDATE "complaints" SET "${column}" = ${value} WHERE "id" = 2`,
      marks: { complaints: [2] },
      cards: [2],
    }),
  ),
  { what: "the sweep writes a threaded complaint's check", sql: (m) => `UPDATE "complaints" SET "next_check_at" = ${m + 5} WHERE "id" = 2`, marks: {} },
  {
    what: 'a threaded complaint gets a note-free edit of an unwatched column',
    sql: () => `UPDATE "complaints" SET "first_answer_at" = 3 WHERE "id" = 2`,
    marks: { complaints: [2] },
  },
  {
    what: 'a complaint whose notice waits to be posted in a channel changes owner',
    sql: () =>
      `INSERT INTO "nudges" ("tenant_id", "dedupe_key", "kind", "subject_type", "subject_id", "period", "channel", "status") VALUES (1, 'notice:1', 'notice', 'complaint', 1, 'p', 'C1', 'pending'); UPDATE "complaints" SET "owner_id" = 1 WHERE "id" = 1`,
    marks: { complaints: [1] },
    cards: [1],
  },
  {
    what: 'once its notice is sent (no thread), it escalates',
    sql: () => `UPDATE "nudges" SET "status" = 'sent' WHERE "dedupe_key" = 'notice:1'; UPDATE "complaints" SET "escalation_level" = 1 WHERE "id" = 1`,
    marks: { complaints: [1] },
  },
  { what: 'a revisit nudge is taken back', sql: () => nudgeTakenBack('revisit', 'account', 3), marks: { accounts: [3] } },
  { what: 'a leadership nudge is taken back', sql: () => nudgeTakenBack('pairing', 'pairing', 1), marks: { accounts: [2] } },
  { what: 'a promise nudge is taken back', sql: () => nudgeTakenBack('promise', 'promise', 2), marks: { promises: [2] } },
  { what: 'an escalation is taken back', sql: () => nudgeTakenBack('escalation', 'complaint', 1), marks: { complaints: [1] } },
  { what: 'a digest nudge is taken back', sql: () => nudgeTakenBack('digest', 'member', 1), marks: {} },
  { what: 'an account is lost', sql: () => `UPDATE "accounts" SET "status" = 'lost' WHERE "id" = 3`, marks: { accounts: [3], promises: [2], complaints: [2] } },
  { what: 'an account is deleted, with its rows', sql: () => `DELETE FROM "accounts" WHERE "id" = 1`, marks: {} },
];

/** A query's rows as arrays of plain values (node-postgres gives int8 as text). */
const plain = (rows: Record<string, unknown>[]) => rows.map((r) => Object.values(r).map((v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v)));

const SNAPSHOT = {
  accounts: `SELECT "id", "next_check_at" FROM "accounts" ORDER BY "id"`,
  promises: `SELECT "id", "next_check_at" FROM "promises" ORDER BY "id"`,
  complaints: `SELECT "id", "next_check_at" FROM "complaints" ORDER BY "id"`,
  cards: `SELECT "subject_id", "channel", "tenant_id", "status", "recipient_id" FROM "nudges" WHERE "kind" = 'card' ORDER BY "id"`,
};
type Snapshot = Record<keyof typeof SNAPSHOT, unknown[][]>;

interface Engine {
  run(sql: string): Promise<void>;
  all(sql: string): Promise<Record<string, unknown>[]>;
}

async function play(e: Engine): Promise<Snapshot[]> {
  await e.run(SETUP);
  const shots: Snapshot[] = [];
  for (const [i, step] of STEPS.entries()) {
    const mark = 1000 * (i + 1);
    await e.run(`UPDATE "accounts" SET "next_check_at" = ${mark}; UPDATE "promises" SET "next_check_at" = ${mark}; UPDATE "complaints" SET "next_check_at" = ${mark}`);
    await e.run(step.sql(mark));
    const shot = {} as Snapshot;
    for (const [k, q] of Object.entries(SNAPSHOT)) shot[k as keyof Snapshot] = plain(await e.all(q));
    shots.push(shot);
  }
  return shots;
}

describe('the PostgreSQL triggers', () => {
  let sqliteShots: Snapshot[];
  let pgShots: Snapshot[];
  let cardKeys: string[];

  beforeAll(async () => {
    const sqlite: Db = openDb(':memory:');
    try {
      sqliteShots = await play({ run: async (q) => void sqlite.$client.exec(q), all: async (q) => sqlite.$client.prepare(q).all() as Record<string, unknown>[] });
    } finally {
      closeDb(sqlite);
    }
    const c = await migrated();
    try {
      pgShots = await play({ run: async (q) => void (await c.query(q)), all: async (q) => (await c.query(q)).rows });
      cardKeys = (await c.query<{ k: string }>(`SELECT "dedupe_key" AS k FROM "nudges" WHERE "kind" = 'card'`)).rows.map((r) => r.k);
    } finally {
      await c.end();
    }
  });

  it.each(STEPS.map((s, i) => [s.what, i] as const))('%s: the same marks and cards as SQLite, and the ones it must make', (_what, i) => {
    const step = STEPS[i]!;
    expect(pgShots[i]).toEqual(sqliteShots[i]);
    const shot = pgShots[i]!;
    for (const table of ['accounts', 'promises', 'complaints'] as const) {
      const zeroed = shot[table].filter(([, next]) => next === 0).map(([id]) => id);
      expect(zeroed, table).toEqual(step.marks[table] ?? []);
    }
    const before = i ? pgShots[i - 1]!.cards.length : 0;
    expect(
      shot.cards.slice(before).map(([subject]) => subject),
      'cards',
    ).toEqual(step.cards ?? []);
  });

  it('queue each card redraw as a pending channel post under a key of its own', () => {
    const last = pgShots.at(-1)!.cards;
    expect(last.length).toBe(STEPS.flatMap((s) => s.cards ?? []).length);
    // Into the complaint's thread channel (none yet for complaint 1: its notice's channel is the delivery's business).
    for (const row of last) expect(row).toEqual([row[0], row[0] === 2 ? 'C2' : null, 1, 'pending', null]);
    expect(new Set(cardKeys).size).toBe(cardKeys.length);
    for (const k of cardKeys) expect(k).toMatch(/^card:\d+:[0-9a-f]{16}$/);
  });
});

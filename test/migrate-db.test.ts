// `steward migrate-db` (src/io/migrate-db.ts): a SQLite book made by real commands (and the benches'
// seeded book, for size) copied into a real PostgreSQL database (test/pg.ts): every table's rows equal,
// read through drizzle on both sides; the identity sequences past the copied ids; the triggers silent
// during the copy and back after it; a database with Steward rows refused with nothing written; a
// failure mid-copy (a constraint the rows break, a dropped connection) or a difference found by the
// check leaves the target empty; a Steward still writing to the book is not half-seen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTableColumns } from 'drizzle-orm';
import { drizzle as pgDrizzle } from 'drizzle-orm/node-postgres';
import { bigint, boolean as pgBoolean, jsonb, pgTable, smallint, text as pgText } from 'drizzle-orm/pg-core';
import { integer, sqliteTable, text as sqliteText } from 'drizzle-orm/sqlite-core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../db/index.js';
import { seedBook } from '../bench/lib.js';
import { main } from '../src/io/cli.js';
import { convert, migrateDb, MigrateError, tablePairs } from '../src/io/migrate-db.js';
import { harness, type Harness } from './harness.js';
import { cst, kit } from './kit.js';
import { startTestPg, type TestPg } from './pg.js';

let server: TestPg;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startTestPg();
}, 60_000);
afterAll(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let h: Harness;
afterEach(() => h?.close());
const { ok, sweep } = kit(() => h);

/** A postgres:// URL for a fresh database (the command line takes a URL). */
async function freshUrl(): Promise<string> {
  const c = await server.database();
  if (c.connectionString) return c.connectionString;
  return `postgresql://${c.user}@/${c.database}?host=${encodeURIComponent(String(c.host))}&port=${c.port}`;
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const LONG_NOTE = '长'.repeat(5000) + 'x'.repeat(5000);

/** Managers, teams, accounts, contacts (one replaced by a later one), touches with colleagues, complaints, promises, a review season, a sweep's nudges. */
async function book(): Promise<Harness> {
  h = harness({ locale: 'zh-CN', now: cst('2026-09-01T10:00') });
  await ok('/steward whoami', 'alice');
  await ok('/steward role @chen exec');
  await ok('/steward whoami', 'zhang');
  await ok('/steward team @zhang manager:@刘洋'); // the manager's row comes after the rep's: a forward self-reference
  await ok('/steward role @刘洋 manager');
  await ok('/steward team @王芳 manager:@刘洋');
  await ok('/account add Acme tier:strategic owner:@zhang revenue:2m spend:5m region:East aliases:ACME,阿克米');
  await ok('/account add 华东化工 tier:strategic owner:@王芳 revenue:300万 spend:500万 industry:化工');
  await ok('/account add 北方物流 tier:key owner:@王芳');
  await ok('/contact 华东化工 add 吴刚 title:采购总监 level:decision-maker');
  await ok('/contact Acme add "Wu Gang" title:COO level:decision-maker');
  await ok('/pair Acme @chen every:60d');
  await ok('/touch Acme visit to:"Wu Gang" with:@王芳 Plant tour', 'zhang');
  await ok('/touch 华东化工 visit to:吴刚 拜访采购部', '王芳');
  await ok('/contact 华东化工 left 吴刚 replaced-by:周强', '王芳'); // 吴刚 → a contact made after him
  await ok('/promise 华东化工 due:2026-09-10 提供新报价', '王芳');
  await ok('/complaint 华东化工 severity:critical category:quality 批次质量问题', '王芳');
  await ok('/complaint note C-1 质检报告已提交', '刘洋');
  await ok('/signal 华东化工 volume-drop 订单下降30%', '王芳');
  await sweep(cst('2026-09-20T10:00')); // nudges with payloads, review items, next_check_at marks
  // A note longer than today's commands take (a book from before the limit, say).
  h.db.$client.prepare('UPDATE touchpoints SET note = ? WHERE id = 1').run(LONG_NOTE);
  return h;
}

/** Every row of every table, through drizzle on each side, values as the PostgreSQL schema holds them (instants as ms, JSON keys sorted), sorted. */
async function bothSides(file: string, url: string): Promise<{ sqlite: Record<string, unknown[]>; pg: Record<string, unknown[]> }> {
  const norm = (v: unknown) => (v instanceof Date ? v.getTime() : v);
  // jsonb keeps a JSON object's keys in an order of its own: equal values, compared with their keys sorted.
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(canonical(r))).sort();
  const pairs = tablePairs();
  const db = openDb(file);
  try {
    return await withPg(url, async (c) => {
      const target = pgDrizzle(c);
      const out = { sqlite: {} as Record<string, unknown[]>, pg: {} as Record<string, unknown[]> };
      for (const t of pairs) {
        const mine = (await db.select().from(t.sqlite).all()) as Record<string, unknown>[];
        const theirs = (await target.select().from(t.pg)) as Record<string, unknown>[];
        out.sqlite[t.name] = sorted(mine.map((r) => t.columns.map((col) => norm(convert(r[col.sKey], col.s, col.p)))));
        out.pg[t.name] = sorted(theirs.map((r) => t.columns.map((col) => norm(r[col.pKey]))));
      }
      return out;
    });
  } finally {
    closeDb(db);
  }
}

/** Each Steward table's row count in the target (0 when it has no such table yet). */
async function counts(url: string): Promise<Record<string, number>> {
  return withPg(url, async (c) => {
    const out: Record<string, number> = {};
    for (const t of tablePairs()) {
      const exists = (await c.query('SELECT to_regclass($1) AS t', [t.name])).rows[0].t;
      out[t.name] = exists ? Number((await c.query(`SELECT count(*) AS n FROM "${t.name}"`)).rows[0].n) : 0;
    }
    return out;
  });
}
const empty = () => Object.fromEntries(tablePairs().map((t) => [t.name, 0]));

function sink() {
  const chunks: string[] = [];
  return Object.assign({ write: (c: string) => (chunks.push(c), true) }, { chunks }) as unknown as NodeJS.WriteStream & { chunks: string[] };
}
const text = (s: { chunks: string[] }) => s.chunks.join('');
/** `steward migrate-db <argv>`; its stderr a terminal when `tty`. */
const command = async (tty: boolean, argv: string[]) => {
  const io = { stdout: sink(), stderr: Object.assign(sink(), tty ? { isTTY: true } : {}) };
  const code = await main(['migrate-db', ...argv], io);
  return { code, out: text(io.stdout), err: text(io.stderr) };
};
const cli = (...argv: string[]) => command(false, argv);

describe('a value between the schemas', () => {
  it('is converted by the kinds both columns say, so a PostgreSQL column of another type still takes it', () => {
    const s = getTableColumns(
      sqliteTable('t', {
        flag: integer('flag', { mode: 'boolean' }),
        at: integer('at', { mode: 'timestamp_ms' }),
        doc: sqliteText('doc', { mode: 'json' }),
        n: integer('n'),
      }),
    );
    // Today's PostgreSQL types, and other choices of them.
    const today = getTableColumns(pgTable('t', { flag: pgBoolean('flag'), doc: jsonb('doc'), n: bigint('n', { mode: 'number' }) }));
    const other = getTableColumns(pgTable('t', { flag: smallint('flag'), at: bigint('at', { mode: 'number' }), doc: pgText('doc'), n: pgBoolean('n') }));
    const at = new Date(1_788_228_000_123);
    const doc = { 名: '华东', list: [1, null] };
    expect(convert(true, s.flag, today.flag)).toBe(true);
    expect(convert(doc, s.doc, today.doc)).toBe(doc);
    expect(convert(7, s.n, today.n)).toBe(7);
    expect(convert(true, s.flag, other.flag)).toBe(1);
    expect(convert(false, s.flag, other.flag)).toBe(0);
    expect(convert(at, s.at, other.at)).toBe(1_788_228_000_123);
    expect(JSON.parse(convert(doc, s.doc, other.doc) as string)).toEqual(doc);
    expect(convert(0, s.n, other.n)).toBe(false);
    for (const c of ['flag', 'doc', 'n'] as const) expect(convert(null, s[c], other[c])).toBeNull();
  });
});

describe('steward migrate-db', () => {
  it('copies every table row for row, ids kept, Chinese text, a 10 000-character note and NULLs included, and prints the checks', async () => {
    await book();
    const url = await freshUrl();
    const r = await cli('--to', url, '--from', h.file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const pairs = tablePairs();
    for (const t of pairs) expect(r.out).toMatch(new RegExp(`^${t.name} +\\d+ +\\d+ +ok$`, 'm'));
    expect(r.out).toMatch(/^copied \d+ rows from .* in [\d.]+ s \(\d+ rows\/s\)$/m);

    const sides = await bothSides(h.file, url);
    expect(sides.pg).toEqual(sides.sqlite);
    // The book is what the test means it to be: the cases are in it.
    const nonEmpty = Object.entries(sides.sqlite)
      .filter(([, rows]) => rows.length)
      .map(([n]) => n);
    for (const n of [
      'tenants',
      'members',
      'accounts',
      'account_aliases',
      'contacts',
      'touchpoints',
      'touchpoint_participants',
      'complaints',
      'complaint_events',
      'promises',
      'pairings',
      'nudges',
      'churn_signals',
      'audit_log',
    ])
      expect(nonEmpty).toContain(n);
    await withPg(url, async (c) => {
      expect((await c.query(`SELECT note FROM touchpoints WHERE id = 1`)).rows[0].note).toBe(LONG_NOTE);
      expect((await c.query(`SELECT count(*) AS n FROM contacts WHERE name = '周强' AND id > (SELECT id FROM contacts WHERE replaced_by_id IS NOT NULL)`)).rows[0].n).toBe('1');
      expect(Number((await c.query(`SELECT count(*) AS n FROM members WHERE manager_id > id`)).rows[0].n)).toBeGreaterThan(0);
      expect(Number((await c.query(`SELECT count(*) AS n FROM accounts WHERE region IS NULL`)).rows[0].n)).toBeGreaterThan(0);
      expect(Number((await c.query(`SELECT count(*) AS n FROM accounts WHERE next_check_at <> 0`)).rows[0].n)).toBeGreaterThan(0);
    });
  }, 120_000);

  it('leaves each identity sequence past the copied ids, and the triggers working again; one row per INSERT copies the same', async () => {
    await book();
    const url = await freshUrl();
    // One row per batch: a member whose manager comes later, a contact replaced by a later one, are rows of later batches.
    expect((await migrateDb({ from: h.file, to: url, batchRows: 1 })).ok).toBe(true);
    const sides = await bothSides(h.file, url);
    expect(sides.pg).toEqual(sides.sqlite);
    await withPg(url, async (c) => {
      const max = Number((await c.query('SELECT max(id) AS m FROM accounts')).rows[0].m);
      const { rows } = await c.query(`INSERT INTO accounts (tenant_id, name, name_key) VALUES (1, 'New', 'new') RETURNING id`);
      expect(Number(rows[0].id)).toBe(max + 1);
      const touch = Number((await c.query('SELECT max(id) AS m FROM touchpoints')).rows[0].m);
      // A touch logged now marks its account for a check at once, as in SQLite: the triggers are on.
      const logged = await c.query(
        `INSERT INTO touchpoints (tenant_id, account_id, member_id, our_level, kind, occurred_at, source_platform) SELECT 1, id, owner_id, 'sales', 'call', 1, 'shell' FROM accounts WHERE name = 'Acme' RETURNING id`,
      );
      expect(Number(logged.rows[0].id)).toBe(touch + 1);
      expect((await c.query(`SELECT next_check_at FROM accounts WHERE name = 'Acme'`)).rows[0].next_check_at).toBe('0');
    });
  }, 120_000);

  it('copies the benches’ seeded book exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-migrate-'));
    dirs.push(dir);
    const file = join(dir, 'seed.db');
    const db = openDb(file);
    seedBook(db, { accounts: 3000, team: 200, workspace: 'seed' });
    closeDb(db);
    const url = await freshUrl();
    const r = await migrateDb({ from: file, to: url, batchRows: 700 });
    expect(r.ok).toBe(true);
    expect(r.tables.find((t) => t.table === 'accounts')!.postgres).toBe(3000);
    const sides = await bothSides(file, url);
    expect(sides.pg).toEqual(sides.sqlite);
  }, 120_000);

  it('refuses a database that already holds Steward rows, writing nothing', async () => {
    await book();
    const url = await freshUrl();
    expect((await cli('--to', url, '--from', h.file)).code).toBe(0);
    const before = await counts(url);
    await ok('/account add Later tier:key');
    const again = await cli('--to', url, '--from', h.file);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/^steward: .* already holds Steward rows \(tenants, .*\); migrate-db copies into an empty database only\. Nothing was written\.\n$/);
    expect(await counts(url)).toEqual(before);
  }, 120_000);

  it('leaves the target empty when a row fails late in the copy, and a second run then succeeds', async () => {
    await book();
    // The target's migrations applied by hand, and a constraint the book's audit log breaks (a late table).
    const target = await freshUrl();
    await withPg(target, async (c) => {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      const { PG_MIGRATIONS_FOLDER } = await import('../src/io/migrate-db.js');
      await migrate(pgDrizzle(c), { migrationsFolder: PG_MIGRATIONS_FOLDER });
      await c.query(`ALTER TABLE audit_log ADD CONSTRAINT no_audit CHECK (false)`);
    });
    const r = await cli('--to', target, '--from', h.file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^steward: copying audit_log \(rows from rowid 1\): .*no_audit/);
    expect(await counts(target)).toEqual(empty());
    await withPg(target, (c) => c.query(`ALTER TABLE audit_log DROP CONSTRAINT no_audit`));
    expect((await cli('--to', target, '--from', h.file)).code).toBe(0);
    const sides = await bothSides(h.file, target);
    expect(sides.pg).toEqual(sides.sqlite);
  }, 120_000);

  it('leaves the target empty when its connection is lost mid-copy', async () => {
    await book();
    const url = await freshUrl();
    let killed = false;
    const copy = migrateDb({
      from: h.file,
      to: url,
      batchRows: 1,
      onBatch: async (table) => {
        if (table !== 'touchpoints' || killed) return;
        killed = true;
        await withPg(url, (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`));
      },
    });
    await expect(copy).rejects.toThrow();
    expect(killed).toBe(true);
    expect(await counts(url)).toEqual(empty());
  }, 120_000);

  it('rolls back and exits 1 when a table differs after the copy', async () => {
    await book();
    const url = await freshUrl();
    await withPg(url, async (c) => {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      const { PG_MIGRATIONS_FOLDER } = await import('../src/io/migrate-db.js');
      await migrate(pgDrizzle(c), { migrationsFolder: PG_MIGRATIONS_FOLDER });
      // A rule (not a trigger: the copy turns those off) that silently drops one touchpoint.
      await c.query(`CREATE RULE drop_one AS ON INSERT TO touchpoints WHERE NEW.id = 2 DO INSTEAD NOTHING`);
    });
    const r = await cli('--to', url, '--from', h.file);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^touchpoints +(\d+) +(\d+) +DIFFERENT$/m);
    expect(r.out).toMatch(/^accounts +\d+ +\d+ +ok$/m);
    expect(r.err).toMatch(/^steward: touchpoints differ after the copy; it was rolled back, nothing was written to /);
    expect(await counts(url)).toEqual(empty());
  }, 120_000);

  it('copies the book as it was when the copy began while Steward goes on writing to it', async () => {
    await book();
    const url = await freshUrl();
    const before = h.db.$client.prepare('SELECT count(*) FROM touchpoints').pluck().get();
    let wrote = false;
    const r = await migrateDb({
      from: h.file,
      to: url,
      onBatch: async (table) => {
        if (table !== 'tenants' || wrote) return;
        wrote = true;
        await ok('/touch Acme call 写在复制中', 'zhang'); // one command: a touch, its audit row, the account's mark
      },
    });
    expect(wrote).toBe(true);
    expect(r.ok).toBe(true);
    expect(h.db.$client.prepare('SELECT count(*) FROM touchpoints').pluck().get()).toBe(Number(before) + 1);
    expect(r.tables.find((t) => t.table === 'touchpoints')!.postgres).toBe(before);
    await withPg(url, async (c) => expect((await c.query(`SELECT count(*) AS n FROM touchpoints WHERE note = '写在复制中'`)).rows[0].n).toBe('0'));
  }, 120_000);

  it('words its usage and its problems on the command line, and hides the password', async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^steward: migrate-db: --to postgres:\/\/… is required\nusage:\n {2}steward migrate-db --to/);
    const bad = await cli('--to', 'mysql://x');
    expect(bad.err).toContain('--to expects a postgres:// URL, got "mysql://x"');
    const missing = await cli('--to', 'postgres://u:secret@127.0.0.1:1/x', '--from', '/nonexistent/book.db');
    expect(missing).toMatchObject({ code: 2, err: 'steward: no SQLite book at /nonexistent/book.db\n' });
    await book();
    const down = await cli('--to', 'postgres://u:secret@127.0.0.1:1/x', '--from', h.file);
    expect(down.code).toBe(2);
    expect(down.err).toMatch(/^steward: cannot connect to postgres:\/\/u:…@127\.0\.0\.1:1\/x: /);
    expect(down.err).not.toContain('secret');
    const help = await cli('--help');
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toContain('STEWARD_DB by default');
    await expect(migrateDb({ from: '/nonexistent', to: 'postgres://x' })).rejects.toThrow(MigrateError);
  }, 120_000);

  it('reads the book from STEWARD_DB when --from is not given', async () => {
    await book();
    const url = await freshUrl();
    const saved = process.env.STEWARD_DB;
    process.env.STEWARD_DB = h.file;
    try {
      const r = await command(true, ['--to', url]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`from ${h.file} to`);
      // On a terminal, each table's progress on a line of its own, ending with its count.
      const lines = r.err.split('\n').map((l) => l.split('\r').at(-1));
      expect(lines).toContain(`copying touchpoints 2/2`);
      expect(lines).toContain(`copying tenants 1/1`);
    } finally {
      if (saved === undefined) delete process.env.STEWARD_DB;
      else process.env.STEWARD_DB = saved;
    }
  }, 120_000);
});

// End to end: the real `npm start` entry point (tsx src/main.ts) in shell mode,
// with commands piped on stdin, replies read from stdout, and the SQLite file it
// wrote opened afterwards to check what it holds.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { asc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDb, MIGRATIONS_FOLDER, openDb, type Db } from '../db/index.js';
import { accounts, auditLog, churnSignals, complaints, contacts, members, promises, tenants, touchpoints } from '../db/schema.js';
import { complaintSpanEnd } from '../src/domain/ladder.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** Only a guard against a hung child; no test asserts how long anything takes. */
const HANG_GUARD_MS = 90_000;
const SLOW = 120_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment a user would have with no chat credentials: nothing Slack, Lark, Redis or Steward leaks in from ours. */
function shellEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SLACK_|LARK_|STEWARD_)/.test(k) || ['REDIS_URL', 'PORT', 'LOG_LEVEL'].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, STEWARD_SHELL_USER: 'alice', STEWARD_TIMEZONE: 'UTC', STEWARD_LOCALE: 'en', ...extra };
}

/** Runs `tsx src/main.ts [args]` from the repo root, pipes `lines` to stdin, closes it, and waits for the exit. */
function steward(lines: string[] | string, env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['src/main.ts', ...args], { cwd: ROOT, env: shellEnv(env), stdio: ['pipe', 'pipe', 'pipe'], timeout: HANG_GUARD_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {}); // if it died early, the exit code tells
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(typeof lines === 'string' ? lines : `${lines.join('\n')}\n`);
  });
}

/** The first line of every reply: each starts with its tone mark (✔ • ! ✘) at column 0. */
function titles(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^[✔•!✘] /u.test(l));
}

/** Asserts each reply title, in order: a string must match exactly, a RegExp must match. */
function expectTitles(stdout: string, expected: (string | RegExp)[]): void {
  const got = titles(stdout);
  expect(got, stdout).toHaveLength(expected.length);
  expected.forEach((e, i) => {
    if (typeof e === 'string') expect(got[i], `reply ${i + 1}`).toBe(e);
    else expect(got[i], `reply ${i + 1}`).toMatch(e);
  });
}

function expectInOrder(haystack: string, needles: string[]): void {
  let at = 0;
  for (const n of needles) {
    const i = haystack.indexOf(n, at);
    expect(i, `expected ${JSON.stringify(n)} after offset ${at} in:\n${haystack}`).toBeGreaterThanOrEqual(0);
    at = i + n.length;
  }
}

function expectCleanExit(run: Run): void {
  expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
  expect(run.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
}

/** Opens the file the process wrote, runs `fn`, closes it again. */
async function inspect<T>(file: string, fn: (db: Db) => T | Promise<T>): Promise<T> {
  const db = openDb(file);
  try {
    return await fn(db);
  } finally {
    closeDb(db);
  }
}

/** Row count of every table, to prove a run changed nothing. */
function counts(db: Db): Record<string, number> {
  const tables = db.$client.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, (db.$client.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const FIRST_SESSION = [
  '/account add Acme Logistics tier:strategic region:East',
  '/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker',
  '/touch Acme visit to:"Li Wei" on:yesterday Walked the new Kunshan warehouse; they want cold-chain quotes',
  '/complaint Acme severity:high category:damage 3 pallets crushed on the Shanghai-Chengdu lane',
  '/resolve C-1 Claim paid in full; corner boards on that lane from now on',
  '/account add 华东汽配 tier:key region:华东',
  '/touch 华东汽配 call 确认了一季度货量',
  // Errors: an unknown account, an unknown contact (after mentioning a new colleague), a second resolve.
  '/touch Nowhere visit Lunch with the buyer',
  '/touch Acme visit with:@bob to:"Nobody" Lunch with the buyer',
  '/resolve C-1 Paid again',
];

describe('npm start, shell mode, piped stdin', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'steward-e2e-'));
    file = join(dir, 'data', 'steward.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'answers a script of commands in order and stores what they recorded',
    async () => {
      const run = await steward(FIRST_SESSION, { STEWARD_DB: file });
      expectCleanExit(run);
      expectTitles(run.stdout, [
        '✔ Added Acme Logistics (strategic), owned by alice.',
        '✔ Added Li Wei, Logistics Director (decision-maker) at Acme Logistics.',
        /^✔ Logged a visit with Acme Logistics \(Li Wei, decision-maker\), on \w{3} \d{1,2} \w{3} \d{4}\.$/,
        /^✔ C-1 opened for Acme Logistics \(high\)\. Deadline: /,
        /^✔ C-1 resolved, .+ after it was opened\.$/,
        '✔ Added 华东汽配 (key), owned by alice.',
        /^✔ Logged a call with 华东汽配, on /,
        '✘ No account matches "Nowhere". Add it with /account add Nowhere',
        /^✘ Acme Logistics has no contact "Nobody"\./,
        /^✘ C-1 was already resolved on .+ by alice\.$/,
      ]);
      expectInOrder(run.stdout, [
        'Next revisit due', // after the visit: strategic cadence
        '(strategic: every 14 days)',
        '3 pallets crushed on the Shanghai-Chengdu lane',
        'Resolution: Claim paid in full; corner boards on that lane from now on',
        'Add them first: /contact "Acme Logistics" add Nobody level:manager',
      ]);

      await inspect(file, async (db) => {
        expect(await db.select({ name: members.name, role: members.role }).from(members).all()).toEqual([{ name: 'alice', role: 'admin' }]); // @bob was rolled back
        const accs = await db.select().from(accounts).orderBy(asc(accounts.id)).all();
        expect(accs.map((a) => [a.name, a.nameKey, a.tier, a.region])).toEqual([
          ['Acme Logistics', 'acme logistics', 'strategic', 'East'],
          ['华东汽配', '华东汽配', 'key', '华东'],
        ]);
        const [acme, huadong] = accs as [(typeof accs)[0], (typeof accs)[0]];
        const people = await db.select().from(contacts).all();
        expect(people.map((c) => [c.accountId, c.name, c.title, c.level, c.active])).toEqual([[acme.id, 'Li Wei', 'Logistics Director', 'decision-maker', true]]);
        const touches = await db.select().from(touchpoints).orderBy(asc(touchpoints.id)).all();
        expect(touches.map((t) => [t.accountId, t.kind, t.contactId, t.note, t.sourcePlatform])).toEqual([
          [acme.id, 'visit', people[0]!.id, 'Walked the new Kunshan warehouse; they want cold-chain quotes', 'shell'],
          [huadong.id, 'call', null, '确认了一季度货量', 'shell'],
        ]);
        // on:yesterday is a past instant; the call without on: happened "now".
        expect(touches[0]!.occurredAt.getTime()).toBeLessThan(touches[1]!.occurredAt.getTime());
        const cs = await db.select().from(complaints).all();
        expect(cs).toHaveLength(1);
        expect(cs[0]).toMatchObject({
          number: 1,
          accountId: acme.id,
          severity: 'high',
          category: 'damage',
          summary: '3 pallets crushed on the Shanghai-Chengdu lane',
          status: 'resolved',
          resolution: 'Claim paid in full; corner boards on that lane from now on',
        });
        expect(cs[0]!.resolvedAt).toBeInstanceOf(Date);
        // A high complaint is due a day of the workspace's working clock after it opened: 24 hours on the
        // wall clock only when it opened in working hours before another working day (the test runs at any hour).
        const tenant = (await db.select().from(tenants).get())!;
        expect(cs[0]!.deadlineAt).toEqual(complaintSpanEnd(tenant, 'high', cs[0]!.openedAt));
        expect(cs[0]!.deadlineAt.getTime()).toBeGreaterThan(cs[0]!.openedAt.getTime());
        // One audit entry per successful write; the refused commands left nothing behind.
        expect((await db.select({ action: auditLog.action }).from(auditLog).orderBy(asc(auditLog.id)).all()).map((r) => r.action)).toEqual([
          'account.add',
          'contact.add',
          'touch.log',
          'complaint.open',
          'complaint.resolve',
          'account.add',
          'touch.log',
        ]);
      });
    },
    SLOW,
  );

  it(
    'a second run on the same STEWARD_DB sees the first run’s data',
    async () => {
      expectCleanExit(await steward(FIRST_SESSION, { STEWARD_DB: file }));
      const second = await steward(
        ['/account show Acme', '/complaint list all', '/complaint 华东汽配 severity:medium category:delay Two containers held at Ningbo port for four days', '/account 华东'],
        { STEWARD_DB: file },
      );
      expectCleanExit(second);
      expectTitles(second.stdout, ['• Acme Logistics', '• Complaints: 1', /^✔ C-2 opened for 华东汽配 \(medium\)\. Deadline: /, '• 华东汽配']);
      expectInOrder(second.stdout, [
        '• Acme Logistics',
        'Last touch    visit by alice with Li Wei, ',
        'decision-maker: Li Wei (Logistics Director)',
        'Open complaints (0)',
        '• Complaints: 1',
        '  • C-1 · Acme Logistics · high · 3 pallets crushed on the Shanghai-Chengdu lane · alice · resolved',
        '✔ C-2 opened',
        '• 华东汽配',
        'Last touch    call by alice, ',
        'Open complaints (1)',
        '  • C-2 medium: Two containers held at Ningbo port for four days',
      ]);
      await inspect(file, async (db) => {
        expect(await db.select({ n: complaints.number, status: complaints.status }).from(complaints).orderBy(asc(complaints.number)).all()).toEqual([
          { n: 1, status: 'resolved' },
          { n: 2, status: 'open' },
        ]);
        expect(await db.select().from(members).all()).toHaveLength(1); // still the one alice, still admin
        expect(await db.select().from(touchpoints).all()).toHaveLength(2);
      });
    },
    SLOW,
  );

  it(
    'survives a 10 000-character note and lines of nothing but spaces',
    async () => {
      const words = Array.from({ length: 2000 }, (_, i) => `w${i % 10}xyz`)
        .join(' ')
        .slice(0, 10_000);
      const lines = [
        '/account add Acme Logistics',
        `/touch Acme visit ${'x'.repeat(10_000)}`,
        '          ',
        `/touch Acme visit ${words}`,
        ' '.repeat(10_000),
        `/touch Acme call ${'长'.repeat(10_000)}`,
        '\t \t',
        '/touch Acme call Confirmed Q1 volumes',
      ];
      expect(lines[1]!.length).toBeGreaterThan(10_000);
      const run = await steward(lines, { STEWARD_DB: file });
      expectCleanExit(run);
      // Four commands, four replies: blank lines are skipped, not answered.
      expectTitles(run.stdout, [
        '✔ Added Acme Logistics (standard), owned by alice.',
        '✘ That is 10000 characters; the limit is 4000. Shorten it or split it into several records.',
        `✘ That is ${words.length} characters; the limit is 4000. Shorten it or split it into several records.`,
        '✘ That is 10000 characters; the limit is 4000. Shorten it or split it into several records.',
        /^✔ Logged a call with Acme Logistics, on /,
      ]);
      expect(run.stdout).toContain('/touch <account> <kind> [to:<contact>] [with:@colleague] [on:<date>] <note>');
      await inspect(file, async (db) => {
        expect(await db.select({ note: touchpoints.note }).from(touchpoints).all()).toEqual([{ note: 'Confirmed Q1 volumes' }]);
      });
    },
    SLOW,
  );

  it(
    'exit, quit and 退出 leave the shell as .exit does; nothing after them runs',
    async () => {
      for (const word of ['exit', 'QUIT', '退出', '.exit']) {
        const run = await steward(['/account add Before Logistics', word, '/account add After Logistics'], { STEWARD_DB: join(dir, `${word}.db`) });
        expectCleanExit(run);
        expectTitles(run.stdout, ['✔ Added Before Logistics (standard), owned by alice.']);
      }
    },
    SLOW,
  );

  // Aliases are matched through account_aliases keys normalised like names (NFKC, lower case),
  // so non-ASCII capitals and full-width letters are found as typed, and clash with names.
  it(
    'finds an account by an alias typed exactly as it was given (non-ASCII capitals, full-width letters)',
    async () => {
      const run = await steward(['/account add Munich Freight aliases:Über,ＭＦＧ', '/account Über', '/account ＭＦＧ', '/account add über'], { STEWARD_DB: file });
      expectCleanExit(run);
      expectTitles(run.stdout, [
        '✔ Added Munich Freight (standard), owned by alice.',
        '• Munich Freight',
        '• Munich Freight',
        '✘ "über" is already used by the account Munich Freight.',
      ]);
    },
    SLOW,
  );

  // Migration 0001 moved alias matching to the account_aliases table; it backfills the
  // aliases of a book written before it, so they stay findable.
  it(
    'keeps aliases recorded before an upgrade findable after it',
    async () => {
      // A book written by the first release: only migration 0000 applied, aliases as that code stored them.
      const old = join(dir, 'migrations-0000');
      mkdirSync(join(old, 'meta'), { recursive: true });
      copyFileSync(join(MIGRATIONS_FOLDER, '0000_init.sql'), join(old, '0000_init.sql'));
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
      writeFileSync(join(old, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.filter((e) => e.tag === '0000_init') }));
      mkdirSync(join(dir, 'data'), { recursive: true });
      const client = new Database(file);
      migrate(drizzle(client), { migrationsFolder: old });
      client.exec(`
        insert into tenants (platform, workspace_id, locale, timezone) values ('shell', 'local', 'en', 'UTC');
        insert into members (tenant_id, platform_user_id, name, role) values (1, 'alice', 'alice', 'admin');
        insert into accounts (tenant_id, name, name_key, aliases, tier, owner_id) values (1, 'Acme Electronics', 'acme electronics', '["ACME","艾克美"]', 'strategic', 1);
      `);
      client.close();

      const run = await steward(['/account ACME', '/account 艾克美'], { STEWARD_DB: file });
      expectCleanExit(run);
      expectTitles(run.stdout, ['• Acme Electronics', '• Acme Electronics']);
    },
    SLOW,
  );
});

describe('npm start -- --demo', () => {
  let dir: string;
  let demoFile: string;
  let mainDir: string;
  let mainFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'steward-e2e-demo-'));
    demoFile = join(dir, 'demo', 'demo.db');
    mainDir = join(dir, 'main');
    mainFile = join(mainDir, 'steward.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const env = () => ({ STEWARD_DEMO_DB: demoFile, STEWARD_DB: mainFile });

  it(
    'loads the sample book once, into STEWARD_DEMO_DB only',
    async () => {
      const first = await steward(['/account list', '/complaint list'], env(), ['--demo']);
      expectCleanExit(first);
      expect(first.stderr).toContain(`loaded the demo book into ${demoFile}`);
      expectTitles(first.stdout, ['• Accounts (9)', '• Complaints (open): 1']);
      expectInOrder(first.stdout, [
        'Acme Electronics · strategic · zhang',
        'Bluewave Pharma · key · wang',
        'Sunrise Textiles · standard · zhang',
        'C-1 · Huadong Auto Parts · high · 3 pallets of gearboxes crushed',
      ]);
      expect(existsSync(mainFile)).toBe(false);
      expect(existsSync(mainDir)).toBe(false);

      const loaded = await inspect(demoFile, async (db) => {
        const tiers = (await db.select({ tier: accounts.tier }).from(accounts).all()).map((r) => r.tier);
        expect(tiers.filter((t) => t === 'strategic')).toHaveLength(3);
        expect(tiers.filter((t) => t === 'key')).toHaveLength(3);
        expect(tiers.filter((t) => t === 'standard')).toHaveLength(3);
        const acme = (await db.select().from(accounts).where(eq(accounts.name, 'Acme Electronics')).get())!;
        expect(acme.aliases).toEqual(['ACME', '艾克美']);
        expect((await db.select({ name: contacts.name }).from(contacts).where(eq(contacts.accountId, acme.id)).all()).map((c) => c.name).sort()).toEqual([
          'Li Wei',
          'Ma Jing',
          'Sun Hao',
          'Zhou Lan',
        ]);
        expect(await db.select().from(contacts).all()).toHaveLength(9);
        expect(await db.select().from(touchpoints).all()).toHaveLength(8);
        const open = await db.select().from(complaints).where(eq(complaints.status, 'open')).all();
        expect(open.map((c) => [c.number, c.severity, c.category])).toEqual([[1, 'high', 'damage']]);
        expect(await db.select().from(promises).all()).toHaveLength(2);
        // Huadong's volume drop, price pressure and new decision-maker put it at risk; Jade has a competitor about.
        expect((await db.select({ kind: churnSignals.kind }).from(churnSignals).all()).map((s) => s.kind)).toEqual([
          'price-pressure',
          'volume-drop',
          'decision-maker-change',
          'competitor',
        ]);
        return counts(db);
      });

      const second = await steward(['/account list'], env(), ['--demo']);
      expectCleanExit(second);
      expect(second.stderr + second.stdout).not.toMatch(/load/i);
      expectTitles(second.stdout, ['• Accounts (9)']);
      expect(await inspect(demoFile, counts)).toEqual(loaded);
      expect(existsSync(mainDir)).toBe(false);
    },
    SLOW,
  );

  it(
    'leaves an existing STEWARD_DB exactly as it was',
    async () => {
      expectCleanExit(await steward(['/account add Mine Logistics tier:key'], env()));
      const before = { hash: sha256(mainFile), mtime: statSync(mainFile).mtimeMs, files: readdirSync(mainDir).sort() };

      expectCleanExit(await steward(['/account list'], env(), ['--demo']));

      expect({ hash: sha256(mainFile), mtime: statSync(mainFile).mtimeMs, files: readdirSync(mainDir).sort() }).toEqual(before);
      expect(await inspect(mainFile, (db) => db.select({ name: accounts.name }).from(accounts).all())).toEqual([{ name: 'Mine Logistics' }]);
      expect(await inspect(demoFile, (db) => db.select().from(accounts).where(eq(accounts.name, 'Mine Logistics')).all())).toEqual([]);
    },
    SLOW,
  );

  // BUG (src/demo.ts, loadDemo): the sample script makes its persona `chen` an executive with
  // `/steward role @chen exec`, typed by the shell user. When the shell user is called chen
  // (`--user chen`, STEWARD_SHELL_USER=chen, or an OS login of that name, a common surname),
  // that user is the tenant's first and only admin, the role change is refused ("chen is the
  // last admin"), and main.ts dies with exit 1 and a stack trace; every later --demo run fails
  // the same way. Expected: the demo loads whoever runs it. Fix: run the script's setup as a
  // dedicated persona that cannot collide (or rename personas that equal `me`), and let
  // main.ts report a demo failure in one line instead of a stack.
  it(
    'loads the sample book whoever runs it, a shell user called chen included',
    async () => {
      const run = await steward(['/account list'], env(), ['--demo', '--user', 'chen']);
      expectCleanExit(run);
      expect(run.stderr).toContain(`loaded the demo book into ${demoFile}`);
      expectTitles(run.stdout, ['• Accounts (9)']);
    },
    SLOW,
  );
});

// Steward on PostgreSQL end to end (issue #19, db/POSTGRES.md steps 3-4): the
// real engine and handlers on a database db/index.ts's openDatabase({ url })
// opened and migrated, against the same script on a SQLite file, with the same
// answers; the sweep deciding nudges and the outbox delivering them; a CSV
// import; commands that race for the next number; two outbox claimers on one
// nudge. The server is test/pg.ts's own (or TEST_DATABASE_URL's), never the
// machine's shared one.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, engineOf, openDatabase, sqliteClient, transact } from '../db/index.js';
import { accounts, complaints, members, nudges, tenants, touchpoints } from '../db/schema.js';
import type { Destination, PostedRef } from '../src/chat/port.js';
import type { Reply } from '../src/engine/reply.js';
import { SHELL_WORKSPACE, shellUser } from '../src/chat/shell/shell.js';
import { importCsv, main } from '../src/io/cli.js';
import { digestRun } from '../src/scheduler/digest.js';
import { deliverDue, deliverNudge } from '../src/scheduler/outbox.js';
import { runSweep } from '../src/scheduler/sweep.js';
import type { Incoming } from '../src/engine/engine.js';
import { renderText } from '../src/engine/render-text.js';
import { harnessOn, type Harness } from './harness.js';
import { DAY, kit, nudgeText, RecordingPort, T0 } from './kit.js';
import { pgUrl, startTestPg, type TestPg } from './pg.js';
import { RICH_START, richBook, views } from './rich-book.js';

const SLOW = 120_000;
let server: TestPg;
beforeAll(async () => {
  server = await startTestPg();
}, SLOW);
afterAll(async () => {
  await server?.stop();
});

type H = Harness & { closeAsync(): Promise<void> };
const onPg = async (): Promise<H> => harnessOn({ url: pgUrl(await server.database()) }, { now: T0 });
const onPgAt = async (url: string): Promise<H> => harnessOn({ url }, { now: T0 });
const onSqlite = async (): Promise<H> => harnessOn({ sqlite: true }, { now: T0 });

const ACCOUNTS_CSV = `name,tier,owner,region,industry,revenue,spend,cadence_days,aliases
Cobalt Freight,key,Alice Chen,North,Freight,1.2m,4m,21,"Cobalt, CBF"
Delta Foods,standard,Bob,South,Food,350000,,,
`;
const TOUCHES_CSV = [
  'account,member,kind,date,contact,note',
  'Cobalt,Alice Chen,visit,2025-12-20,,quarterly visit',
  'Delta Foods,New Rep,call,2025-12-22T10:00:00Z,,',
  'Nowhere,Bob,call,2025-12-22,,',
].join('\n');

const SCRIPT: [string, string?][] = [
  ['/account add Acme Logistics tier:strategic region:East'],
  ['/account add Beta Foods tier:key region:North'],
  ['/contact Acme add "Li Wei" title:"Logistics Director" level:decision-maker'],
  ['/touch Acme visit to:"Li Wei" on:yesterday Walked the new warehouse; they want cold-chain quotes'],
  ['/complaint Acme severity:high category:damage 3 pallets crushed on the Shanghai-Chengdu lane'],
  ['/resolve C-1 Claim paid in full'],
  ['/complaint Beta severity:medium category:service The driver came late twice'],
  ['/promise Acme due:2026-01-07 Send the cold-chain quote'],
  ['/promise Beta due:2026-01-09 Call back with the new rates'],
  ['/promise kept P-2 Called'],
  ['/touch Nowhere visit Lunch with the buyer'],
  ['/account Acme'],
  ['/account Cobalt'],
  ['/digest'],
  // The rest of the command set, for the SQL each runs (teams, roles, pairs, reviews, signals, churn, lists).
  ['/steward role @li manager'],
  ['/steward team @zhang manager:@li'],
  ['/steward whoami', 'zhang'],
  ['/account add Delta Trading tier:key', 'zhang'],
  ['/account add Lumen Retail tier:standard', 'zhang'],
  ['/touch "Delta Trading" call Quarterly check-in', 'zhang'],
  ['/steward role @chen exec'],
  ['/pair Acme @chen every:14d'],
  ['/signal Acme price-pressure Asked for 8% off at renewal'],
  ['/signal list'],
  ['/snooze Beta 1w'],
  ['/promise "Delta Trading" due:2026-01-16 Send the audit', 'zhang'],
  ['/promise move P-3 due:2026-01-20 Customer asked for the audit first', 'zhang'],
  ['/complaint "Delta Trading" severity:low category:billing Invoice twice', 'zhang'],
  ['/complaint list all'],
  ['/account list'],
  ['/account list mine', 'zhang'],
  ['/account show Acme'],
  ['/handover @zhang @li "Delta Trading"'],
  ['/lost Lumen reason:competitor They moved to JD', 'zhang'],
  ['/churn'],
  ['/risk', 'li'],
  ['/coverage Acme'],
  ['/leave @zhang'],
  ['/unpair Acme'],
  ['/steward'],
  ['/digest', 'li'],
];

/** The script's answers, the CSV imports' results, a sweep days later and what the outbox posts: all a book shows. */
async function story(h: H) {
  const answers: string[] = [];
  const run = async (text: string, user?: string) => answers.push(`${text}\n${(await h.run(text, user)).text}`);
  for (const [text, user] of SCRIPT.slice(0, 11)) await run(text, user);
  const imports = [
    await importCsv(h.db, 'accounts', ACCOUNTS_CSV, { actor: 'alice', now: h.now, timezone: 'Asia/Shanghai' }),
    await importCsv(h.db, 'touchpoints', TOUCHES_CSV, { actor: 'alice', now: h.now, timezone: 'Asia/Shanghai' }),
  ];
  for (const [text, user] of SCRIPT.slice(11)) await run(text, user);
  const { tenant, allNudges } = kit(() => h);
  // The scheduler's jobs as it runs them: the weekly digest (batched, composed in read transactions), then the sweep.
  h.now = new Date(T0.getTime() + 7 * DAY);
  const digests = await digestRun(h.db, await tenant(), h.now);
  h.now = new Date(T0.getTime() + 10 * DAY);
  const swept = await runSweep(h.db, await tenant(), h.now);
  const port = new RecordingPort();
  await deliverDue(h.db, port, h.now);
  const nudgeRows = (await allNudges()).map((n) => ({ kind: n.kind, status: n.status, text: nudgeText(n) }));
  const complaintNumbers = (await h.db.select({ n: complaints.number }).from(complaints).orderBy(asc(complaints.id)).all()).map((c) => c.n);
  const touches = (await h.db.select().from(touchpoints).orderBy(asc(touchpoints.id)).all()).map((t) => [t.kind, t.occurredAt.toISOString(), t.note]);
  return { answers, imports, digests: digests.ids.length, counts: swept.counts, posts: port.posts.map((p) => [p.to, p.text]), nudgeRows, complaintNumbers, touches };
}

describe('Steward on PostgreSQL (DATABASE_URL)', () => {
  it(
    'runs /account, /contact, /touch, /complaint and /resolve, /promise, /digest, CSV imports, the digest job, the sweep and the outbox with the same answers as on SQLite',
    async () => {
      const lite = await onSqlite();
      const pg = await onPg();
      try {
        expect(engineOf(pg.db)).toBe('postgres');
        expect(engineOf(lite.db)).toBe('sqlite');
        const expected = await story(lite);
        const got = await story(pg);
        // The script does something: replies succeed, the sweep decides nudges, the outbox posts them.
        expect(expected.answers.filter((a) => a.includes('✘')).length).toBeLessThan(3);
        expect(expected.posts.length).toBeGreaterThan(0);
        expect(expected.digests).toBeGreaterThan(0);
        expect(expected.imports[0]).toMatchObject({ created: 2 });
        for (const [i, a] of expected.answers.entries()) expect(got.answers[i], a.split('\n')[0]).toBe(a);
        expect(got).toEqual(expected);
      } finally {
        await lite.closeAsync();
        await pg.closeAsync();
      }
    },
    SLOW,
  );

  it(
    'two commands that take the next complaint number at once get distinct numbers (SERIALIZABLE, retried)',
    async () => {
      const h = await onPg();
      try {
        await h.run('/account add Acme Logistics tier:strategic');
        for (const user of ['bob', 'carol', 'dan']) await h.run(`/touch Acme call hello from ${user}`, user);
        for (let round = 0; round < 3; round++) {
          const outs = await Promise.all(['alice', 'bob', 'carol', 'dan'].map((u) => h.run(`/complaint Acme severity:low category:service round ${round} from ${u}`, u)));
          for (const o of outs) expect(o.ok, o.text).toBe(true);
        }
        const numbers = (await h.db.select({ n: complaints.number }).from(complaints).all()).map((c) => c.n).sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      } finally {
        await h.closeAsync();
      }
    },
    SLOW,
  );

  it(
    'two instances started together migrate once (advisory lock); two outbox claimers on one nudge, each on its own instance: exactly one posts',
    async () => {
      const url = pgUrl(await server.database());
      // Two instances starting together on an empty database: one migrates, the other waits and finds nothing to do.
      const [a, b] = await Promise.all([openDatabase({ url }), openDatabase({ url })]);
      const h = await harnessOn({ url }, { now: T0 });
      try {
        await h.run('/account add Acme Logistics tier:strategic');
        const tenant = (await h.db.select().from(tenants).get())!;
        const alice = (await h.db.select().from(members).where(eq(members.platformUserId, 'alice')).get())!;
        /** A platform that takes a while to answer, so the two deliveries overlap. */
        class SlowPort extends RecordingPort {
          override async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
            await new Promise((r) => setTimeout(r, 15));
            return super.post(to, reply, thread);
          }
        }
        const ports = [new SlowPort(), new SlowPort()];
        const rounds = 12;
        for (let i = 0; i < rounds; i++) {
          const [n] = await h.db
            .insert(nudges)
            .values({
              tenantId: tenant.id,
              dedupeKey: `digest:${alice.id}:${i}`,
              kind: 'digest',
              subjectType: 'member',
              subjectId: alice.id,
              recipientId: alice.id,
              period: `w${i}`,
              payload: { tone: 'info', title: `digest ${i}`, sections: [], buttons: [] },
              notBefore: T0,
              status: 'pending',
            })
            .returning({ id: nudges.id });
          const results = await Promise.allSettled([deliverNudge(a, ports[0]!, n!.id, T0), deliverNudge(b, ports[1]!, n!.id, T0)]);
          expect(
            results.filter((r) => r.status === 'fulfilled' && r.value === 'sent'),
            results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason))).join('; '),
          ).toHaveLength(1);
        }
        const posts = ports.flatMap((p) => p.posts.map((x) => x.text));
        expect(posts).toHaveLength(rounds);
        expect(new Set(posts).size).toBe(rounds);
        expect(await h.db.select({ n: count() }).from(nudges).where(eq(nudges.status, 'sent')).get()).toEqual({ n: rounds });
      } finally {
        await h.closeAsync();
        await closeDatabase(a);
        await closeDatabase(b);
      }
    },
    SLOW,
  );

  it(
    '`npm start` in shell mode with DATABASE_URL answers commands from stdin and keeps the book in PostgreSQL',
    async () => {
      const url = pgUrl(await server.database());
      const root = join(import.meta.dirname, '..');
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!/^(SLACK_|LARK_|STEWARD_|DATABASE_URL$|REDIS_URL$|PORT$|LOG_LEVEL$)/.test(k)) env[k] = v;
      const dir = join(root, 'node_modules', '.cache', `steward-pg-${process.pid}`);
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
          cwd: root,
          // STEWARD_DB only gives the shell's folder (its history, its redis-server): the book is DATABASE_URL's.
          env: { ...env, DATABASE_URL: url, STEWARD_DB: join(dir, 'unused.db'), STEWARD_SHELL_USER: 'alice', STEWARD_TIMEZONE: 'UTC', STEWARD_LOCALE: 'en' },
          stdio: ['pipe', 'pipe', 'pipe'],
          timeout: 90_000,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end('/account add Acme Logistics tier:strategic\n/complaint Acme severity:high category:damage crushed pallets\n');
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('✔ Added Acme Logistics (strategic), owned by alice.');
      expect(run.stdout).toContain('✔ C-1 opened for Acme Logistics (high).');
      const db = await openDatabase({ url });
      try {
        expect((await db.select({ name: accounts.name }).from(accounts).all()).map((r) => r.name)).toEqual(['Acme Logistics']);
        expect(await db.select({ n: complaints.number }).from(complaints).all()).toEqual([{ n: 1 }]);
      } finally {
        await closeDatabase(db);
      }
    },
    SLOW,
  );

  it(
    'transact on PostgreSQL: a nested transaction is a savepoint (its failure undoes only itself); deferred only reads; no SQLite client',
    async () => {
      const db = await openDatabase({ url: pgUrl(await server.database()) });
      try {
        expect(sqliteClient(db)).toBeUndefined();
        const names = async () => (await db.select({ name: tenants.name }).from(tenants).orderBy(asc(tenants.id)).all()).map((r) => r.name);
        const tenant = (name: string) => ({ platform: 'shell' as const, workspaceId: name, name, locale: 'en' as const, timezone: 'UTC' });
        await transact(db, async (tx) => {
          await tx.insert(tenants).values(tenant('outer')).run();
          await expect(
            transact(tx, async (inner) => {
              await inner.insert(tenants).values(tenant('inner')).run();
              await inner.insert(tenants).values(tenant('outer')).run(); // the unique workspace: refused
            }),
          ).rejects.toThrow();
          // The failed statement left the transaction usable: the savepoint was rolled back to.
          await transact(tx, (inner) => inner.insert(tenants).values(tenant('after')).run());
        });
        expect(await names()).toEqual(['outer', 'after']);
        await expect(transact(db, (tx) => tx.insert(tenants).values(tenant('read only')).run(), { behavior: 'deferred' })).rejects.toMatchObject({ cause: { code: '25006' } }); // read_only_sql_transaction
        expect(await transact(db, async () => names(), { behavior: 'deferred' })).toEqual(['outer', 'after']);
      } finally {
        await closeDatabase(db);
      }
    },
    SLOW,
  );

  it(
    'the CLI on DATABASE_URL: import a CSV, export --all a book, import --all it into an empty database and export the same files',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'steward-pg-cli-'));
      const [first, second] = [pgUrl(await server.database()), pgUrl(await server.database())];
      const sink = () => {
        const chunks: string[] = [];
        return Object.assign({ write: (c: string) => (chunks.push(c), true) }, { chunks }) as unknown as NodeJS.WriteStream & { chunks: string[] };
      };
      const cli = async (url: string, ...argv: string[]) => {
        process.env.DATABASE_URL = url;
        try {
          const io = { stdout: sink(), stderr: sink() };
          const code = await main(argv, io);
          return { code, out: io.stdout.chunks.join(''), err: io.stderr.chunks.join('') };
        } finally {
          delete process.env.DATABASE_URL;
        }
      };
      const files = (d: string) => Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f), 'utf8')]));
      try {
        // A book with complaints, promises, contacts and an audit trail, written by commands.
        const h = await harnessOn({ url: first }, { now: T0 });
        for (const [text, user] of SCRIPT) await h.run(text, user);
        await h.closeAsync();
        writeFileSync(join(dir, 'accounts.csv'), ACCOUNTS_CSV);
        writeFileSync(join(dir, 'touchpoints.csv'), TOUCHES_CSV.split('\n').slice(0, 3).join('\n'));
        expect(await cli(first, 'import', join(dir, 'accounts.csv'), '--as', 'Alice Chen')).toMatchObject({
          code: 0,
          out: 'accounts: 2 rows, 2 created, 0 updated, 0 unchanged, 0 rejected\n',
        });
        expect(await cli(first, 'import', join(dir, 'touchpoints.csv'), '--as', 'Alice Chen')).toMatchObject({
          code: 0,
          out: 'touchpoints: 2 rows, 2 created, 0 updated, 0 unchanged, 0 rejected\n',
        });
        const exported = await cli(first, 'export', 'accounts');
        expect(exported.code, exported.err).toBe(0);
        expect(exported.out).toMatch(/Cobalt Freight/);
        const [a, b] = [join(dir, 'a'), join(dir, 'b')];
        expect(await cli(first, 'export', '--all', a)).toMatchObject({ code: 0 });
        const imported = await cli(second, 'import', '--all', a);
        expect(imported.code, imported.err).toBe(0);
        expect(await cli(second, 'export', '--all', b)).toMatchObject({ code: 0 });
        expect(files(b)).toEqual(files(a));
        expect(Object.keys(files(a)).length).toBeGreaterThan(2);
        expect(files(a)['complaints.csv']).toMatch(/pallets crushed/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SLOW,
  );

  it(
    'a group of commands on PostgreSQL: each in its savepoint (a refusal and a failure undo only their own), signed requests kept, an event run once',
    async () => {
      const url = pgUrl(await server.database());
      const h = await onPgAt(url);
      const admin = await openDatabase({ url });
      try {
        await h.run('/account add Acme tier:strategic');
        // A fault no handler expects, as PostgreSQL raises it.
        await admin.run(
          sql.raw("create function boom() returns trigger language plpgsql as $$ begin if new.note = 'Explode' then raise exception 'disk on fire'; end if; return new; end $$"),
        );
        await admin.run(sql.raw('create trigger boom before insert on touchpoints for each row execute function boom()'));
        const as = (text: string, user = 'alice', more: Partial<Incoming> = {}) => ({
          incoming: { platform: 'shell' as const, workspaceId: SHELL_WORKSPACE, user: shellUser(user), text, ...more },
          mentions: {},
        });
        const now = new Date();
        const req = (key: string) => ({ key, expiresAt: new Date(now.getTime() + 300_000), now });
        const { outs, firsts } = await h.engine.handleGroup(
          [as('/touch Acme visit First'), as('/touch Nowhere visit Refused'), as('/touch Acme visit Explode'), as('/touch Acme call Fourth', 'bob')],
          [req('slack:a'), req('slack:b'), req('slack:a')],
        );
        expect(outs.map((o) => o.ok)).toEqual([true, false, false, true]);
        expect(renderText(outs[2]!.reply)).toContain('nothing was saved');
        expect(firsts).toEqual([true, true, false]);
        expect(await h.engine.firstRequest('slack:b', new Date(now.getTime() + 300_000), now)).toBe(false);
        const notes = async () => (await h.db.select({ note: touchpoints.note }).from(touchpoints).orderBy(asc(touchpoints.id)).all()).map((r) => r.note);
        expect(await notes()).toEqual(['First', 'Fourth']);
        // An event delivered twice (Slack retries): run once, the second seen as a duplicate.
        const event = as('/touch Acme call From an event', 'alice', { dedupeKey: 'Ev1' });
        expect((await h.engine.handle(event.incoming)).ok).toBe(true);
        expect((await h.engine.handle(event.incoming)).duplicate).toBe(true);
        expect(await notes()).toEqual(['First', 'Fourth', 'From an event']);
      } finally {
        await h.closeAsync();
        await closeDatabase(admin);
      }
    },
    SLOW,
  );

  it(
    'a group of commands racing a command for the next complaint number: a serialization failure inside the group retries the whole group',
    async () => {
      const h = await onPg();
      try {
        await h.run('/account add Acme tier:strategic');
        for (const user of ['bob', 'carol']) await h.run(`/touch Acme call hello from ${user}`, user);
        const as = (text: string, user: string) => ({ incoming: { platform: 'shell' as const, workspaceId: SHELL_WORKSPACE, user: shellUser(user), text }, mentions: {} });
        for (let round = 0; round < 6; round++) {
          const [group, alone] = await Promise.all([
            h.engine.handleGroup(
              [as(`/complaint Acme severity:low category:service g1 ${round}`, 'bob'), as(`/complaint Acme severity:low category:service g2 ${round}`, 'carol')],
              [],
            ),
            h.run(`/complaint Acme severity:low category:service alone ${round}`, 'alice'),
          ]);
          expect(
            group.outs.map((o) => o.ok),
            group.outs.map((o) => renderText(o.reply)).join('\n'),
          ).toEqual([true, true]);
          expect(alone.ok, alone.text).toBe(true);
        }
        const numbers = (await h.db.select({ n: complaints.number }).from(complaints).all()).map((c) => c.n).sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
      } finally {
        await h.closeAsync();
      }
    },
    SLOW,
  );

  it(
    'ten months of work (test/rich-book.ts: teams, reviews, escalations, handover, lost and won back, a reopened complaint) reads the same on PostgreSQL in every view',
    async () => {
      const lite = await harnessOn({ sqlite: true }, { now: RICH_START });
      const pg = await harnessOn({ url: pgUrl(await server.database()) }, { now: RICH_START });
      try {
        await richBook(lite);
        await richBook(pg);
        const expected = await views(lite);
        const got = await views(pg);
        // An async callback mapped without its await reads as a promise on both engines alike.
        expect(expected.join('\n')).not.toContain('[object Promise]');
        for (const [i, v] of expected.entries()) expect(got[i], v.split('\n')[0]).toBe(v);
      } finally {
        await lite.closeAsync();
        await pg.closeAsync();
      }
    },
    SLOW,
  );
});

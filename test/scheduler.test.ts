// The clock on a real Redis: our own redis-server (or TEST_REDIS_URL), a fresh
// bullmq prefix per test, a real SQLite file, a recording chat port, and child
// processes killed mid-delivery to count what users would see.
// No test asserts how long anything takes; waits are bounded only to stop a hang.
// Every test has its own database, prefix, clock and processes, so they run
// concurrently: the crash test spends most of its time waiting on bullmq (below).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, type ConnectionOptions } from 'bullmq';
import { eq, inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { afterAll, beforeAll, it as base, describe, expect } from 'vitest';
import { accounts, complaints, members, nudges, tenants } from '../db/schema.js';
import { DeliveryError, type ChatPort, type Destination, type PostedRef } from '../src/chat/port.js';
import type { Reply } from '../src/engine/reply.js';
import { renderText } from '../src/engine/render-text.js';
import { deliverDue, releaseStale } from '../src/scheduler/outbox.js';
import { fromUrl, hasRedisServer, startOwnRedis } from '../src/scheduler/redis.js';
import { isoWeek } from '../src/domain/hours.js';
import { Scheduler, SWEEP_EVERY_MS, type SchedulerOptions } from '../src/scheduler/scheduler.js';
import { sweepTenant } from '../src/scheduler/sweep.js';
import { postKey } from './fixtures/post-key.js';
import { harness, TEST_NOW, type Harness } from './harness.js';
import { DAY, HOUR } from './kit.js';
import { groupAlive } from './processes.js';
import { freshPrefix, startTestRedis, type TestRedis } from './redis.js';
import { transact } from '../db/index.js';
import { mapSeq } from './async-array.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PROC = join(ROOT, 'test', 'fixtures', 'scheduler-proc.ts');
/** Bounds on waits, only so a hang fails instead of blocking; generous on purpose. */
const WAIT_MS = 25_000;
/**
 * A killed worker's active delivery jobs come back only through bullmq's stalled
 * check (lock 30 s, check every 30 s, the dead process's last check also counts):
 * about a minute after the restart. The bound is well above that.
 */
const STALL_WAIT_MS = 150_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `f` gives a truthy value; the bound only stops a hang. */
async function until<T>(what: string, f: () => T | Promise<T>, ms = WAIT_MS): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

// ---------------------------------------------------------------------------
// A chat port that records what it posts and can be told to fail.

interface Post {
  to: Destination;
  reply: Reply;
  thread?: PostedRef;
  key: string;
}

class RecordingPort implements ChatPort {
  readonly posts: Post[] = [];
  calls = 0;
  private readonly plan: DeliveryError[] = [];
  /** Called on every post attempt before it succeeds or fails (to look at the queue mid-delivery). */
  onCall?: (n: number) => Promise<void>;

  /** The next posts throw these, in order. */
  failNext(...errors: DeliveryError[]): this {
    this.plan.push(...errors);
    return this;
  }

  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    const n = ++this.calls;
    await this.onCall?.(n);
    const e = this.plan.shift();
    if (e) throw e;
    this.posts.push({ to, reply, thread, key: postKey(to, reply) });
    return { channel: 'channel' in to ? to.channel : `D-${to.dm.platformUserId}`, ts: thread?.ts ?? `1700000000.${String(this.posts.length).padStart(6, '0')}` };
  }

  async update(): Promise<void> {}
}

/** A port whose posts wait at a gate until the test opens it: a post caught in flight. */
class GatedPort extends RecordingPort {
  waiting = 0;
  private release!: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));
  open(): void {
    this.release();
  }
  override async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    this.waiting++;
    await this.gate;
    return super.post(to, reply, thread);
  }
}

// ---------------------------------------------------------------------------
// One Redis for the file; per test a database, a prefix, a clock and what to clean up.

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});

/** A Scheduler process started by a test. */
interface Proc {
  /** SIGKILL to tsx and the script it runs alike; resolves once neither is left. */
  crash(): Promise<void>;
  /** SIGTERM through tsx, as Ctrl-C or a service manager would; resolves once both are gone. */
  stop(): Promise<void>;
}

class Env {
  readonly h: Harness = harness();
  readonly prefix = freshPrefix();
  /** The schedulers' clock: TEST_NOW (Monday 10:00 in Shanghai, working hours) moving on in real time, so bullmq's real delays and the clock agree. */
  readonly offset = TEST_NOW.getTime() - Date.now();
  readonly clock = () => new Date(Date.now() + this.offset);
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private tmp?: string;

  get db() {
    return this.h.db;
  }

  get dir(): string {
    return (this.tmp ??= mkdtempSync(join(tmpdir(), 'steward-sched-proc-')));
  }

  async dispose(): Promise<void> {
    for (const f of this.cleanups.splice(0).reverse()) await f();
    await redis.lose(this.prefix); // leave nothing behind, least of all on a shared TEST_REDIS_URL
    this.h.close();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }

  scheduler(port: ChatPort, extra: Partial<SchedulerOptions> = {}): Scheduler {
    const s = new Scheduler({ db: this.db, port, redis: redis.options, prefix: this.prefix, clock: this.clock, ...extra });
    this.cleanups.push(() => s.close());
    return s;
  }

  queue(name: 'jobs' | 'delivery'): Queue {
    const q = new Queue(name, { connection: redis.options as ConnectionOptions, prefix: this.prefix });
    this.cleanups.push(() => q.close());
    return q;
  }

  async ok(text: string, user = 'alice') {
    const out = await this.h.run(text, user);
    expect(out.ok, `${text}\n${out.text}`).toBe(true);
    return out;
  }

  tenant = async () => (await this.db.select().from(tenants).get())!;
  member = async (name: string) => (await this.db.select().from(members).where(eq(members.name, name)).get())!;
  complaint = async (id: number) => (await this.db.select().from(complaints).where(eq(complaints.id, id)).get())!;
  nudge = async (id: number) => (await this.db.select().from(nudges).where(eq(nudges.id, id)).get())!;
  allNudges = () => this.db.select().from(nudges).orderBy(nudges.id).all();
  unsettled = () =>
    this.db
      .select()
      .from(nudges)
      .where(inArray(nudges.status, ['pending', 'sending']))
      .all();

  /** Makes accounts due for a revisit as of TEST_NOW: created `days` ago with no visit since (standard cadence 90 days). */
  async createdDaysAgo(names: string[], days: number): Promise<void> {
    for (const name of names)
      await this.db
        .update(accounts)
        .set({ createdAt: new Date(TEST_NOW.getTime() - days * DAY) })
        .where(eq(accounts.name, name))
        .run();
  }

  /** Opens a complaint as of `hoursAgo` before TEST_NOW. */
  async complaintOpened(hoursAgo: number, cmd: string) {
    this.h.now = new Date(TEST_NOW.getTime() - hoursAgo * HOUR);
    try {
      await this.ok(cmd);
    } finally {
      this.h.now = TEST_NOW;
    }
    return (await this.db.select().from(complaints).orderBy(complaints.id).all()).at(-1)!;
  }

  /** The recorder's key for a nudge row: where it goes and its title. */
  async keyOf(n: typeof nudges.$inferSelect): Promise<string> {
    const to: Destination = n.channel
      ? { channel: n.channel }
      : { dm: { platformUserId: (await this.db.select().from(members).where(eq(members.id, n.recipientId!)).get())!.platformUserId, name: '' } };
    return postKey(to, n.payload as Reply);
  }

  /** Waits until no nudge is pending or being sent, then a little longer so a late duplicate would show. */
  async settled(ms = WAIT_MS): Promise<void> {
    await until('every nudge to be sent or given up', async () => (await this.allNudges()).length > 0 && (await this.unsettled()).length === 0, ms);
    await sleep(400);
  }

  /** N accounts across four owners, each due for exactly one revisit nudge (overdue by a day: no reminder, no manager). */
  async dueBook(n: number): Promise<void> {
    const owners = ['alice', 'bob', 'carol', 'dave'];
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `Account ${String(i + 1).padStart(3, '0')}`;
      await this.ok(`/account add "${name}" owner:@${owners[i % owners.length]}`);
      names.push(name);
    }
    await this.createdDaysAgo(names, 91);
  }

  lines(file: string): string[] {
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  /**
   * Starts test/fixtures/scheduler-proc.ts on this test's database, Redis and
   * prefix; resolves once it has started. `tsx` runs the script in a child of its
   * own and relays only SIGINT and SIGTERM, so each process gets its own process
   * group and a crash is SIGKILL to the whole group.
   */
  startProc(posts: string): Promise<Proc> {
    const env = {
      ...process.env,
      STEWARD_DB: this.h.file,
      REDIS_OPTIONS: JSON.stringify(redis.options),
      PREFIX: this.prefix,
      POSTS: posts,
      CLOCK_OFFSET_MS: String(this.offset),
      POST_MS: '50',
    };
    const child: ChildProcess = spawn(TSX, [PROC], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid!;
    const gone = () => until(`process group ${pid} to end`, () => !groupAlive(pid));
    const proc: Proc = {
      async crash() {
        if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
        await gone();
      },
      async stop() {
        child.kill('SIGTERM');
        await gone();
      },
    };
    this.cleanups.push(() => proc.crash());
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    return new Promise((resolve, reject) => {
      const check = setInterval(() => {
        if (!out.includes('ready')) return;
        clearInterval(check);
        resolve(proc);
      }, 10);
      child.once('exit', (code, signal) => {
        clearInterval(check);
        if (!out.includes('ready')) reject(new Error(`scheduler process exited (${code ?? signal}) before it was ready:\n${err}`));
      });
    });
  }
}

const it = base.extend<{ env: Env }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's first parameter and requires it destructured.
  env: async ({}, use) => {
    const env = new Env();
    try {
      await use(env);
    } finally {
      await env.dispose();
    }
  },
});

// ---------------------------------------------------------------------------

describe.concurrent('scheduler on a real Redis', () => {
  describe('redis', () => {
    it('startOwnRedis runs an append-only redis-server under the folder, refuses a second Steward on the same folder, and stops it', async () => {
      expect(hasRedisServer()).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), 'steward-own-redis-'));
      const folder = join(dir, 'redis');
      const clients: Redis[] = [];
      const connect = (o: object) => {
        const c = new Redis({ ...o, maxRetriesPerRequest: 1, retryStrategy: () => null });
        c.on('error', () => {});
        clients.push(c);
        return c;
      };
      const first = await startOwnRedis(folder);
      try {
        expect(first.own).toBe(true);
        expect(first.options.path).toBe(join(folder, 'redis.sock'));
        expect(first.options.maxRetriesPerRequest).toBeNull(); // bullmq needs it
        const c = connect(first.options);
        expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await c.config('GET', 'dir')).toEqual(['dir', realpathSync(folder)]);
        expect(await c.config('GET', 'port')).toEqual(['port', '0']); // a socket only: no port to compete for
        await c.set('steward-test', 'kept');
        expect(existsSync(join(folder, 'appendonlydir'))).toBe(true);

        // A second Steward on the same folder would depend on the first one's server, stranded when the first stops.
        await expect(startOwnRedis(folder)).rejects.toThrow(new RegExp(`^another Steward \\(pid ${process.pid}\\) is running on this data folder`));
        expect(await c.get('steward-test')).toBe('kept'); // the first one's server untouched
      } finally {
        await first.stop();
        for (const c of clients) c.disconnect();
      }
      const after = new Redis({ path: first.options.path!, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
      after.on('error', () => {});
      await expect(after.connect()).rejects.toThrow();
      after.disconnect();
      // Stopped, the folder is free for the next Steward, with what the server held.
      const next = await startOwnRedis(folder);
      try {
        expect(await connect(next.options).get('steward-test')).toBe('kept');
      } finally {
        await next.stop();
        for (const c of clients) c.disconnect();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('our redis-server killed under Steward is started again, with what it held, and a client carries on', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'steward-own-redis-'));
      const errors: string[] = [];
      const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line).msg) });
      const own = await startOwnRedis(join(dir, 'redis'), logger);
      const c = new Redis({ ...own.options });
      c.on('error', () => {});
      try {
        await c.set('steward-test', 'kept');
        const info = async () => Object.fromEntries((await c.info('server')).split('\r\n').map((l) => l.split(':')));
        const before = await info();
        process.kill(Number(before.process_id), 'SIGKILL');
        const again = await until('a new redis-server', async () => {
          const now = await info().catch(() => undefined);
          return now && now.run_id !== before.run_id ? now : undefined;
        });
        expect(again.process_id).not.toBe(before.process_id);
        expect(await c.get('steward-test')).toBe('kept');
        expect(errors).toEqual([expect.stringMatching(/^our redis-server \(pid \d+\) exited \(SIGKILL\); starting it again$/)]);
      } finally {
        c.disconnect();
        await own.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('our redis-server that keeps dying: Steward gives up on it with one line (main exits with it) instead of restarting it for ever', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'steward-own-redis-'));
      let gaveUp: string | undefined;
      const own = await startOwnRedis(join(dir, 'redis'), undefined, (why) => (gaveUp = why));
      const pidOf = async () => {
        const c = new Redis({ ...own.options, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => {});
        try {
          return /process_id:(\d+)/.exec(await c.info('server'))![1];
        } catch {
          return undefined;
        } finally {
          c.disconnect();
        }
      };
      try {
        let last: string | undefined;
        for (let i = 0; i < 6; i++) {
          const pid = await until('our redis-server to answer', async () => {
            const p = await pidOf();
            return p && p !== last ? p : undefined;
          });
          last = pid;
          process.kill(Number(pid), 'SIGKILL');
        }
        await until('Steward to give up', () => gaveUp);
        expect(gaveUp).toMatch(/^our redis-server \(pid \d+\) exited \(SIGKILL\), 6 times within a minute; giving up on it$/);
      } finally {
        await own.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a redis-server a crashed Steward left running is shut down and replaced by our own, with what it held', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'steward-own-redis-'));
      const folder = join(dir, 'redis');
      const first = await startOwnRedis(folder);
      const c = new Redis({ ...first.options, retryStrategy: () => null });
      c.on('error', () => {});
      await c.set('steward-test', 'kept');
      const orphan = /process_id:(\d+)/.exec(await c.info('server'))![1];
      c.disconnect();
      // The Steward that owned it died (SIGKILL: no stop()); its owner file names a process that is gone.
      const gone = spawn('true');
      await new Promise((r) => gone.once('exit', r));
      writeFileSync(join(folder, 'steward.pid'), `${gone.pid}\n`);
      const next = await startOwnRedis(folder);
      const c2 = new Redis({ ...next.options });
      c2.on('error', () => {});
      try {
        expect(/process_id:(\d+)/.exec(await c2.info('server'))![1]).not.toBe(orphan);
        expect(groupAlive(Number(orphan))).toBe(false);
        expect(await c2.get('steward-test')).toBe('kept');
      } finally {
        c2.disconnect();
        await next.stop();
        await first.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('fromUrl reads host, port, credentials, database and TLS from REDIS_URL', () => {
      const r = fromUrl('rediss://steward:p%40ss@redis.internal:6380/2');
      expect(r.options).toMatchObject({ host: 'redis.internal', port: 6380, username: 'steward', password: 'p@ss', db: 2, tls: {}, maxRetriesPerRequest: null });
      expect(r.own).toBe(false);
      expect(r.where).not.toContain('p@ss');
      expect(fromUrl('redis://localhost').options).toMatchObject({ host: 'localhost', port: 6379, db: 0, tls: undefined });
    });
  });

  describe('reconcile', () => {
    it("creates the sweep and each tenant's digest as job schedulers with stable ids in the tenant's time zone, a timer per open complaint and a delivery per pending nudge; twice duplicates nothing", async ({
      env,
    }) => {
      await env.ok('/account add Acme');
      await env.ok('/account add Beta owner:@bob');
      await env.createdDaysAgo(['Beta'], 91);
      const c = await env.complaintOpened(1, '/complaint Acme severity:high Crushed pallets'); // deadline in 23 h
      const t1 = await env.tenant();
      const t2 = await env.db
        .insert(tenants)
        .values({ platform: 'shell', workspaceId: 'other', locale: 'en', timezone: 'America/New_York', settings: { digestDay: 7, digestTime: '17:45' } })
        .returning()
        .get();
      const decided = await transact(env.db, (tx) => sweepTenant(tx, t1, env.clock()), { behavior: 'immediate' });
      expect(decided.ids).toHaveLength(1); // Beta's revisit

      const s = env.scheduler(new RecordingPort()); // no workers: only what reconcile writes
      const jobs = env.queue('jobs');
      const delivery = env.queue('delivery');
      await s.reconcile();

      const schedulers = async () =>
        (await jobs.getJobSchedulers())
          .map((j) => ({ key: j.key, name: j.name, every: j.every, pattern: j.pattern, tz: j.tz, next: j.next, data: j.template?.data }))
          .sort((a, b) => a.key.localeCompare(b.key));
      const first = await schedulers();
      expect(first.map((j) => j.key)).toEqual([`digest:${t1.id}`, `digest:${t2.id}`, 'sweep']);
      const [d1, d2, sweep] = first;
      expect(sweep).toMatchObject({ name: 'sweep', every: SWEEP_EVERY_MS });
      expect(d1).toMatchObject({ name: 'digest', pattern: '30 8 * * 1', tz: 'Asia/Shanghai', data: { tenantId: t1.id } });
      expect(d2).toMatchObject({ name: 'digest', pattern: '45 17 * * 0', tz: 'America/New_York', data: { tenantId: t2.id } });
      // The next run falls on the tenant's own day and hour in its own zone (ISO day 7 is cron's 0).
      const at1 = DateTime.fromMillis(d1!.next!, { zone: 'Asia/Shanghai' });
      expect([at1.weekday, at1.hour, at1.minute]).toEqual([1, 8, 30]);
      const at2 = DateTime.fromMillis(d2!.next!, { zone: 'America/New_York' });
      expect([at2.weekday, at2.hour, at2.minute]).toEqual([7, 17, 45]);

      const rung = await jobs.getJob(`escalate-${c.id}-1`);
      expect(rung?.name).toBe('escalate');
      expect(rung?.data).toEqual({ tenantId: t1.id, complaintId: c.id });
      expect(await rung!.getState()).toBe('delayed');
      const nudge = await delivery.getJob(`nudge-${decided.ids[0]}`);
      expect(nudge?.data).toEqual({ nudgeId: decided.ids[0] });

      const counts = async () => ({ jobs: await jobs.getJobCounts(), delivery: await delivery.getJobCounts() });
      const before = await counts();
      expect((before.delivery.waiting ?? 0) + (before.delivery.delayed ?? 0)).toBe(1);

      await s.reconcile();
      await s.reconcile();
      const again = await schedulers();
      expect(again.map(({ next: _n, ...j }) => j)).toEqual(first.map(({ next: _n, ...j }) => j));
      expect(await counts()).toEqual(before);
      expect(await jobs.getJobSchedulersCount()).toBe(3);
    });
  });

  describe('the weekly digest', () => {
    it('a digest that is due and waiting for the busy jobs worker survives a reconcile (a restart) or a sweep setting the schedules again', async ({ env }) => {
      await env.ok('/account add Acme');
      const s = env.scheduler(new RecordingPort()); // no workers: the test plays the busy worker
      const jobs = env.queue('jobs');
      await s.reconcile();
      const [next] = (await jobs.getDelayed()).filter((j) => j.name === 'digest');
      // Its time has come while the worker is busy: it waits.
      await next!.promote();
      expect(await next!.getState()).toBe('waiting');
      await s.reconcile();
      expect(await jobs.getJob(next!.id!), 'the due digest is still there').toBeDefined();
      expect(await next!.getState()).toBe('waiting');
    });

    it('a digest whose job was lost is recorded by the next sweep after its time, once', async ({ env }) => {
      await env.ok('/account add Acme');
      const tenant = await env.tenant();
      await env.db
        .update(tenants)
        .set({ createdAt: new Date(env.clock().getTime() - 30 * 86_400_000) })
        .run();
      const s = env.scheduler(new RecordingPort());
      const run = (s as unknown as { runJob(job: { name: string; data: object }): Promise<void> }).runJob.bind(s);
      const digests = async () => (await env.allNudges()).filter((n) => n.kind === 'digest');
      // The harness's clock is past this week's Monday 08:30 in Shanghai: the sweep records it.
      await run({ name: 'sweep', data: {} });
      expect((await digests()).map((n) => [n.recipientId, n.period])).toEqual([[(await env.member('alice')).id, isoWeek(env.clock(), tenant.timezone)]]);
      await run({ name: 'sweep', data: {} });
      await run({ name: 'digest', data: { tenantId: tenant.id } });
      expect(await digests()).toHaveLength(1);
    });
  });

  describe('escalation', () => {
    it('a complaint past its deadline: rung 1 is decided once, posted to the owner once, and the timer for rung 2 is set', async ({ env }) => {
      await env.ok('/account add Acme owner:@bob');
      const c = await env.complaintOpened(74, '/complaint Acme severity:high category:damage 3 pallets crushed'); // Friday 08:00: its working day ended Friday 18:00
      const bob = await env.member('bob');
      expect(c.ownerId).toBe(bob.id);
      const port = new RecordingPort();
      const s = env.scheduler(port);
      const jobs = env.queue('jobs');
      await s.start();

      await until('the escalation to be posted', () => port.posts.length > 0);
      await env.settled();
      expect((await env.complaint(c.id)).escalationLevel).toBe(1);
      const escalations = (await env.allNudges()).filter((n) => n.kind === 'escalation');
      expect(escalations.map((n) => [n.dedupeKey, n.status, n.recipientId])).toEqual([[`escalation:${c.id}:1`, 'sent', bob.id]]);
      expect(port.posts).toHaveLength(1);
      const [post] = port.posts;
      expect(post!.to).toEqual({ dm: { platformUserId: bob.platformUserId, name: 'bob' } });
      expect(post!.reply.buttons.map((b) => b.command)).toEqual(['/resolve C-1', '/complaint assign C-1 me']);
      expect(JSON.stringify(post!.reply)).toContain('Acme');

      const next = await until('the timer for rung 2', () => jobs.getJob(`escalate-${c.id}-2`));
      expect(await next.getState()).toBe('delayed');
      // Rung 1's timer, once done, is removed rather than left to run again.
      await until('the rung 1 timer to be done', async () => (await jobs.getJobState(`escalate-${c.id}-1`)) === 'unknown');
    });
  });

  describe('delivery', () => {
    async function oneDueNudge(env: Env, port: RecordingPort) {
      await env.ok('/account add Acme');
      await env.createdDaysAgo(['Acme'], 91);
      const s = env.scheduler(port);
      await s.start();
      const n = await until('the sweep to decide the revisit', async () => (await env.allNudges())[0]);
      return { s, n };
    }

    it('Retry-After: a rate-limited post waits and is tried again without spending an attempt, and is posted once', async ({ env }) => {
      const port = new RecordingPort().failNext(new DeliveryError('rate-limited', 'ratelimited', 300));
      const delivery = env.queue('delivery');
      let retried: { attemptsMade: number; state: string } | undefined;
      port.onCall = async (n) => {
        if (n !== 2) return;
        const job = (await delivery.getJob(`nudge-${(await env.allNudges())[0]!.id}`))!;
        retried = { attemptsMade: job.attemptsMade, state: await job.getState() };
      };
      const { n } = await oneDueNudge(env, port);
      await until('the retry to post', () => port.posts.length === 1);
      await env.settled();
      expect(port.calls).toBe(2);
      expect(port.posts).toHaveLength(1);
      expect(retried).toEqual({ attemptsMade: 0, state: 'active' });
      expect(await env.nudge(n.id)).toMatchObject({ status: 'sent', attempts: 2, lastError: 'ratelimited' });
    });

    it('a permanent error marks the nudge failed, posts nothing, and is not retried', async ({ env }) => {
      const port = new RecordingPort().failNext(new DeliveryError('permanent', 'channel_not_found'));
      const delivery = env.queue('delivery');
      const { s, n } = await oneDueNudge(env, port);
      await until('the nudge to be marked failed', async () => (await env.nudge(n.id)).status === 'failed');
      // The spent job leaves Redis (removeOnFail); the failed nudge is not pending, so nothing queues it again.
      await until('the failed job to leave Redis', async () => (await delivery.getJob(`nudge-${n.id}`)) === undefined);
      await s.kick(); // a later kick does not bring it back either
      await sleep(500);
      expect(port.calls).toBe(1);
      expect(port.posts).toHaveLength(0);
      expect(await env.nudge(n.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'channel_not_found' });
    });

    it('a channel that refuses for good: the admin hears of it at once, not at the next sweep', async ({ env }) => {
      await env.ok('/steward settings escalation-channel:#esc');
      const port = new RecordingPort().failNext(new DeliveryError('permanent', 'Slack: not_in_channel'));
      const s = env.scheduler(port);
      await s.start();
      await until('the admin to hear of it', () => port.posts.length === 1);
      await env.settled();
      const [post] = port.posts;
      expect(post!.to).toEqual({ dm: { platformUserId: (await env.member('alice')).platformUserId, name: 'alice' } });
      // The channel as a reference each platform shows as it shows channels, not as text.
      expect(post!.reply.title).toEqual(['Steward cannot post in ', { channel: 'esc' }]);
      expect((await env.allNudges()).map((n) => [n.kind, n.status])).toEqual([
        ['notice', 'failed'],
        ['channel-refused', 'sent'],
      ]);
    });

    it('a transient error is retried with backoff and the nudge is then sent once', async ({ env }) => {
      const port = new RecordingPort().failNext(new DeliveryError('transient', 'socket hang up'));
      const { n } = await oneDueNudge(env, port);
      await until('the retry to post', () => port.posts.length === 1, 40_000);
      await env.settled();
      expect(port.calls).toBe(2);
      expect(port.posts).toHaveLength(1);
      expect(await env.nudge(n.id)).toMatchObject({ status: 'sent', attempts: 2, lastError: 'socket hang up' });
    }, 60_000);
  });

  describe('a lost Redis', () => {
    it('loses nothing: reconcile rebuilds every timer and delivery from the database, and each nudge is posted once', async ({ env }) => {
      await env.ok('/account add Acme');
      await env.ok('/account add Beta owner:@bob');
      await env.ok('/account add Gamma owner:@carol');
      await env.ok('/account add Delta owner:@bob');
      await env.createdDaysAgo(['Acme', 'Beta', 'Gamma'], 91);
      const c = await env.complaintOpened(1, '/complaint Delta severity:medium Late truck');
      // Its deadline comes a moment after the restart, so its timer must come back to fire.
      await env.db
        .update(complaints)
        .set({ deadlineAt: new Date(env.clock().getTime() + 1_500) })
        .where(eq(complaints.id, c.id))
        .run();
      const decided = await transact(env.db, async (tx) => sweepTenant(tx, await env.tenant(), env.clock()), { behavior: 'immediate' });
      expect(decided.counts.revisit).toBe(3);

      const port = new RecordingPort();
      const s = env.scheduler(port);
      const jobs = env.queue('jobs');
      const delivery = env.queue('delivery');
      await s.reconcile();
      const held = async () => ({
        schedulers: (await jobs.getJobSchedulers()).map((j) => j.key).sort(),
        rung: (await jobs.getJob(`escalate-${c.id}-1`))?.id ?? null,
        deliveries: (await Promise.all(decided.ids.map((id) => delivery.getJob(`nudge-${id}`)))).map((j) => j?.id ?? null),
      });
      const full = { schedulers: [`digest:${(await env.tenant()).id}`, 'sweep'], rung: `escalate-${c.id}-1`, deliveries: decided.ids.map((id) => `nudge-${id}`) };
      expect(await held()).toEqual(full);

      await redis.lose(env.prefix);
      expect(await held()).toEqual({ schedulers: [], rung: null, deliveries: decided.ids.map(() => null) });

      await s.reconcile();
      expect(await held()).toEqual(full);

      await s.start(); // workers, and reconcile once more
      await until('the escalation to be decided', async () => (await env.complaint(c.id)).escalationLevel === 1);
      await env.settled();
      const sent = await env.allNudges();
      expect(sent.map((n) => n.status)).toEqual(sent.map(() => 'sent'));
      expect(sent.map((n) => n.kind).sort()).toEqual(['escalation', 'revisit', 'revisit', 'revisit']);
      const posted = count(port.posts.map((p) => p.key));
      expect([...posted.values()]).toEqual(sent.map(() => 1));
      expect([...posted.keys()].sort()).toEqual((await mapSeq(sent, (n) => env.keyOf(n))).sort());
    });
  });

  describe('Redis losing its data while Steward runs', () => {
    it('the process notices by itself and rebuilds the sweep, the digest, the complaint timers and the deliveries; a nudge decided meanwhile is posted once', async ({ env }) => {
      await env.ok('/account add Acme');
      await env.ok('/account add Beta owner:@bob');
      const c = await env.complaintOpened(1, '/complaint Acme severity:high Crushed pallets'); // deadline in 23 h
      const port = new RecordingPort();
      const s = env.scheduler(port, { checkEveryMs: 100 });
      const jobs = env.queue('jobs');
      await s.start();
      const held = async () => ({
        schedulers: (await jobs.getJobSchedulers()).map((j) => j.key).sort(),
        rung: (await jobs.getJob(`escalate-${c.id}-1`))?.id ?? null,
      });
      const full = { schedulers: [`digest:${(await env.tenant()).id}`, 'sweep'], rung: `escalate-${c.id}-1` };
      expect(await held()).toEqual(full);

      await redis.lose(env.prefix);
      // Decided while Redis was empty (a sweep another process ran, say): nothing queued it.
      await env.createdDaysAgo(['Beta'], 91);
      const [id] = (await transact(env.db, async (tx) => sweepTenant(tx, await env.tenant(), env.clock()), { behavior: 'immediate' })).ids;
      await until('the schedules and timers to be rebuilt', async () => JSON.stringify(await held()) === JSON.stringify(full));
      await until('the revisit decided meanwhile to be posted', async () => (await env.nudge(id!)).status === 'sent');
      await env.settled();
      expect(port.posts.map((p) => p.to)).toEqual([{ dm: { platformUserId: (await env.member('bob')).platformUserId, name: 'bob' } }]);
    });
  });

  describe('several platforms on one database', () => {
    it("a process queues only the nudges of workspaces on its own platform; the platform's own process queues them", async ({ env }) => {
      await env.dueBook(1);
      const [id] = (await transact(env.db, async (tx) => sweepTenant(tx, await env.tenant(), env.clock()), { behavior: 'immediate' })).ids;
      await env.db.update(tenants).set({ platform: 'slack', workspaceId: 'T123' }).run();
      const delivery = env.queue('delivery');
      await env.scheduler(Object.assign(new RecordingPort(), { platform: 'shell' as const })).reconcile();
      expect(await delivery.getJob(`nudge-${id}`)).toBeUndefined();
      await env.scheduler(Object.assign(new RecordingPort(), { platform: 'slack' as const })).reconcile();
      expect((await delivery.getJob(`nudge-${id}`))?.data).toEqual({ nudgeId: id });
    });
  });

  describe('a workspace that refuses Steward as a whole', () => {
    it("invalid_auth for longer than a job's attempts: the nudges wait, pending, the log says so once, each admin is told once in their language, and each is posted once when it is fixed", async ({
      env,
    }) => {
      await env.dueBook(3);
      await env.ok('/steward role @wang admin');
      await env.ok('/steward me locale:zh-CN', 'wang');
      const ids = (await transact(env.db, async (tx) => sweepTenant(tx, await env.tenant(), env.clock()), { behavior: 'immediate' })).ids;
      expect(ids).toHaveLength(3);
      const port = new RecordingPort().failNext(...Array.from({ length: 12 }, () => new DeliveryError('workspace', 'Slack: invalid_auth')));
      const logs: { level: number; msg: string }[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
      const s = env.scheduler(port, { workspacePauseMs: 100, logger });
      // At its last refusal: paused, and one notice per admin waits, pending, with the held messages.
      let during: unknown;
      port.onCall = async (n) => {
        if (n === 12)
          during = {
            paused: s.paused().map((p) => [p.tenantId, p.reason]),
            pending: (await env.allNudges())
              .filter((x) => x.status !== 'sent')
              .map((x) => x.kind)
              .sort(),
            readyz: await s.notReady(),
          };
      };
      await s.start();
      await until('every nudge and notice to be posted', () => port.posts.length === 5);
      await env.settled();
      expect(port.calls).toBe(17);
      expect((await env.allNudges()).map((n) => n.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
      expect(new Set(port.posts.map((p) => p.key)).size).toBe(5);
      expect(during).toEqual({
        paused: [[(await env.tenant()).id, 'Slack: invalid_auth']],
        pending: ['delivery-paused', 'delivery-paused', 'revisit', 'revisit', 'revisit'],
        readyz: [expect.stringMatching(new RegExp(`^delivery paused for workspace ${(await env.tenant()).id} since .+: Slack: invalid_auth$`))],
      });
      const notices = port.posts.map((p) => `${'dm' in p.to ? p.to.dm.name : ''}: ${renderText(p.reply)}`).filter((p) => /could not post|无法/.test(p));
      expect(notices.sort()).toEqual([
        'alice: ! Steward could not post to this workspace\nSince Mon 23 Nov 2026 10:00 the platform has refused every message from Steward (Slack: invalid_auth).\nMessages are held, not lost: they go out once Steward can post again (this one with them).\n' +
          "What to check: reinstall the app in the workspace, or renew the bot's token (SLACK_BOT_TOKEN, or the Lark app's ID and secret) and restart Steward.",
        'wang: ! 助手无法在本工作区发消息\n自2026年11月23日 周一 10:00起，平台拒绝了助手的所有消息（Slack: invalid_auth）。\n消息已暂存，不会丢失：助手恢复发送后会一并送达（本条也是）。\n' +
          '请检查：在工作区重新安装应用，或更新机器人令牌（SLACK_BOT_TOKEN，或飞书应用的 App ID 和 Secret）后重启助手。',
      ]);
      expect(logs.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([expect.stringContaining('workspace refuses Steward (Slack: invalid_auth)')]);
      expect(logs.filter((l) => /delivery resumed/.test(l.msg))).toHaveLength(1);
      expect(s.paused()).toEqual([]);
      expect(await s.notReady()).toEqual([]);
    });
  });

  describe('nothing stranded, nothing doubled', () => {
    // Regression: a spent delivery job once stayed in Redis and blocked its nudge from being queued again.
    it('a nudge whose delivery job used up its attempts is not left pending forever: reconcile queues it again or it is marked failed', async ({ env }) => {
      await env.ok('/account add Acme');
      await env.createdDaysAgo(['Acme'], 91);
      const [id] = (await transact(env.db, async (tx) => sweepTenant(tx, await env.tenant(), env.clock()), { behavior: 'immediate' })).ids;
      // The real delivery path, with the job allowed one attempt instead of eight
      // (eight at 5 s doubling is some ten minutes of real time); kick's other options as they are.
      const delivery = env.queue('delivery');
      await delivery.add(
        'deliver',
        { nudgeId: id },
        { jobId: `nudge-${id}`, attempts: 1, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: true, removeOnFail: true },
      );
      const port = new RecordingPort().failNext(new DeliveryError('transient', 'socket hang up'));
      const s = env.scheduler(port);
      await s.start();
      await until('the delivery to use up its attempts', async () => port.calls >= 1 && (await env.nudge(id!)).lastError === 'socket hang up');
      // The platform is back; the next kick (a command, a sweep, a start) queues it again and it goes out once.
      await s.reconcile();
      await until('the nudge to be sent', async () => (await env.nudge(id!)).status === 'sent');
      expect(port.calls).toBe(2);
      expect(port.posts).toHaveLength(1);
    });

    // BUG: releaseStale() at a second process's start re-opens a live claim (see the assertion).
    it('a second Steward process starting while the first is mid-post does not post that nudge again', async ({ env }) => {
      await env.ok('/account add Acme');
      await env.createdDaysAgo(['Acme'], 91);
      const a = new GatedPort();
      await env.scheduler(a).start();
      await until('process A to be mid-post', () => a.waiting === 1);
      const [n] = await env.allNudges();
      expect(n!.status).toBe('sending');

      // Process B starts as src/main.ts does in the interactive shell: releaseStale() at start,
      // then deliverDue() after the user's first command.
      const b = new RecordingPort();
      await releaseStale(env.db);
      await deliverDue(env.db, b, env.clock());
      a.open();
      await env.settled();
      // BUG: releaseStale() (src/scheduler/outbox.ts) returns every `sending` row to pending, including
      // a claim a live process is posting right now; B's deliverDue then claims and posts it too.
      expect(a.posts.length + b.posts.length, 'posts of the one nudge by A and B').toBe(1);
    });
  });

  // The real Scheduler in processes of its own, killed or doubled.
  describe('exactly once across processes', () => {
    it('a process killed in the middle of delivery, then restarted: every nudge is posted, and only one caught mid-post (left `sending`) may be posted again', async ({ env }) => {
      const N = 60;
      await env.dueBook(N);
      const file = join(env.dir, 'posts.log');
      writeFileSync(file, '');

      const first = await env.startProc(file);
      await until('the first posts', () => env.lines(file).length >= 5);
      await first.crash();

      // What the dead process left behind.
      const atKill = await env.allNudges();
      expect(atKill).toHaveLength(N); // the sweep's decisions were committed before any post
      const before = env.lines(file);
      expect(before.length).toBeLessThan(N); // it really died in the middle
      const caughtMidPost = new Set(
        await mapSeq(
          atKill.filter((n) => n.status === 'sending'),
          (n) => env.keyOf(n),
        ),
      );
      // A nudge marked sent was posted; one never claimed was not.
      for (const n of atKill.filter((x) => x.status === 'sent')) expect(before).toContain(await env.keyOf(n));
      for (const n of atKill.filter((x) => x.status === 'pending')) expect(before).not.toContain(await env.keyOf(n));

      const second = await env.startProc(file);
      await env.settled(STALL_WAIT_MS);
      await second.stop();

      const after = await env.allNudges();
      expect(after.map((n) => n.status)).toEqual(after.map(() => 'sent'));
      const keys = await mapSeq(after, (n) => env.keyOf(n));
      expect(new Set(keys).size).toBe(N);
      const seen = count(env.lines(file));
      expect([...seen.keys()].sort()).toEqual([...keys].sort()); // nothing lost, nothing unknown
      // releaseStale's promise: a nudge left `sending` may be repeated once ("a rare repeat to a lost message"); nothing else is.
      const repeated = [...seen].filter(([, n]) => n > 1);
      for (const [k, n] of repeated) {
        expect(caughtMidPost.has(k), `${k} was posted ${n} times but was not mid-post when the process died`).toBe(true);
        expect(n).toBe(2);
      }
      expect(env.lines(file)).toHaveLength(N + repeated.length);
    }, 200_000);

    it('two Scheduler processes at once post every nudge exactly once', async ({ env }) => {
      const N = 40;
      await env.dueBook(N);
      const a = join(env.dir, 'posts-a.log');
      const b = join(env.dir, 'posts-b.log');
      const [pa, pb] = await Promise.all([env.startProc(a), env.startProc(b)]);
      await env.settled();
      await sleep(500);
      await Promise.all([pa.stop(), pb.stop()]);

      const expected = await env.allNudges();
      expect(expected).toHaveLength(N);
      expect(expected.map((n) => n.status)).toEqual(expected.map(() => 'sent'));
      const all = [...env.lines(a), ...env.lines(b)];
      const seen = count(all);
      expect([...seen.keys()].sort()).toEqual((await mapSeq(expected, (n) => env.keyOf(n))).sort());
      expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
      expect(all).toHaveLength(N);
    }, 60_000);
  });
});

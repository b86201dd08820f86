// Several Steward instances on one Redis and one SQLite file (this host): each
// job scheduler (the sweep, each workspace's digest) exists once, whichever
// instances start, stop or die and in whatever order; the sweep runs once per
// tick, and keeps running when the instance that set the schedulers is killed;
// a `web` instance (no workers) never runs a job nor sets a scheduler.
// Real processes (test/fixtures/scheduler-proc.ts, the Scheduler as main.ts
// starts it) and, for many start and stop orders, Schedulers in this process,
// each on its own SQLite connection. No test asserts how long anything takes:
// waits are bounded only so that a hang fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../db/index.js';
import { tenants } from '../db/schema.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { harness, TEST_NOW, type Harness } from './harness.js';
import { rng } from '../bench/lib.js';
import { RecordingPort } from './kit.js';
import { groupAlive, until as untilOr } from './processes.js';
import { freshPrefix, startTestRedis, type TestRedis } from './redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PROC = join(ROOT, 'test', 'fixtures', 'scheduler-proc.ts');
/** Bound on waits, only so that a hang fails; a sweep job held by a killed process comes back through bullmq's stalled check (30 s locks). */
const WAIT_MS = 150_000;
/** The sweep's period in these tests: short, so that many ticks pass. */
const EVERY_MS = 400;
/** The schedulers' lease in these tests. */
const LEASE_MS = 1_200;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const until = <T>(what: string, f: () => T | Promise<T>, stderr: () => string = () => '') => untilOr(what, f, stderr, WAIT_MS);

/** A book with two workspaces, so there are two digests' schedulers beside the sweep. */
async function book(): Promise<Harness> {
  const h = harness();
  expect((await h.run('/account add Acme Logistics tier:key')).ok).toBe(true);
  await h.db.insert(tenants).values({ platform: 'slack', workspaceId: 'T2', locale: 'en', timezone: 'America/New_York', createdAt: TEST_NOW }).run();
  return h;
}

const expectedSchedulers = async (h: Harness) => [...(await h.db.select({ id: tenants.id }).from(tenants).all()).map((t) => `digest:${t.id}`), 'sweep'].sort();

/** Every job scheduler's id, as often as bullmq holds it. */
async function schedulerIds(q: Queue): Promise<string[]> {
  return (await q.getJobSchedulers(0, -1)).map((s) => s.key).sort();
}

/** The completed sweeps: the tick each was for (a job scheduler's job id ends in the time it was due) and the worker that ran it. */
async function sweeps(q: Queue): Promise<{ tick: number; by?: string; id?: string }[]> {
  const done = (await q.getJobs(['completed'], 0, -1)) as Job[];
  return done
    .filter((j) => j.name === 'sweep')
    .map((j) => ({ tick: Number(j.id?.split(':').at(-1)), by: j.processedBy, id: j.id }))
    .sort((a, b) => a.tick - b.tick);
}

/** Whether the ticks are one every period from the first to the last: none twice, none missing. */
function contiguous(ticks: number[]): boolean {
  return ticks.every((t, i) => i === 0 || t - ticks[i - 1]! === EVERY_MS);
}

interface Proc {
  /** The script's pid (tsx runs it in a child of its own). */
  pid: number;
  stderr(): string;
  crash(): Promise<void>;
  stop(): Promise<void>;
}

function startProc(h: Harness, prefix: string, o: { workers: boolean }, cleanups: (() => Promise<void>)[]): Promise<Proc> {
  const env = {
    ...process.env,
    STEWARD_DB: h.file,
    REDIS_OPTIONS: JSON.stringify(redis.options),
    PREFIX: prefix,
    POSTS: join(h.file, '..', 'posts.txt'),
    CLOCK_OFFSET_MS: String(TEST_NOW.getTime() - Date.now()),
    SWEEP_EVERY_MS: String(EVERY_MS),
    LEASE_MS: String(LEASE_MS),
    WORKERS: o.workers ? '1' : '0',
  };
  const child: ChildProcess = spawn(TSX, [PROC], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const group = child.pid!;
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const gone = () => until(`process group ${group} to end`, () => !groupAlive(group));
  const crash = async () => {
    if (groupAlive(group)) process.kill(-group, 'SIGKILL');
    await gone();
  };
  cleanups.push(crash);
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      const m = /ready (\d+)/.exec(out);
      if (!m) return;
      clearInterval(check);
      resolve({
        pid: Number(m[1]),
        stderr: () => err,
        crash,
        async stop() {
          child.kill('SIGTERM');
          await gone();
        },
      });
    }, 10);
    child.once('exit', (code, signal) => {
      clearInterval(check);
      if (!/ready \d+/.test(out)) reject(new Error(`scheduler process exited (${code ?? signal}) before it was ready:\n${err}`));
    });
  });
}

describe('several instances on one Redis and one SQLite file', () => {
  it('two workers and a web instance start at once: each scheduler once, one sweep per tick, none run by web; the lease holder killed, the other takes over and no tick is lost or doubled', {
    timeout: 3 * WAIT_MS,
  }, async () => {
    const h = await book();
    const prefix = freshPrefix('inst');
    const cleanups: (() => Promise<void>)[] = [];
    const q = new Queue('jobs', { connection: redis.options as ConnectionOptions, prefix });
    const c = redis.client();
    const lease = `${prefix}:steward:schedulers-lease`;
    try {
      const [a, b, web] = await Promise.all([
        startProc(h, prefix, { workers: true }, cleanups),
        startProc(h, prefix, { workers: true }, cleanups),
        startProc(h, prefix, { workers: false }, cleanups),
      ]);
      const logs = () => [a, b, web].map((p) => p.stderr()).join('\n');
      const pidOf = (by: string | undefined) => Number(by?.split(':').at(-1));
      const holderPid = async () => Number((await c.get(lease))?.split(':')[0]);

      await until('six sweeps', async () => (await sweeps(q)).length >= 6, logs);
      expect(await schedulerIds(q)).toEqual(await expectedSchedulers(h));
      const before = await sweeps(q);
      expect(contiguous(before.map((s) => s.tick)), JSON.stringify(before)).toBe(true);
      expect(
        before.every((s) => [a.pid, b.pid].includes(pidOf(s.by))),
        JSON.stringify(before),
      ).toBe(true);
      // bullmq's own count of the queue's workers: the two workers' one each, none of the web instance's.
      expect(await q.getWorkersCount()).toBe(2);

      const holder = await holderPid();
      expect([a.pid, b.pid]).toContain(holder);
      const [dead, survivor] = holder === a.pid ? [a, b] : [b, a];
      await dead.crash();
      const last = before.at(-1)!.tick;
      // The lease runs out (nobody renews it) and the survivor takes it; the web instance never does.
      await until('the survivor to hold the lease', async () => (await holderPid()) === survivor.pid, logs);
      await until(
        'the sweeps to go on, one per tick, with no tick missing (a sweep the dead process held comes back as stalled)',
        async () => {
          const all = await sweeps(q);
          return all.filter((s) => s.tick > last && pidOf(s.by) === survivor.pid).length >= 4 && contiguous(all.map((s) => s.tick));
        },
        logs,
      );
      const after = await sweeps(q);
      expect(new Set(after.map((s) => s.tick)).size, 'one sweep per tick').toBe(after.length);
      expect(after.some((s) => pidOf(s.by) === web.pid)).toBe(false);
      expect(await schedulerIds(q)).toEqual(await expectedSchedulers(h));

      // The web instance alone: it never takes the lease, however long the lease is free.
      await survivor.stop();
      expect(await c.get(lease), 'the survivor gave the lease up on SIGTERM').toBeNull();
      await web.stop();
    } finally {
      for (const f of cleanups.reverse()) await f();
      await q.close();
      await redis.lose(prefix);
      h.close();
    }
  });
});

describe('schedulers under many start and stop orders', () => {
  const SEEDS = [1, 2, 3, 4, 5];
  for (const seed of SEEDS) {
    it(`seed ${seed}: instances started together and stopped in any order leave each scheduler once, set by one lease holder at a time`, { timeout: WAIT_MS }, async () => {
      const random = rng(seed);
      const h = await book();
      const prefix = freshPrefix(`sim${seed}`);
      const q = new Queue('jobs', { connection: redis.options as ConnectionOptions, prefix });
      const c = redis.client();
      const lease = `${prefix}:steward:schedulers-lease`;
      type Instance = { s: Scheduler; close(): Promise<void> };
      const running: Instance[] = [];
      const start = async (n: number) => {
        const made = Array.from({ length: n }, () => {
          const db = openDb(h.file);
          // A long sweep period: what is checked here is who sets the schedulers, not the sweeps.
          const s = new Scheduler({ db, port: new RecordingPort(), redis: redis.options, prefix, sweepEveryMs: 60_000, leaseMs: 300, checkEveryMs: 60_000 });
          return { s, close: async () => (await s.close(), closeDb(db)) };
        });
        // Started at once: their reconciles and first lease tries race.
        await Promise.all(made.map((i) => i.s.start()));
        running.push(...made);
      };
      try {
        for (let step = 0; step < 6; step++) {
          if (running.length === 0 || (running.length < 4 && random() < 0.5)) await start(1 + Math.floor(random() * 3));
          else {
            // Stop one or more, the lease holder among them as often as not.
            const k = 1 + Math.floor(random() * running.length);
            const stopping = running.splice(0, running.length).sort(() => random() - 0.5);
            running.push(...stopping.splice(k));
            await Promise.all(stopping.map((i) => i.close()));
          }
          if (running.length === 0) {
            expect(await c.get(lease), `seed ${seed} step ${step}: nobody holds the lease once every instance stopped`).toBeNull();
            continue;
          }
          // Exactly one running instance holds the lease, and its token is the one in Redis.
          const one = await until(`seed ${seed} step ${step}: one lease holder`, async () => {
            const holders = running.filter((i) => i.s.setsSchedulers);
            return holders.length === 1 && (await c.get(lease)) !== null ? holders : undefined;
          });
          expect(one).toHaveLength(1);
          expect(await schedulerIds(q), `seed ${seed} step ${step}`).toEqual(await expectedSchedulers(h));
          // One delayed sweep for the one scheduler, never two.
          const delayed = ((await q.getJobs(['delayed', 'waiting'], 0, -1)) as Job[]).filter((j) => j.name === 'sweep');
          expect(delayed.length, `seed ${seed} step ${step}: ${delayed.map((j) => j.id).join(', ')}`).toBeLessThanOrEqual(1);
        }
      } finally {
        await Promise.all(running.map((i) => i.close()));
        await q.close();
        await redis.lose(prefix);
        h.close();
      }
    });
  }
});

// The clock on bullmq: a sweep every few minutes, each tenant's weekly digest at
// its own hour in its own time zone, a timer per complaint rung, and a delivery
// queue that retries what retrying can fix. SQLite stays the source of truth:
// `reconcile` rebuilds every timer from it, so losing Redis loses nothing; a
// marker key it writes, checked by a plain timer in the process, tells when
// Redis lost its data while Steward ran, and the same reconcile runs then.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DelayedError, Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { and, eq } from 'drizzle-orm';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../../db/index.js';
import { complaints, nudges, tenants } from '../../db/schema.js';
import { DeliveryError, type ChatPort } from '../chat/port.js';
import type { Tenant } from '../domain/types.js';
import { digestClock, digestDue } from '../domain/digest.js';
import { digestRun } from './digest.js';
import { deliverNudge, pendingNudges, releaseStale, tellDeliveryPaused } from './outbox.js';
import { nextRungAt } from '../domain/ladder.js';
import { EVENT_RETENTION_DEFAULT_DAYS, RETENTION_DEFAULT_DAYS } from '../domain/retention.js';
import { runRetention, type Retention } from './retention.js';
import { runSweep, sweepTenant, watchHealth } from './sweep.js';
import { Lease } from './lock.js';
import { transact } from '../../db/index.js';

export const SWEEP_EVERY_MS = 15 * 60_000;
const DELIVERY_ATTEMPTS = 8;
const DELIVERY_BACKOFF_MS = 5_000;
/** How often the process checks that Redis still holds the clock (its marker key): well within a sweep period. */
const CHECK_EVERY_MS = 60_000;
/**
 * How long the lease on setting the job schedulers lasts unrenewed (renewed every third of it): a
 * holder killed outright is replaced by another process within this.
 */
const LEASE_MS = 30_000;
/** How long a workspace that refuses Steward as a whole (its token revoked, say) waits before its delivery is tried again. */
const WORKSPACE_PAUSE_MS = 5 * 60_000;
/**
 * Nudges due within this are queued by a kick; later ones wait in SQLite for a
 * later sweep's kick (two periods, so a late sweep still queues them in time).
 */
const QUEUE_AHEAD_MS = 2 * SWEEP_EVERY_MS;
/** Retention runs after a sweep at most this often per process: what it keeps old (escalations, each subject's latest nudge) is read again each run. */
export const RETENTION_EVERY_MS = 60 * 60_000;
/** Nudges queued per Redis round trip (bullmq addBulk). */
const QUEUE_BATCH = 500;

type JobData = { tenantId?: number; complaintId?: number; nudgeId?: number };

/**
 * How a delivery job went, by the nudge's kind: `sent`, `skipped` (no longer needed, its recipient
 * gone), `failed` (refused for good), `retry` (will be tried again), `rate-limited` and `paused` (the
 * workspace refuses Steward as a whole: held without spending an attempt).
 */
export type DeliveryOutcome = 'sent' | 'skipped' | 'failed' | 'retry' | 'rate-limited' | 'paused';

/** Where the clock's work is counted (src/metrics.ts). */
export interface SchedulerMetrics {
  delivery(kind: string, outcome: DeliveryOutcome): void;
  /** A sweep over every tenant ran, started at `at`, taking `seconds`. */
  sweep(at: Date, seconds: number): void;
  /** A workspace's delivery paused: it refused Steward as a whole (a new outage, not one extended). */
  paused(): void;
}

export interface SchedulerOptions {
  db: Db;
  port: ChatPort;
  redis: RedisOptions;
  /** bullmq key prefix; tests use a fresh one each. */
  prefix?: string;
  clock?: () => Date;
  logger?: Logger;
  /** How often to check that Redis still holds the clock; tests shorten it. */
  checkEveryMs?: number;
  /** How long a workspace's delivery pauses after it refused Steward as a whole; tests shorten it. */
  workspacePauseMs?: number;
  /**
   * Whether this process runs the queues' workers (sweep, digests, escalations, delivery) and may set
   * the job schedulers; default true. False for a `web` instance: it only queues what its commands
   * decided, for a worker to deliver.
   */
  workers?: boolean;
  /** The sweep's period (default SWEEP_EVERY_MS); tests shorten it. */
  sweepEveryMs?: number;
  /** The schedulers' lease's time to live (default LEASE_MS); tests shorten it. */
  leaseMs?: number;
  /** Counts deliveries and sweeps. */
  metrics?: SchedulerMetrics;
  /** What the sweep job forgets, and when (src/domain/retention.ts); default: the domain's defaults. */
  retention?: Retention;
}

/** A workspace whose delivery is paused: it refused Steward as a whole. */
export interface PausedWorkspace {
  tenantId: number;
  reason: string;
  since: Date;
  /** Delivery is tried again from then. */
  until: Date;
}

export class Scheduler {
  private readonly jobs: Queue;
  private readonly delivery: Queue;
  private workers: Worker[] = [];
  private readonly clock: () => Date;
  /** Nudge ids this process queued whose job has not ended: a command's kick does not queue them again. */
  private readonly queued = new Set<number>();
  private readonly pausedWorkspaces = new Map<number, PausedWorkspace>();
  private checker?: NodeJS.Timeout;
  private checking = false;
  private closing = false;
  /** The clock's mark in Redis (see `reconcile`): gone means Redis lost what it held. */
  private readonly marker: string;
  /** A connection of our own for the marker (bullmq's are its own business). */
  private readonly redis: Redis;
  /** Held by the one process that sets the job schedulers (see lock.ts). */
  private readonly lease: Lease;
  private leaseTimer?: NodeJS.Timeout;
  /** When this process last ran retention (after a sweep, at most once every RETENTION_EVERY_MS). */
  private lastRetention?: Date;
  /** Lease tries and scheduler updates, one at a time in this process. */
  private leading: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SchedulerOptions) {
    const base = this.base();
    this.jobs = new Queue('jobs', base);
    this.delivery = new Queue('delivery', base);
    this.clock = opts.clock ?? (() => new Date());
    this.marker = `${opts.prefix ?? 'steward'}:steward:clock`;
    this.redis = new Redis({ ...opts.redis, lazyConnect: true });
    // Its failures surface in the command that met them; the connection itself reconnects.
    this.redis.on('error', () => {});
    this.lease = new Lease(this.redis, `${opts.prefix ?? 'steward'}:steward:schedulers-lease`, opts.leaseMs ?? LEASE_MS);
  }

  private get sweepEvery(): number {
    return this.opts.sweepEveryMs ?? SWEEP_EVERY_MS;
  }

  /** Whether this process holds the lease on setting the job schedulers, as of its last try. */
  get setsSchedulers(): boolean {
    return this.lease.held;
  }

  private base() {
    return { connection: this.opts.redis as ConnectionOptions, prefix: this.opts.prefix ?? 'steward' };
  }

  /**
   * Starts the workers and rebuilds every timer from the database; then tries the
   * schedulers' lease every third of its time to live, so that when its holder
   * stops or dies, another process takes it and sets the schedulers. A `web`
   * instance (workers: false) starts nothing: its commands' kicks queue deliveries.
   */
  async start(): Promise<void> {
    if (this.opts.workers === false) return;
    const base = this.base();
    // Named, so bullmq's getWorkers and a job's processedBy tell which process ran what.
    const name = `${hostname()}:${process.pid}`;
    this.workers = [
      new Worker('jobs', (job: Job<JobData>) => this.runJob(job), { ...base, concurrency: 1, name }),
      // A post takes about a second; a short lock lets another process take over a crashed one's jobs quickly.
      new Worker('delivery', (job: Job<JobData>, token?: string) => this.deliver(job, token), { ...base, concurrency: 4, lockDuration: 15_000, stalledInterval: 5_000, name }),
    ];
    for (const w of this.workers) w.on('failed', (job, err) => this.opts.logger?.warn({ job: job?.name, id: job?.id, err: err.message }, 'job failed'));
    // A delivery job that ended (sent, given up) frees its nudge for a later kick, should it be pending again.
    const ended = (job: Job<JobData> | undefined) => job?.data.nudgeId !== undefined && this.queued.delete(job.data.nudgeId);
    this.workers[1]!.on('completed', (job) => ended(job));
    this.workers[1]!.on('failed', (job, err) => {
      if (err instanceof UnrecoverableError || (job && job.attemptsMade >= (job.opts.attempts ?? 1))) ended(job);
    });
    await this.reconcile();
    this.checker = setInterval(() => void this.checkRedis(), this.opts.checkEveryMs ?? CHECK_EVERY_MS);
    // Setting a scheduler that fails (Redis not answering) is tried again at the next minute's check.
    this.leaseTimer = setInterval(
      () => void this.lead().catch((err: unknown) => this.opts.logger?.warn({ err }, 'could not set the job schedulers')),
      Math.max(1, Math.floor(this.lease.ttlMs / 3)),
    );
  }

  /** Runs `work` after the lease work already under way in this process. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.leading.then(work, work);
    this.leading = next.catch(() => {});
    return next;
  }

  /**
   * Tries the lease: renews it if ours, takes it if free. Taking it sets the
   * schedulers (the last holder may have died halfway through, or Redis lost
   * them); `always` sets them whenever the lease is ours (reconcile, the minute's check).
   */
  private lead(always = false): Promise<boolean> {
    return this.serially(async () => {
      if (this.closing) return false;
      const was = await this.lease.hold();
      if (was === 'other') return false;
      if (was === 'taken') this.opts.logger?.info({ key: this.lease.key }, 'this process sets the job schedulers (sweep, digests)');
      if (was === 'taken' || always) await this.setSchedulers();
      return true;
    });
  }

  /**
   * The sweep's scheduler and each tenant's digest's, each set only when
   * missing or changed: an upsert replaces the scheduler's next job. Called
   * only by the lease's holder.
   */
  private async setSchedulers(): Promise<void> {
    const sweep = await this.jobs.getJobScheduler('sweep');
    if (Number(sweep?.every) !== this.sweepEvery) await this.jobs.upsertJobScheduler('sweep', { every: this.sweepEvery }, { name: 'sweep', data: {} });
    for (const tenant of await this.opts.db.select().from(tenants).all()) await this.scheduleDigest(tenant);
  }

  /**
   * Rebuilds what Redis holds from the database: the sweep and each digest (by
   * the lease's holder only, taking it if free), each complaint's timer, each
   * nudge due soon; then marks Redis as holding the clock.
   */
  async reconcile(): Promise<void> {
    await this.lead(true);
    for (const c of await this.opts.db.select().from(complaints).where(eq(complaints.status, 'open')).all()) await this.scheduleRung(c.tenantId, c.id);
    await this.kick({ all: true });
    // Only set, never moved: another process's reconcile leaves it; a Redis emptied (restarted without its data, flushed) loses it.
    await this.redis.set(this.marker, randomUUID(), 'NX');
  }

  /** Whether Redis still holds the clock; if it lost it, rebuilds it. */
  private async checkRedis(): Promise<void> {
    if (this.checking || this.closing) return;
    this.checking = true;
    try {
      if ((await this.redis.exists(this.marker)) === 1) {
        // A tenant's new digest day or hour, set by its holder, should the sweeps have run elsewhere.
        if (this.lease.held) await this.lead(true);
        return;
      }
      this.opts.logger?.warn({ key: this.marker }, 'Redis lost the schedules (restarted without its data, or emptied); rebuilding them from the database');
      await this.reconcile();
    } catch (err) {
      // Redis not answering: bullmq reconnects, and the next check tries again.
      this.opts.logger?.warn({ err }, 'could not check that Redis still holds the schedules');
    } finally {
      this.checking = false;
    }
  }

  /**
   * Each tenant's digest at its own day and hour, in its own time zone. Set
   * again only when that changed: bullmq replaces a job scheduler's next job,
   * even one that is due and waiting for the worker (behind a long sweep, say),
   * with the one after, a week later.
   */
  async scheduleDigest(tenant: Tenant): Promise<void> {
    const { weekday, hour, minute } = digestClock(tenant);
    const id = `digest:${tenant.id}`;
    // Cron counts Sunday as 0, ISO as 7.
    const repeat = { pattern: `${minute} ${hour} * * ${weekday % 7}`, tz: tenant.timezone };
    const now = await this.jobs.getJobScheduler(id);
    if (now?.pattern === repeat.pattern && now.tz === repeat.tz) return;
    await this.jobs.upsertJobScheduler(id, repeat, { name: 'digest', data: { tenantId: tenant.id } });
  }

  /** A delayed job at the complaint's next rung, with a stable id so it exists once. */
  async scheduleRung(tenantId: number, complaintId: number): Promise<void> {
    const c = await this.opts.db
      .select()
      .from(complaints)
      .where(and(eq(complaints.id, complaintId), eq(complaints.status, 'open')))
      .get();
    const tenant = await this.opts.db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!c || !tenant) return;
    const at = nextRungAt(tenant, c);
    if (!at) return;
    await this.jobs.add(
      'escalate',
      { tenantId, complaintId },
      {
        jobId: `escalate-${complaintId}-${c.reopenCount > 0 ? `r${c.reopenCount}-` : ''}${c.escalationLevel + 1}`,
        delay: Math.max(0, at.getTime() - this.clock().getTime()),
        removeOnComplete: true,
        removeOnFail: 100,
      },
    );
  }

  /**
   * Queues pending nudges due soon for delivery at their time, a batch per
   * Redis call; safe to call as often as you like. A command's kick queues only
   * what this process has not queued yet; `all` (reconcile, each job) queues
   * everything due soon again, which bullmq's job ids keep from doubling.
   * Only the workspaces on this process's platform: another platform's wait for their own Steward.
   */
  async kick(opts: { all?: boolean } = {}): Promise<void> {
    if (opts.all) this.queued.clear();
    const now = this.clock().getTime();
    const until = new Date(now + QUEUE_AHEAD_MS);
    for (let after = 0; ; ) {
      const page = await pendingNudges(this.opts.db, { platform: this.opts.port.platform, until, after, limit: QUEUE_BATCH });
      if (page.length === 0) return;
      after = page.at(-1)!.id;
      const fresh = page.filter((n) => !this.queued.has(n.id));
      if (fresh.length === 0) continue;
      await this.delivery.addBulk(
        fresh.map((n) => ({
          name: 'deliver',
          data: { nudgeId: n.id },
          opts: {
            jobId: `nudge-${n.id}`,
            delay: Math.max(0, (n.notBefore?.getTime() ?? now) - now),
            attempts: DELIVERY_ATTEMPTS,
            backoff: { type: 'exponential', delay: DELIVERY_BACKOFF_MS },
            removeOnComplete: true,
            // A job that spent its attempts is dropped from Redis; its nudge stays pending in
            // SQLite, so the next kick (after a command with something to tell, after each sweep) queues it again.
            removeOnFail: true,
          },
        })),
      );
      for (const n of fresh) this.queued.add(n.id);
    }
  }

  /** Workspaces whose delivery is paused, for /readyz and operations. */
  paused(): PausedWorkspace[] {
    return [...this.pausedWorkspaces.values()];
  }

  /**
   * Why this process is not ready to deliver, for `GET /readyz`: Redis not answering (within
   * two seconds), each workspace whose delivery is paused. Empty when ready.
   */
  async notReady(): Promise<string[]> {
    // The pauses as they are now (a ping takes a moment).
    const paused = this.paused().map((p) => `delivery paused for workspace ${p.tenantId} since ${p.since.toISOString()}: ${p.reason}`);
    const problems: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in 2 s')), 2_000)));
    try {
      await Promise.race([this.redis.ping(), late]);
    } catch (e) {
      problems.push(`redis: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
    return [...problems, ...paused];
  }

  private async runJob(job: Job<JobData>): Promise<void> {
    const now = this.clock();
    const db = this.opts.db;
    if (job.name === 'sweep') {
      const started = performance.now();
      const all = await db.select().from(tenants).all();
      for (const tenant of all) {
        // In batches, each its own short write transaction: commands are not kept waiting for the lock.
        await runSweep(db, tenant, now);
        await transact(db, (tx) => watchHealth(tx, tenant, now), { behavior: 'immediate' });
        // A digest whose job was lost (Redis emptied while it waited, say) is recorded late rather than not at all.
        const due = digestDue(tenant, now);
        if (now >= due && tenant.createdAt < due) await digestRun(db, tenant, now);
        // The schedulers are the lease holder's to set (this sweep may run on another process).
        if (this.lease.held) await this.serially(() => this.scheduleDigest(tenant));
      }
      for (const c of await db.select().from(complaints).where(eq(complaints.status, 'open')).all()) await this.scheduleRung(c.tenantId, c.id);
      this.opts.metrics?.sweep(now, (performance.now() - started) / 1000);
      // What is old goes last, in batches as small as the sweep's (a purged revisit or pairing nudge rechecks its account, at the next sweep).
      if (!this.lastRetention || now.getTime() - this.lastRetention.getTime() >= RETENTION_EVERY_MS) {
        const r = await runRetention(db, all, now, this.opts.retention ?? { days: RETENTION_DEFAULT_DAYS, eventDays: EVENT_RETENTION_DEFAULT_DAYS });
        this.lastRetention = now;
        const n = r.deleted;
        if (n.nudges + n.audit + n.events + n.requests > 0)
          this.opts.logger?.info({ deleted: n, batches: r.batches, longestHoldMs: Math.round(r.longestHoldMs) }, 'retention: old rows purged');
      }
    } else if (job.name === 'digest' || job.name === 'escalate') {
      const tenant = await db.select().from(tenants).where(eq(tenants.id, job.data.tenantId!)).get();
      if (!tenant) return;
      if (job.name === 'digest') await digestRun(db, tenant, now);
      else {
        await transact(db, (tx) => sweepTenant(tx, tenant, now, { complaintId: job.data.complaintId! }), { behavior: 'immediate' });
        await this.scheduleRung(tenant.id, job.data.complaintId!);
      }
    }
    await releaseStale(db);
    await this.kick({ all: true });
  }

  private async deliver(job: Job<JobData>, token?: string): Promise<void> {
    const db = this.opts.db;
    const row = await db.select({ t: nudges.tenantId, kind: nudges.kind }).from(nudges).where(eq(nudges.id, job.data.nudgeId!)).get();
    const tenantId = row?.t;
    const count = (outcome: DeliveryOutcome) => this.opts.metrics?.delivery(row?.kind ?? 'unknown', outcome);
    const pause = tenantId === undefined ? undefined : this.pausedWorkspaces.get(tenantId);
    if (pause && token && pause.until.getTime() > Date.now()) {
      // The workspace refuses Steward as a whole: its messages wait, without spending an attempt.
      count('paused');
      await job.moveToDelayed(pause.until.getTime(), token);
      throw new DelayedError();
    }
    let queued = false;
    try {
      count(await deliverNudge(db, this.opts.port, job.data.nudgeId!, this.clock(), () => (queued = true), this.opts.logger));
      if (pause) this.resume(pause);
    } catch (e) {
      count(!(e instanceof DeliveryError) ? 'retry' : e.kind === 'permanent' ? 'failed' : e.kind === 'workspace' ? 'paused' : e.kind === 'rate-limited' ? 'rate-limited' : 'retry');
      if (!(e instanceof DeliveryError)) throw e;
      if (e.kind === 'permanent') throw new UnrecoverableError(e.message);
      if (e.kind === 'workspace' && tenantId !== undefined && token) {
        const { until, told } = await this.pause(tenantId, e.message);
        // The admins' notice of a new outage: queued now, it waits for the workspace like every other message.
        if (told) queued = true;
        await job.moveToDelayed(until.getTime(), token);
        throw new DelayedError();
      }
      if (e.kind === 'rate-limited' && token) {
        // Honour Retry-After without spending an attempt.
        await job.moveToDelayed(Date.now() + (e.retryAfterMs ?? DELIVERY_BACKOFF_MS), token);
        throw new DelayedError();
      }
      throw e;
    } finally {
      // A channel's refusal, told to people: their messages go out now, not at the next sweep.
      if (queued) await this.kick();
    }
  }

  /**
   * Pauses a workspace's delivery, or extends its pause. The log says so once
   * per outage (an error: an admin must fix the app's token or installation),
   * and again when delivery resumes; the workspace's admins are told once per
   * outage too (`told`: a notice was recorded), when the workspace works again.
   */
  private async pause(tenantId: number, reason: string): Promise<PausedWorkspace & { told?: boolean }> {
    const now = Date.now();
    const until = new Date(now + (this.opts.workspacePauseMs ?? WORKSPACE_PAUSE_MS));
    const known = this.pausedWorkspaces.get(tenantId);
    if (known) {
      if (known.until < until) known.until = until;
      known.reason = reason;
      return known;
    }
    const paused: PausedWorkspace = { tenantId, reason, since: new Date(now), until };
    this.pausedWorkspaces.set(tenantId, paused);
    this.opts.metrics?.paused();
    const tenant = await this.opts.db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    this.opts.logger?.error(
      { tenant: tenantId, platform: tenant?.platform, workspace: tenant?.workspaceId, reason },
      `a ${tenant?.platform ?? ''} workspace refuses Steward (${reason}): its messages are kept and delivery is tried again every few minutes; reinstall the app or renew its token`,
    );
    return { ...paused, told: await tellDeliveryPaused(this.opts.db, tenantId, reason, this.clock()) };
  }

  private resume(paused: PausedWorkspace): void {
    if (this.pausedWorkspaces.get(paused.tenantId) !== paused) return;
    this.pausedWorkspaces.delete(paused.tenantId);
    this.opts.logger?.info({ tenant: paused.tenantId, since: paused.since }, 'the workspace accepts Steward again: delivery resumed');
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.checker);
    clearInterval(this.leaseTimer);
    // Given up first, so another process sets the schedulers from its next try on.
    await this.serially(() => this.lease.release());
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([this.jobs.close(), this.delivery.close(), this.redis.status === 'wait' ? this.redis.disconnect() : this.redis.quit().catch(() => this.redis.disconnect())]);
  }

  /**
   * The queues' depths in Prometheus's text format (bullmq's own export, `bullmq_job_count` by queue
   * and state), both queues' samples under one HELP and TYPE per metric, as the format wants.
   */
  async prometheus(): Promise<string> {
    return mergeExposition(await Promise.all([this.jobs.exportPrometheusMetrics(), this.delivery.exportPrometheusMetrics()]));
  }

  /** For tests and operations: the queues' job counts. */
  async counts(): Promise<{ jobs: Record<string, number>; delivery: Record<string, number> }> {
    return { jobs: await this.jobs.getJobCounts(), delivery: await this.delivery.getJobCounts() };
  }
}

/** Several expositions of the same metrics (one per queue) as one: each metric's HELP and TYPE once, then all its samples. */
export function mergeExposition(texts: readonly string[]): string {
  const families = new Map<string, { head: string[]; samples: string[] }>();
  for (const text of texts) {
    let current: { head: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        const known = families.get(name);
        current = known ?? { head: [], samples: [] };
        if (!known) families.set(name, current);
        if (!current.head.some((h) => h.startsWith(`# ${meta[1]} `))) current.head.push(line);
      } else if (line.trim() !== '') {
        const name = /^[^{\s]+/.exec(line)![0];
        const family = families.get(name) ?? current;
        if (family) family.samples.push(line);
        else families.set(name, { head: [], samples: [line] });
      }
    }
  }
  return `${[...families.values()].flatMap((f) => [...f.head, ...f.samples]).join('\n')}\n`;
}

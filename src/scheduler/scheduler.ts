// The clock on bullmq: a sweep every few minutes, each tenant's weekly digest at
// its own hour in its own time zone, a timer per complaint rung, and a delivery
// queue that retries what retrying can fix. SQLite stays the source of truth:
// `reconcile` rebuilds every timer from it, so losing Redis loses nothing.
import { DelayedError, Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { and, eq } from 'drizzle-orm';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../../db/index.js';
import { complaints, tenants } from '../../db/schema.js';
import { DeliveryError, type ChatPort } from '../chat/port.js';
import type { Tenant } from '../domain/types.js';
import { digestAll, digestClock, digestDue } from './digest.js';
import { deliverNudge, pendingNudges, releaseStale } from './outbox.js';
import { nextRungAt, sweepTenant } from './sweep.js';

export const SWEEP_EVERY_MS = 15 * 60_000;
const DELIVERY_ATTEMPTS = 8;
const DELIVERY_BACKOFF_MS = 5_000;

type JobData = { tenantId?: number; complaintId?: number; nudgeId?: number };

export interface SchedulerOptions {
  db: Db;
  port: ChatPort;
  redis: RedisOptions;
  /** bullmq key prefix; tests use a fresh one each. */
  prefix?: string;
  clock?: () => Date;
  logger?: Logger;
}

export class Scheduler {
  private readonly jobs: Queue;
  private readonly delivery: Queue;
  private workers: Worker[] = [];
  private readonly clock: () => Date;

  constructor(private readonly opts: SchedulerOptions) {
    const base = this.base();
    this.jobs = new Queue('jobs', base);
    this.delivery = new Queue('delivery', base);
    this.clock = opts.clock ?? (() => new Date());
  }

  private base() {
    return { connection: this.opts.redis as ConnectionOptions, prefix: this.opts.prefix ?? 'steward' };
  }

  /** Starts the workers and rebuilds every timer from the database. */
  async start(): Promise<void> {
    const base = this.base();
    this.workers = [
      new Worker('jobs', (job: Job<JobData>) => this.runJob(job), { ...base, concurrency: 1 }),
      // A post takes about a second; a short lock lets another process take over a crashed one's jobs quickly.
      new Worker('delivery', (job: Job<JobData>, token?: string) => this.deliver(job, token), { ...base, concurrency: 4, lockDuration: 15_000, stalledInterval: 5_000 }),
    ];
    for (const w of this.workers) w.on('failed', (job, err) => this.opts.logger?.warn({ job: job?.name, id: job?.id, err: err.message }, 'job failed'));
    await this.reconcile();
  }

  async reconcile(): Promise<void> {
    await this.jobs.upsertJobScheduler('sweep', { every: SWEEP_EVERY_MS }, { name: 'sweep', data: {} });
    for (const tenant of this.opts.db.select().from(tenants).all()) await this.scheduleDigest(tenant);
    for (const c of this.opts.db.select().from(complaints).where(eq(complaints.status, 'open')).all()) await this.scheduleRung(c.tenantId, c.id);
    await this.kick();
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
    const c = this.opts.db.select().from(complaints).where(and(eq(complaints.id, complaintId), eq(complaints.status, 'open'))).get();
    const tenant = this.opts.db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
    if (!c || !tenant) return;
    const at = nextRungAt(tenant, c);
    if (!at) return;
    await this.jobs.add(
      'escalate',
      { tenantId, complaintId },
      { jobId: `escalate-${complaintId}-${c.escalationLevel + 1}`, delay: Math.max(0, at.getTime() - this.clock().getTime()), removeOnComplete: true, removeOnFail: 100 },
    );
  }

  /** Queues every pending nudge for delivery at its time; safe to call as often as you like. */
  async kick(): Promise<void> {
    const now = this.clock().getTime();
    for (const n of pendingNudges(this.opts.db)) {
      await this.delivery.add(
        'deliver',
        { nudgeId: n.id },
        {
          jobId: `nudge-${n.id}`,
          delay: Math.max(0, (n.notBefore?.getTime() ?? now) - now),
          attempts: DELIVERY_ATTEMPTS,
          backoff: { type: 'exponential', delay: DELIVERY_BACKOFF_MS },
          removeOnComplete: true,
          // A job that spent its attempts is dropped from Redis; its nudge stays pending in
          // SQLite, so the next kick (after a command with something to tell, after each sweep) queues it again.
          removeOnFail: true,
        },
      );
    }
  }

  private async runJob(job: Job<JobData>): Promise<void> {
    const now = this.clock();
    const db = this.opts.db;
    if (job.name === 'sweep') {
      for (const tenant of db.select().from(tenants).all()) {
        db.transaction((tx) => sweepTenant(tx, tenant, now), { behavior: 'immediate' });
        // A digest whose job was lost (Redis emptied while it waited, say) is recorded late rather than not at all.
        const due = digestDue(tenant, now);
        if (now >= due && tenant.createdAt < due) db.transaction((tx) => digestAll(tx, tenant, now), { behavior: 'immediate' });
        await this.scheduleDigest(tenant);
      }
      for (const c of db.select().from(complaints).where(eq(complaints.status, 'open')).all()) await this.scheduleRung(c.tenantId, c.id);
    } else if (job.name === 'digest' || job.name === 'escalate') {
      const tenant = db.select().from(tenants).where(eq(tenants.id, job.data.tenantId!)).get();
      if (!tenant) return;
      if (job.name === 'digest') db.transaction((tx) => digestAll(tx, tenant, now), { behavior: 'immediate' });
      else {
        db.transaction((tx) => sweepTenant(tx, tenant, now, { complaintId: job.data.complaintId! }), { behavior: 'immediate' });
        await this.scheduleRung(tenant.id, job.data.complaintId!);
      }
    }
    await this.kick();
    releaseStale(db);
  }

  private async deliver(job: Job<JobData>, token?: string): Promise<void> {
    let queued = false;
    try {
      await deliverNudge(this.opts.db, this.opts.port, job.data.nudgeId!, this.clock(), () => (queued = true));
    } catch (e) {
      if (!(e instanceof DeliveryError)) throw e;
      if (e.kind === 'permanent') throw new UnrecoverableError(e.message);
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

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([this.jobs.close(), this.delivery.close()]);
  }

  /** For tests and operations: the queues' job counts. */
  async counts(): Promise<{ jobs: Record<string, number>; delivery: Record<string, number> }> {
    return { jobs: await this.jobs.getJobCounts(), delivery: await this.delivery.getJobCounts() };
  }
}

// Which of several Steward processes sets the job schedulers (sweep, digests):
// the one holding a lease in Redis. bullmq's upsertJobScheduler called from
// several processes at once is known to double a scheduler's next job or lose
// it (taskforcesh/bullmq#2988, #3085), so only the holder calls it.
//
// The lease is one key, SET NX PX with a token of this process's own; the
// holder renews it (PEXPIRE, only while the key still holds its token) well
// within its time to live and deletes it (only if still its own) on shutdown.
// A holder that dies stops renewing: the key expires and the next process to
// try takes it, within one time to live. A Redis emptied loses the key too, and
// the next try (by the holder or another) takes it again.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Extends the lease only while it is still ours: 1 if renewed, 0 if it expired or another holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Gives the lease up only while it is still ours. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class Lease {
  /** This process's token: a key holding it is our lease. */
  readonly token = `${process.pid}:${randomUUID()}`;
  private heldNow = false;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly ttlMs: number,
  ) {}

  /** Whether the last try found the lease ours. */
  get held(): boolean {
    return this.heldNow;
  }

  /**
   * Renews the lease if it is ours, else takes it if nobody holds it. Resolves
   * to 'taken' when it became ours with this call (the caller sets the
   * schedulers then), 'kept' when it was ours and still is, 'other' when
   * another process holds it (or it could not be asked: Redis not answering).
   */
  async hold(): Promise<'taken' | 'kept' | 'other'> {
    try {
      if (this.heldNow && (await this.redis.eval(RENEW, 1, this.key, this.token, String(this.ttlMs))) === 1) return 'kept';
      this.heldNow = (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
      return this.heldNow ? 'taken' : 'other';
    } catch {
      // Unknown is not ours: better no process sets the schedulers for a moment than two at once.
      this.heldNow = false;
      return 'other';
    }
  }

  /** Gives the lease up, if ours, so another process takes it at its next try rather than after the time to live. */
  async release(): Promise<void> {
    const was = this.heldNow;
    this.heldNow = false;
    if (was) await this.redis.eval(RELEASE, 1, this.key, this.token).catch(() => {});
  }

  /** Who holds the lease now (its token), for operations and tests. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}

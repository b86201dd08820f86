// Who a platform user is (name, time zone, locale), looked up through the
// platform's API once per TTL, so a busy channel doesn't ask for every message.
// Concurrent first messages from one person share a single lookup.
import type { UserRef } from '../engine/engine.js';

const TTL_MS = 10 * 60_000;
/** People remembered at most; the longest-remembered are dropped first. */
const MAX_ENTRIES = 10_000;

export class UserCache {
  private readonly cache = new Map<string, { ref: Promise<UserRef>; at: number }>();
  constructor(private readonly lookup: (id: string, fallbackName?: string) => Promise<UserRef>) {}

  get(id: string, fallbackName?: string): Promise<UserRef> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.ref;
    const ref = this.lookup(id, fallbackName);
    this.cache.delete(id);
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, { ref, at: Date.now() });
    return ref;
  }

  /** Asks again next time (the lookup failed, and its fallback should not stick for the whole TTL). */
  forget(id: string): void {
    this.cache.delete(id);
  }
}

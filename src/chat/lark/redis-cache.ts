// A Lark store app's token cache in the Redis every Steward instance shares.
// Lark pushes the app_ticket (hourly, and after a resend) to whichever instance
// its HTTP request reaches; every other instance needs it to ask for an
// app_access_token, and then for each tenant's tenant_access_token. The SDK
// keeps all three through its `Cache` (get and set, by key and namespace): kept
// here, the ticket any instance received, and the tokens any instance was
// issued, serve them all.
import type { Cache } from '@larksuiteoapi/node-sdk';
import type { Redis } from 'ioredis';

/** A cache key as the SDK's `Cache` types it (`string | Symbol`). */
type Key = Parameters<Cache['get']>[0];

/** Where Steward's Lark keys live in Redis, apart from bullmq's. */
export const LARK_CACHE_PREFIX = 'steward:lark';

/** The SDK's key for a store app's tenant token (getMarketTenantAccessToken, node-sdk 1.74). */
const tenantTokenKey = (tenantKey: string) => `larkMarketAccessToken${tenantKey}`;

// The SDK's own keys are symbols (Symbol('app-ticket')) or strings; a symbol is stored under its description.
const name = (key: Key) => (typeof key === 'symbol' ? `sym:${key.description ?? ''}` : String(key));

export class RedisTokenCache {
  constructor(
    private readonly redis: Redis,
    private readonly appId: string,
    private readonly prefix = LARK_CACHE_PREFIX,
  ) {}

  private keyOf(key: Key, namespace?: string): string {
    return `${this.prefix}:${namespace ?? ''}:${name(key)}`;
  }

  async get(key: Key, options?: { namespace?: string }): Promise<unknown> {
    const raw = await this.redis.get(this.keyOf(key, options?.namespace));
    return raw === null ? undefined : (JSON.parse(raw) as unknown);
  }

  /** `expires` is an instant (ms since the epoch), as the SDK gives it; none: kept until replaced (the app_ticket). */
  async set(key: Key, value: unknown, expires?: number, options?: { namespace?: string }): Promise<boolean> {
    const k = this.keyOf(key, options?.namespace);
    const v = JSON.stringify(value ?? null);
    if (expires === undefined) await this.redis.set(k, v);
    else if (expires > Date.now()) await this.redis.set(k, v, 'PX', Math.floor(expires - Date.now()));
    else await this.redis.del(k);
    return true;
  }

  /** Drops the tenant's token (one Lark refused): the next call for that tenant asks Lark for a fresh one. */
  async forget(tenantKey?: string): Promise<void> {
    if (tenantKey) await this.redis.del(this.keyOf(tenantTokenKey(tenantKey), this.appId));
  }
}

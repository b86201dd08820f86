// The Lark client's token cache, Steward's own rather than the SDK's module-wide
// one, so that a token Lark refuses can be dropped: the SDK keeps a cached
// tenant_access_token until it expires (up to two hours), refused or not.
import type { Cache } from '@larksuiteoapi/node-sdk';

/** A cache key as the SDK's `Cache` types it (`string | Symbol`, the wrapper type, which the SDK's interface requires). */
type Key = Parameters<Cache['get']>[0];

interface Entry {
  value: unknown;
  /** When it expires (ms since the epoch), as the SDK says; none: never. */
  expires?: number;
}

const keyOf = (key: Key, namespace?: string) => `${namespace ?? ''}/${key.toString()}`;

/** The SDK's `Cache` (get and set, by key and namespace), with `forget()`. */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  async get(key: Key, options?: { namespace?: string }): Promise<unknown> {
    const e = this.entries.get(keyOf(key, options?.namespace));
    return e && (e.expires === undefined || e.expires > Date.now()) ? e.value : undefined;
  }

  async set(key: Key, value: unknown, expires?: number, options?: { namespace?: string }): Promise<boolean> {
    this.entries.set(keyOf(key, options?.namespace), { value, expires });
    return true;
  }

  /** Drops every token: the next call asks Lark for a fresh one. */
  forget(): void {
    this.entries.clear();
  }
}

// Lark open_id -> who they are for Steward (name and time zone from the contact
// API), cached so a busy group doesn't ask Lark for every message. The contact
// API has no language field (contact/v3 user: name, en_name, time_zone, status…),
// so a Lark member's locale is the tenant's (zh-CN unless changed) until they
// set their own with `/steward me locale:en`.
import type { Client } from '@larksuiteoapi/node-sdk';
import { IANAZone } from 'luxon';
import type { UserRef } from '../../engine/engine.js';
import { checkBody } from './errors.js';

const TTL_MS = 10 * 60_000;

export class LarkIdentity {
  private readonly cache = new Map<string, { ref: Promise<UserRef>; at: number }>();
  constructor(private readonly client: Client) {}

  /** Concurrent first messages from one person share a single contact lookup. */
  user(openId: string, fallbackName?: string): Promise<UserRef> {
    const hit = this.cache.get(openId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.ref;
    const ref = this.lookup(openId, fallbackName);
    this.cache.set(openId, { ref, at: Date.now() });
    return ref;
  }

  private async lookup(openId: string, fallbackName?: string): Promise<UserRef> {
    try {
      const res = checkBody(await this.client.contact.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }));
      const u = res.data?.user;
      if (u) {
        return {
          platformUserId: openId,
          name: u.name || u.en_name || u.nickname || fallbackName || openId,
          timezone: u.time_zone && IANAZone.isValidZone(u.time_zone) ? u.time_zone : undefined,
        };
      }
    } catch {
      // Without the contact scope (or with Lark down) the mention's own name still names them;
      // the next message asks again.
      this.cache.delete(openId);
    }
    return { platformUserId: openId, name: fallbackName || openId };
  }
}

// Lark open_id -> who they are for Steward (name and time zone from the contact
// API), cached (src/chat/user-cache.ts). The contact
// API has no language field (contact/v3 user: name, en_name, time_zone, status…),
// so a Lark member's locale is the tenant's (zh-CN unless changed) until they
// set their own with `/steward me locale:en`.
import { withTenantKey, type Client } from '@larksuiteoapi/node-sdk';
import { IANAZone } from 'luxon';
import type { UserRef } from '../../engine/engine.js';
import { UserCache } from '../user-cache.js';
import { checkBody } from './errors.js';

export class LarkIdentity {
  private readonly cache = new UserCache((id, fallbackName) => this.lookup(id, fallbackName));
  /** The SDK's option naming the tenant whose token asks (a store app's); none for a self-built app. */
  private readonly as: ReturnType<typeof withTenantKey> | undefined;
  constructor(
    private readonly client: Client,
    tenantKey?: string,
  ) {
    this.as = tenantKey ? withTenantKey(tenantKey) : undefined;
  }

  user(openId: string, fallbackName?: string): Promise<UserRef> {
    return this.cache.get(openId, fallbackName);
  }

  private async lookup(openId: string, fallbackName?: string): Promise<UserRef> {
    try {
      const res = checkBody(await this.client.contact.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }, this.as));
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
      this.cache.forget(openId);
    }
    // No news about them: it names a newcomer, and renames nobody.
    return { platformUserId: openId, name: fallbackName || openId, provisional: true, ...(fallbackName ? {} : { unnamed: true }) };
  }
}

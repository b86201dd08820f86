// Slack user -> who they are for Steward (name, time zone, locale), from
// users.info, cached so a busy channel doesn't ask Slack for every message.
import type { WebClient } from '@slack/web-api';
import type { Locale } from '../../../db/schema.js';
import type { UserRef } from '../../engine/engine.js';

const TTL_MS = 10 * 60_000;
const MENTION = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/;

export class SlackIdentity {
  private readonly cache = new Map<string, { ref: Promise<UserRef>; at: number }>();
  constructor(private readonly client: WebClient) {}

  /** Concurrent first messages from one person share a single users.info call. */
  user(id: string, fallbackName?: string): Promise<UserRef> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.ref;
    const ref = this.lookup(id, fallbackName);
    this.cache.set(id, { ref, at: Date.now() });
    return ref;
  }

  private async lookup(id: string, fallbackName?: string): Promise<UserRef> {
    try {
      const res = await this.client.users.info({ user: id, include_locale: true });
      const u = res.user;
      if (u) {
        return {
          platformUserId: id,
          name: u.profile?.display_name || u.real_name || u.name || fallbackName || id,
          timezone: u.tz || undefined,
          locale: toLocale(u.locale),
        };
      }
    } catch {
      // Without users.info (missing scope, Slack down) the mention's own label still names them.
    }
    return { platformUserId: id, name: fallbackName || id };
  }

  /** `<@U123>` or `<@U123|name>` in command text. */
  async mention(raw: string): Promise<UserRef | undefined> {
    const m = MENTION.exec(raw);
    return m ? this.user(m[1]!, m[2]) : undefined;
  }
}

export function toLocale(slackLocale: string | undefined): Locale | undefined {
  if (!slackLocale) return undefined;
  return slackLocale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

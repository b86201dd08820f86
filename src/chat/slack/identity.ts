// Slack user -> who they are for Steward (name, time zone, locale), from
// users.info, cached (src/chat/user-cache.ts).
import type { WebClient } from '@slack/web-api';
import type { Locale } from '../../../db/schema.js';
import type { UserRef } from '../../engine/engine.js';
import { UserCache } from '../user-cache.js';

const MENTION = /^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/;
const BY_ID = /^@([UW][A-Z0-9]+)$/;

export class SlackIdentity {
  private readonly cache = new UserCache((id, fallbackName) => this.lookup(id, fallbackName));
  constructor(private readonly client: WebClient) {}

  user(id: string, fallbackName?: string): Promise<UserRef> {
    return this.cache.get(id, fallbackName);
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
          ...(u.deleted ? { gone: true } : {}),
        };
      }
    } catch {
      // Without users.info (missing scope, Slack down) the mention's own label still names them;
      // the next command asks again.
      this.cache.forget(id);
    }
    // No news about them: it names a newcomer, and renames nobody.
    return { platformUserId: id, name: fallbackName || id, provisional: true, ...(fallbackName ? {} : { unnamed: true }) };
  }

  /** Asks users.info again next time (Slack reported a change to them). */
  forget(id: string): void {
    this.cache.forget(id);
  }

  /** `<@U123>` or `<@U123|name>` in command text. */
  async mention(raw: string): Promise<UserRef | undefined> {
    const m = MENTION.exec(raw);
    return m ? this.user(m[1]!, m[2]) : undefined;
  }

  /**
   * A mention in a button's command, which Steward wrote: `<@U123>`, or `@U123`
   * as a handler names a member by their platform id (/pair's Confirm).
   */
  async buttonMention(raw: string): Promise<UserRef | undefined> {
    const id = BY_ID.exec(raw)?.[1];
    return id ? this.user(id) : this.mention(raw);
  }
}

export function toLocale(slackLocale: string | undefined): Locale | undefined {
  if (!slackLocale) return undefined;
  return slackLocale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

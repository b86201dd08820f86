// The chat port for Slack: post to a channel, DM a member, reply in a thread, update a message.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Locale } from '../../../db/schema.js';
import type { Reply } from '../../engine/reply.js';
import type { ChatPort, Destination, PostedRef } from '../port.js';
import { toDeliveryError } from './errors.js';
import { renderFor } from './respond.js';

export class SlackPort implements ChatPort {
  readonly platform = 'slack' as const;
  /**
   * `logger` hears what had to be cut to fit Block Kit's limits; `locale` words
   * the "…and N more" of a reply that does not say which language it is in.
   */
  constructor(
    private readonly client: WebClient | (() => Promise<WebClient>),
    private readonly logger?: Pick<Logger, 'warn'>,
    private readonly locale: Locale = 'en',
    /** With OAuth: the port of each tenant, with its own token. */
    private readonly scoped?: (workspaceId: string) => ChatPort,
  ) {}

  forWorkspace(workspaceId: string): ChatPort {
    return this.scoped ? this.scoped(workspaceId) : this;
  }

  private async api(): Promise<WebClient> {
    return typeof this.client === 'function' ? this.client() : this.client;
  }

  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    const { blocks, text } = renderFor(reply, this.logger, this.locale);
    // A DM goes to the user's id: Slack opens (or reuses) the app's conversation with them.
    const channel = 'channel' in to ? to.channel : to.dm.platformUserId;
    try {
      const res = await (await this.api()).chat.postMessage({ channel, blocks, text, thread_ts: thread?.ts, unfurl_links: false });
      return { channel: res.channel ?? channel, ts: thread?.ts ?? res.ts! };
    } catch (e) {
      throw toDeliveryError(e);
    }
  }

  async update(ref: PostedRef, reply: Reply): Promise<void> {
    const { blocks, text } = renderFor(reply, this.logger, this.locale);
    try {
      await (await this.api()).chat.update({ channel: ref.channel, ts: ref.ts, blocks, text });
    } catch (e) {
      throw toDeliveryError(e);
    }
  }
}

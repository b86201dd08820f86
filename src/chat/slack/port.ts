// The chat port for Slack: post to a channel, DM a member, reply in a thread, update a message.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Locale } from '../../../db/schema.js';
import { chartSparklines, clean } from '../../engine/render-text.js';
import type { ChartTone, Reply } from '../../engine/reply.js';
import type { ChatPort, Destination, PostedRef } from '../port.js';
import { toDeliveryError } from './errors.js';
import { chartsPicture } from './picture.js';
import { renderFor } from './respond.js';

/** The colour of each tone as Slack's emoji squares, for the key the picture itself leaves out. */
const TONE_SQUARE: Record<ChartTone, string> = { good: '🟩', warn: '🟧', bad: '🟥', accent: '🟦' };
/** Slack's limit on an image's alt text. */
const ALT_TEXT_MAX = 1000;

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
    return typeof this.client === 'function' ? await this.client() : this.client;
  }

  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    const { blocks, text } = renderFor(reply, this.logger, this.locale);
    // A DM goes to the user's id: Slack opens (or reuses) the app's conversation with them.
    const channel = 'channel' in to ? to.channel : to.dm.platformUserId;
    let posted: PostedRef;
    try {
      const res = await (await this.api()).chat.postMessage({ channel, blocks, text, thread_ts: thread?.ts, unfurl_links: false });
      posted = { channel: res.channel ?? channel, ts: thread?.ts ?? res.ts! };
    } catch (e) {
      throw toDeliveryError(e);
    }
    await this.picture(posted.channel, reply, thread);
    return posted;
  }

  /**
   * A reply's charts as a picture, after the message that carries them as tables: Slack has no chart
   * block. The message is delivered already, so a picture Slack will not take (no files:write scope,
   * a failed upload) is logged and left out, never a failed delivery.
   */
  private async picture(channel: string, reply: Reply, thread?: PostedRef): Promise<void> {
    const charts = reply.sections.flatMap((s) => (s.type === 'chart' ? [s.chart] : []));
    if (!charts.length) return;
    try {
      const { png } = chartsPicture(charts);
      // A Chinese heading takes a full-width colon.
      const colon = (reply.locale ?? this.locale) === 'zh-CN' ? '：' : ': ';
      const key = charts.map((c) => `${clean(c.heading)}${colon}${c.series.map((s) => `${TONE_SQUARE[s.tone]} ${clean(s.label)}`).join(' · ')}`).join('\n');
      const file = {
        file: png,
        filename: 'trends.png',
        title: charts
          .map((c) => clean(c.heading))
          .join(' · ')
          .slice(0, 250),
        alt_text: charts.flatMap(chartSparklines).join('\n').slice(0, ALT_TEXT_MAX),
        initial_comment: key,
      };
      await (await this.api()).filesUploadV2(thread ? { ...file, channel_id: channel, thread_ts: thread.ts } : { ...file, channel_id: channel });
    } catch (e) {
      this.logger?.warn({ err: e }, 'Slack picture of the charts not sent; the message carries them as tables');
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

// The chat port for Lark: post to a chat, DM a member, reply in a thread, update a card.
// A channel is a chat_id (oc_…); a DM goes to the member's open_id; a thread is
// Lark's reply_in_thread under the first message, whose id is the thread's ref.
import { withTenantKey, type Client } from '@larksuiteoapi/node-sdk';
import type { Logger } from 'pino';
import type { Locale } from '../../../db/schema.js';
import type { Reply } from '../../engine/reply.js';
import { DeliveryError, type ChatPort, type Destination, type PostedRef } from '../port.js';
import { escapeText, renderCard, type LarkCard } from './cards.js';
import { ChatNames } from './chat-names.js';
import { checkBody, LarkRefusal, toDeliveryError } from './errors.js';

export type ReceiveIdType = 'open_id' | 'chat_id';

/** Lark refusing the card itself ("the card content is invalid", "the content is too long"): its words go as text instead, whose limit is 150 KB. */
const CARD_REFUSED = new Set([230099, 230025]);

/** Lark refusing the access token (revoked early, the app secret reset): a fresh one may pass. */
const TOKEN_REFUSED = new Set([99991663, 99991664, 99991671]);

export interface LarkPortOptions {
  locale: Locale;
  logger?: Logger;
  /** The token cache, to drop a token Lark refused (for one tenant, in a store app's). */
  tokens?: { forget(tenantKey?: string): void | Promise<void> };
  /**
   * A store app (LARK_APP_TYPE=isv): every tenant is reached with its own tenant token,
   * so every call names its tenant (`forWorkspace`); a self-built app's one token serves all.
   */
  perTenant?: boolean;
  /** Asks Lark to push a fresh app_ticket (a store app's, when Lark refused the one it has). */
  resendTicket?: () => Promise<void>;
}

/** Lark's answer to a call sent with no token: a store app's SDK had none to give (no app_ticket yet). */
const NO_TOKEN = 99991661;

/**
 * A store app's tenant token could not be had: the SDK sent the call with none (it had no app_ticket, and has asked
 * Lark for one), or Lark refused the ticket or app token on the way to one (a ticket too old). Not the tenant's fault.
 */
function ticketTrouble(e: unknown, err: DeliveryError): boolean {
  const url = (e as { config?: { url?: unknown } } | undefined)?.config?.url;
  if (typeof url === 'string' && /\/open-apis\/auth\/v3\/(app|tenant)_access_token$/.test(url)) return true;
  if (e instanceof Error && /^failed to get (app|tenant)_access_token/.test(e.message)) return true;
  return err instanceof LarkRefusal && err.code === NO_TOKEN;
}

/** Tenants whose ports are kept (each keeps the chat names it looked up). */
const MAX_TENANT_PORTS = 1_000;

export class LarkPort implements ChatPort {
  readonly platform = 'lark' as const;
  /** The SDK's request option naming the tenant whose token a call uses (a store app's); none for a self-built app. */
  private readonly as: ReturnType<typeof withTenantKey> | undefined;
  private readonly tenants = new Map<string, LarkPort>();
  constructor(
    private readonly client: Client,
    private readonly opts: LarkPortOptions,
    /** The tenant this port speaks for (a store app's); none: the app's own tenant. */
    readonly tenantKey?: string,
  ) {
    this.as = tenantKey ? withTenantKey(tenantKey) : undefined;
  }

  /** The port that reaches `workspaceId` (a Lark tenant_key): itself for a self-built app, that tenant's for a store app. */
  forWorkspace(workspaceId: string): LarkPort {
    if (!this.opts.perTenant || workspaceId === this.tenantKey) return this;
    let port = this.tenants.get(workspaceId);
    if (!port) {
      if (this.tenants.size >= MAX_TENANT_PORTS) this.tenants.delete(this.tenants.keys().next().value!);
      port = new LarkPort(this.client, this.opts, workspaceId);
      this.tenants.set(workspaceId, port);
    }
    return port;
  }

  /** Chats named by their names in what Steward sends (an admin told the escalation group refuses it). */
  private readonly chats = new ChatNames(async (chatId) => {
    const res = await this.call(() => this.client.im.chat.get({ path: { chat_id: chatId } }, this.as).then(checkBody));
    return res.data?.name || undefined;
  });

  /** Runs a call; if Lark refuses its token, once more with a fresh one. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = toDeliveryError(e);
      if (this.opts.perTenant && ticketTrouble(e, err)) {
        // It waits for the ticket Lark pushes (hourly, or now: asked for) rather than pausing the tenant's delivery.
        this.opts.logger?.warn({ err: e, tenant: this.tenantKey }, 'no tenant token yet: waiting for the app_ticket Lark pushes');
        if (!(err instanceof LarkRefusal && err.code === NO_TOKEN)) await this.opts.resendTicket?.();
        throw new DeliveryError('transient', `no tenant token for ${this.tenantKey ?? 'a call naming no tenant'} yet: waiting for Lark's app_ticket (${err.message})`);
      }
      if (!(this.opts.tokens && err instanceof LarkRefusal && TOKEN_REFUSED.has(err.code))) throw err;
      this.opts.logger?.warn({ err }, 'Lark refused the access token; asking for a new one');
      await this.opts.tokens.forget(this.tenantKey);
      return fn();
    }
  }

  private render(reply: Reply) {
    const out = renderCard(reply, { locale: reply.locale ?? this.opts.locale });
    if (out.warnings.length) this.opts.logger?.warn({ warnings: out.warnings }, 'Lark card cut to fit');
    return out;
  }

  /** `reply` with the Lark chats it names given their names, where Lark tells them. */
  named(reply: Reply): Promise<Reply> {
    return this.chats.name(reply);
  }

  async post(to: Destination, reply: Reply, thread?: PostedRef): Promise<PostedRef> {
    const { card, text } = this.render(await this.chats.name(reply));
    if (thread) {
      await this.reply(thread.ts, card, text, true);
      return thread;
    }
    const [type, id] = 'channel' in to ? (['chat_id', to.channel] as const) : (['open_id', to.dm.platformUserId] as const);
    return this.send(type, id, card, text);
  }

  /** Sends a card; if Lark refuses the card itself, the same words as plain text. */
  async send(type: ReceiveIdType, id: string, card: LarkCard, text: string): Promise<PostedRef> {
    const create = (msg_type: 'interactive' | 'text', content: string) =>
      this.call(() => this.client.im.message.create({ params: { receive_id_type: type }, data: { receive_id: id, msg_type, content } }, this.as).then(checkBody));
    const res = await this.withFallback(
      () => create('interactive', JSON.stringify(card)),
      () => create('text', JSON.stringify({ text: escapeText(text) })),
    );
    return { channel: res.data?.chat_id ?? id, ts: res.data!.message_id! };
  }

  /** Answers a message: in its thread when `inThread`, otherwise as a quoted reply in the chat. */
  async reply(messageId: string, card: LarkCard, text: string, inThread: boolean): Promise<PostedRef> {
    const send = (msg_type: 'interactive' | 'text', content: string) =>
      this.call(() => this.client.im.message.reply({ path: { message_id: messageId }, data: { msg_type, content, reply_in_thread: inThread } }, this.as).then(checkBody));
    const res = await this.withFallback(
      () => send('interactive', JSON.stringify(card)),
      () => send('text', JSON.stringify({ text: escapeText(text) })),
    );
    return { channel: res.data?.chat_id ?? '', ts: res.data!.message_id! };
  }

  /**
   * A card in a group chat that only `openId` sees (Lark's ephemeral card API:
   * cards only, groups only). Resolves with its message id.
   */
  async ephemeral(chatId: string, openId: string, card: LarkCard): Promise<string> {
    try {
      const res = (await this.call(() =>
        this.client
          .request({ method: 'POST', url: '/open-apis/ephemeral/v1/send', data: { chat_id: chatId, open_id: openId, msg_type: 'interactive', card } }, this.as)
          .then(checkBody),
      )) as { data?: { message_id?: string } };
      return res.data?.message_id ?? '';
    } catch (e) {
      throw toDeliveryError(e);
    }
  }

  async update(ref: PostedRef, reply: Reply): Promise<void> {
    const { card } = this.render(await this.chats.name(reply));
    try {
      await this.call(() => this.client.im.message.patch({ path: { message_id: ref.ts }, data: { content: JSON.stringify(card) } }, this.as).then(checkBody));
    } catch (e) {
      throw toDeliveryError(e);
    }
  }

  /** Replaces a card already sent (one a click redrew after Lark stopped waiting for the callback's answer). */
  async patch(messageId: string, card: LarkCard): Promise<void> {
    try {
      await this.call(() => this.client.im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(card) } }, this.as).then(checkBody));
    } catch (e) {
      throw toDeliveryError(e);
    }
  }

  private async withFallback<T>(card: () => Promise<T>, text: () => Promise<T>): Promise<T> {
    try {
      return await card();
    } catch (e) {
      const err = toDeliveryError(e);
      if (!(err instanceof LarkRefusal && CARD_REFUSED.has(err.code))) throw err;
      this.opts.logger?.warn({ err }, 'Lark refused a card; sending its text instead');
      try {
        return await text();
      } catch (e2) {
        throw toDeliveryError(e2);
      }
    }
  }
}

export { DeliveryError };

// Steward on Lark / Feishu, on @larksuiteoapi/node-sdk. One EventDispatcher
// behind either transport: the long connection (WSClient, the default, no public
// URL needed) or HTTP at POST /lark/events and /lark/cards (LARK_MODE=http).
//
// Lark has no slash commands: the text a Slack user would type is sent to the
// bot in a direct chat, or with an @mention in a group. Every event is
// processed once (its event_id is kept, across restarts, for longer than Lark
// keeps redelivering): a command's event is recorded in the command's own
// transaction, so one lost to a crash is run when Lark delivers it again, and
// stop() finishes every event already taken. In a group, an answer for the
// asker is an ephemeral card only they see. Over HTTP, a request signed
// outside a 5-minute window, or whose signature was seen before, is refused.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as lark from '@larksuiteoapi/node-sdk';
import type { RedisOptions } from 'ioredis';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { catalog } from '../../../prompts/index.js';
import type { Config } from '../../config.js';
import type { Engine, Incoming, MentionResolver, Outcome, UserRef } from '../../engine/engine.js';
import { Inbound } from '../../engine/inbound.js';
import { headline } from '../../engine/render-text.js';
import type { About } from '../../engine/reply.js';
import type { FormSpec } from '../../engine/spec.js';
import { formCommandText, withText, type FormCommand, type FormValues } from '../../engine/forms.js';
import { SIGNATURE_WINDOW_MS, readBody, type FirstRequest } from '../replay.js';
import { aboutOf, askCard, formCard, PICKER_MAX_OPTIONS, renderCard, type LarkCard, type RenderedCard } from './cards.js';
import { LarkIdentity } from './identity.js';
import { readiness } from '../port.js';
import { LarkPort } from './port.js';
import { RedisTokenCache } from './redis-cache.js';
import { TokenCache } from './token-cache.js';

export const LARK_EVENTS_PATH = '/lark/events';
export const LARK_CARDS_PATH = '/lark/cards';
/** Lark's own requests are small; anything larger is not Lark. */
const MAX_BODY_BYTES = 1024 * 1024;
/** How often a store app asks Lark to push the app_ticket again when Lark refused the one it had. */
const RESEND_EVERY_MS = 60_000;
/** Tenants whose identities and bot ids a store app keeps at once. */
const MAX_TENANTS_KEPT = 1_000;
/** Requests to the Open API give up after this, below the outbox's 30 s claim lease. */
const API_TIMEOUT_MS = 10_000;

/** The bot menu (application.bot.menu_v6): the event_key configured in the developer console -> command. */
export const MENU: Readonly<Record<string, string>> = {
  help: '/steward help',
  my_accounts: '/account list mine',
  my_digest: '/digest',
  log_touch: '/touch',
  log_complaint: '/complaint',
};

export interface LarkOptions {
  config: Config;
  engine: Engine;
  logger: Logger;
  /** Delivers (or queues) what a command asked Steward to tell others. */
  afterCommand: () => Promise<void>;
  /** Why Steward is not ready (database, Redis, delivery paused), for `GET /readyz`; ready when empty or unset. */
  ready?: () => Promise<string[]>;
  /** How long a contact lookup may hold up an answer (Inbound's LOOKUP_BUDGET_MS unless a test says otherwise). */
  lookupBudgetMs?: number;
  /**
   * How long Lark's request waits for what a command answers (Inbound's
   * ACK_BUDGET_MS unless a test says otherwise): Lark gives an event 3 seconds
   * before it delivers it again, and a card callback 3 before the click fails.
   */
  ackBudgetMs?: number;
  /**
   * The Redis every instance shares: a store app (LARK_APP_TYPE=isv) keeps its app_ticket and its
   * tenants' tokens there, so any instance can use the ticket Lark pushed to another. Required for one.
   */
  redis?: RedisOptions;
}

export interface LarkApp {
  client: lark.Client;
  port: LarkPort;
  /** The HTTP server (events and cards in HTTP mode, /healthz in both). */
  server: Server;
  /** Reads the bot's info; then, unless `listen` is false (a worker instance: delivery only), opens the port and the long connection. */
  start(opts?: { listen?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** `feishu`, `lark`, or a base URL (a private deployment, or a test server). */
export function larkDomain(d: string): lark.Domain | string {
  return d === 'feishu' ? lark.Domain.Feishu : d === 'lark' ? lark.Domain.Lark : d.replace(/\/+$/, '');
}

/** The SDK's log lines into ours; its `info` is chatty, so it goes to debug. */
function sdkLogger(logger: Logger) {
  const line = (m: unknown[]) => m.map((x) => (x instanceof Error ? x.message : typeof x === 'string' ? x : JSON.stringify(x))).join(' ');
  return {
    // The SDK logs every failed request at error before throwing it; Steward handles (and logs) those itself.
    error: (...m: unknown[]) => logger.warn({ sdk: 'lark' }, line(m)),
    warn: (...m: unknown[]) => logger.warn({ sdk: 'lark' }, line(m)),
    info: (...m: unknown[]) => logger.debug({ sdk: 'lark' }, line(m)),
    debug: (...m: unknown[]) => logger.trace({ sdk: 'lark' }, line(m)),
    trace: (...m: unknown[]) => logger.trace({ sdk: 'lark' }, line(m)),
  };
}

// The parts of Lark's events Steward reads (schema 2.0, as the SDK flattens them: header fields and event fields side by side).
interface LarkMention {
  key: string;
  id: { open_id?: string };
  name: string;
}
interface MessageEvent {
  event_id?: string;
  tenant_key?: string;
  sender: { sender_id?: { open_id?: string }; sender_type?: string; tenant_key?: string };
  message: { message_id: string; chat_id: string; chat_type: string; thread_id?: string; root_id?: string; message_type: string; content: string; mentions?: LarkMention[] };
}
interface CardActionEvent {
  event_id?: string;
  tenant_key?: string;
  operator: { open_id: string; tenant_key?: string };
  action: { value?: unknown; form_value?: Record<string, unknown>; name?: string };
  context?: { open_message_id?: string; open_chat_id?: string };
}
interface MenuEvent {
  event_id?: string;
  tenant_key?: string;
  operator: { operator_name?: string; operator_id: { open_id: string } };
  event_key: string;
}
interface UserEvent {
  event_id?: string;
  tenant_key?: string;
  object: { open_id: string; status?: { is_resigned?: boolean } };
}

interface ChatEvent {
  event_id?: string;
  tenant_key?: string;
  chat_id: string;
  operator_id?: { open_id?: string };
}

type CardResponse = { toast?: { type: 'success' | 'error' | 'info' | 'warning'; content: string }; card?: { type: 'raw'; data: LarkCard } };

/** Text a message carries: a text message's text, or a rich-text post's words and mentions. */
export function messageText(type: string, content: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (type === 'text') return typeof (body as { text?: unknown }).text === 'string' ? (body as { text: string }).text : undefined;
  if (type !== 'post') return undefined;
  // A post is { title, content: [[{tag:'text', text}, {tag:'at', user_id:'@_user_1'}...], ...] }, sometimes under a locale key.
  const post = (body as { content?: unknown }).content ? body : Object.values(body as Record<string, unknown>)[0];
  const lines = (post as { content?: { tag: string; text?: string; user_id?: string }[][] } | undefined)?.content;
  if (!Array.isArray(lines)) return undefined;
  return lines.map((l) => l.map((el) => (el.tag === 'text' || el.tag === 'a' ? (el.text ?? '') : el.tag === 'at' ? ` ${el.user_id ?? ''} ` : '')).join('')).join('\n');
}

/** A mention key (`@_user_1`) as a whole word, so that `@_user_10` is not cut with it. */
const mentionKey = (key: string) => new RegExp(`${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z_])`, 'g');

const toast = (type: NonNullable<CardResponse['toast']>['type'], reply: Outcome['reply']) => ({ type, content: headline(reply).slice(0, 200) });

export function createLarkApp(opts: LarkOptions): LarkApp {
  const { config, engine, logger } = opts;
  const domain = larkDomain(config.LARK_DOMAIN);
  const sdkLog = sdkLogger(logger);
  // The SDK's axios instance has no timeout of its own.
  lark.defaultHttpInstance.defaults.timeout = API_TIMEOUT_MS;
  // A store app has a token per tenant, from an app_ticket Lark pushes to one instance: both kept in the shared Redis.
  const isv = config.LARK_APP_TYPE === 'isv';
  if (isv && !opts.redis) throw new Error('a Lark store app (LARK_APP_TYPE=isv) keeps its app_ticket in Redis: pass `redis`');
  const redis = isv ? new Redis({ ...opts.redis, maxRetriesPerRequest: 2 }) : undefined;
  redis?.on('error', (err) => logger.debug({ err }, 'Lark token cache: Redis connection error'));
  const tokens = redis ? new RedisTokenCache(redis, config.LARK_APP_ID!) : new TokenCache();
  const client = new lark.Client({
    appId: config.LARK_APP_ID!,
    appSecret: config.LARK_APP_SECRET!,
    appType: isv ? lark.AppType.ISV : lark.AppType.SelfBuild,
    domain,
    logger: sdkLog,
    loggerLevel: lark.LoggerLevel.warn,
    cache: tokens,
  });
  // Lark refusing the ticket on the way to a token asks for a fresh one, at most once a minute.
  let resentAt = 0;
  const resendTicket = async () => {
    if (Date.now() - resentAt < RESEND_EVERY_MS) return;
    resentAt = Date.now();
    await client.tokenManager.appTicketManager.requestAppTicket();
  };
  const root = new LarkPort(client, { locale: 'zh-CN', logger, tokens, perTenant: isv, resendTicket });
  /** The port that reaches a tenant: a store app's calls each carry their tenant's token. */
  const portOf = (tenantKey: string | undefined) => (tenantKey ? root.forWorkspace(tenantKey) : root);
  const identities = new Map<string, LarkIdentity>();
  const selfBuilt = new LarkIdentity(client);
  /** Who is who in a tenant, asked with its token (a self-built app's one identity serves its one tenant). */
  const identityOf = (tenantKey: string): LarkIdentity => {
    if (!isv) return selfBuilt;
    let found = identities.get(tenantKey);
    if (!found) {
      if (identities.size >= MAX_TENANTS_KEPT) identities.delete(identities.keys().next().value!);
      found = new LarkIdentity(client, tenantKey);
      identities.set(tenantKey, found);
    }
    return found;
  };
  let botOpenId: string | undefined;
  // A store app reads its bot's open_id in each tenant, when first needed (at start it has no tenant to ask as).
  const botIds = new Map<string, Promise<string | undefined>>();
  const botOf = (tenantKey: string): Promise<string | undefined> => {
    if (!isv) return Promise.resolve(botOpenId);
    let found = botIds.get(tenantKey);
    if (!found) {
      if (botIds.size >= MAX_TENANTS_KEPT) botIds.delete(botIds.keys().next().value!);
      found = readBotId(lark.withTenantKey(tenantKey)).then((id) => (id === undefined && botIds.delete(tenantKey), id));
      botIds.set(tenantKey, found);
    }
    return found;
  };
  const readBotId = async (as?: ReturnType<typeof lark.withTenantKey>): Promise<string | undefined> => {
    try {
      const info = (await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }, as)) as { code?: number; bot?: { open_id?: string } };
      return info.bot?.open_id;
    } catch (err) {
      logger.warn({ err }, 'could not read the bot info; a group message’s leading @mention is taken to be the bot');
      return undefined;
    }
  };
  // Replies still being sent after Lark got its answer: stop() waits for them.
  const inFlight = new Set<Promise<unknown>>();
  const later = (what: string, work: () => Promise<unknown>) => {
    const p = work()
      .catch((err: unknown) => logger.error({ err }, what))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const deliver = () => later('delivery after a command failed', opts.afterCommand);
  const inbound = new Inbound(engine, {
    lookupBudgetMs: opts.lookupBudgetMs,
    ackBudgetMs: opts.ackBudgetMs,
    logger,
    afterCommand: deliver,
    onError: (err) => logger.warn({ err }, 'could not record what the contact API said'),
  });

  const who = async (tenantKey: string, openId: string, fallbackName?: string, chatId?: string): Promise<Incoming> => ({
    platform: 'lark',
    workspaceId: tenantKey,
    // Lark waits 3 seconds for a card callback's answer: a slow contact lookup is not waited for.
    user: await inbound.who('lark', tenantKey, { platformUserId: openId, name: fallbackName }, identityOf(tenantKey).user(openId, fallbackName)),
    text: '',
    chatId,
    tenantLocale: 'zh-CN',
  });

  const formOf = (text: string) => inbound.formOf(text);

  /** A form card, and what the person is told if it cannot be sent. */
  const formFor = async (incoming: Incoming, kind: FormCommand, account?: string): Promise<{ card: LarkCard; failed: RenderedCard }> => {
    const { locale, accounts } = await inbound.formPicker(incoming, PICKER_MAX_OPTIONS + 1);
    const { typed, form } = inbound.typedForm(kind);
    return { card: formCard(kind, locale, accounts, account), failed: formFailed(locale, typed, form) };
  };
  /** Sent in place of a form Lark would not take: what to type instead (`typed`, a usage line), in `locale`. */
  const formFailed = (locale: Outcome['locale'], typed: string, form?: FormSpec): RenderedCard => renderCard(inbound.formFailed(locale, 'lark', typed, form), { locale });
  /**
   * Sends a form card with `send`; one Lark will not take is never silent: where Lark takes text but not the
   * card, the text says what to type instead, and on any other failure that is sent as a card of its own.
   */
  const offerForm = (send: (card: LarkCard, text: string) => Promise<unknown>, card: LarkCard, failed: RenderedCard) =>
    later('could not send a Lark form, nor say what to type instead', async () => {
      try {
        await send(card, failed.text);
      } catch (err) {
        logger.warn({ err }, 'could not send a Lark form; telling the user what to type instead');
        await send(failed.card, failed.text);
      }
    });
  /** The form as a new card in the person's DM (from a button or the bot menu, which have no message to answer). */
  const sendForm = async (incoming: Incoming, kind: FormCommand, account?: string) => {
    const { card, failed } = await formFor(incoming, kind, account);
    offerForm((c, text) => portOf(incoming.workspaceId).send('open_id', incoming.user.platformUserId, c, text), card, failed);
  };

  /** Runs command text; `eventId` is seen in the command's own transaction, so a redelivery after a crash runs it, and after a commit does not. */
  const run = (incoming: Incoming, text: string, resolve?: MentionResolver, eventId?: string): Promise<Outcome> => inbound.run({ ...incoming, text, dedupeKey: eventId }, resolve);
  /** For what writes nothing but an answer (a hint, a form): the event is seen at once. */
  const firstSight = async (eventId: string | undefined) => !eventId || (await engine.firstSight('lark', eventId));

  // A card carries no mention keys, so a handler's button names a person as `@<open_id>` (see /pair's Confirm): the same contact lookup as a mention.
  const byOpenId =
    (tenantKey: string): MentionResolver =>
    async (raw) => {
      const openId = /^@(ou_[A-Za-z0-9_-]+)$/.exec(raw)?.[1];
      return openId ? await inbound.who('lark', tenantKey, { platformUserId: openId }, identityOf(tenantKey).user(openId)) : undefined;
    };

  const rendered = (out: Outcome) => renderCard(out.reply, { locale: out.locale });

  // A message to the bot: a DM, or a group message that mentions it.
  async function onMessage(e: MessageEvent): Promise<void> {
    const openId = e.sender.sender_id?.open_id;
    const tenantKey = e.tenant_key ?? e.sender.tenant_key;
    if (e.sender.sender_type !== 'user' || !openId || !tenantKey) return;
    const port = portOf(tenantKey);
    const m = e.message;
    const group = m.chat_type !== 'p2p';
    // In a group, an answer for the sender alone is theirs alone: an ephemeral card only they see (or, where Lark
    // refuses one, their DM); only a public reply answers the message for everyone.
    const send = async (card: LarkCard, text: string, visibility: 'public' | 'ephemeral' = 'ephemeral') =>
      !group
        ? port.send('chat_id', m.chat_id, card, text)
        : visibility === 'public'
          ? port.reply(m.message_id, card, text, Boolean(m.thread_id))
          : await privately(port, m.chat_id, openId, card, text);
    const answer = (card: LarkCard, text: string, visibility: 'public' | 'ephemeral' = 'ephemeral') => later('could not answer a Lark message', () => send(card, text, visibility));

    const raw = messageText(m.message_type, m.content);
    const said = raw === undefined ? undefined : commandOf(raw, m.mentions ?? [], group, group ? await botOf(tenantKey) : undefined);
    // An app allowed to read every group message still answers only what is said to it.
    if (said && !said.addressed) return;
    if (outsider(tenantKey, e.sender.tenant_key)) return (await firstSight(e.event_id)) ? answer(...refusal(), 'public') : undefined;
    const incoming = await who(tenantKey, openId, undefined, group ? m.chat_id : undefined);
    const kind = said && formOf(said.text);
    if ((!said || kind) && !(await firstSight(e.event_id))) return;
    if (!said) {
      const locale = await engine.view(incoming, (ctx) => ctx.locale);
      const { card, text } = renderCard({ tone: 'info', title: catalog(locale).lark.textOnly, sections: [], buttons: [], visibility: 'ephemeral' }, { locale });
      return answer(card, text);
    }
    if (kind) {
      const { card, failed } = await formFor(incoming, kind);
      return offerForm(send, card, failed);
    }
    const out = await run(incoming, said.text, async (key) => said.mentions.get(key), e.event_id);
    if (out.duplicate) return;
    // A chat the answer names is named by its name, looked up after Lark has its answer to the event.
    later('could not answer a Lark message', async () => {
      const { card, text: fallback } = rendered({ ...out, reply: await port.named(out.reply) });
      return send(card, fallback, out.reply.visibility);
    });
  }

  /** A card in a group that only `openId` sees; where Lark will not show one, it goes to their DM. */
  async function privately(port: LarkPort, chatId: string, openId: string, card: LarkCard, text: string): Promise<unknown> {
    try {
      return await port.ephemeral(chatId, openId, card);
    } catch (err) {
      logger.warn({ err }, 'Lark refused an ephemeral card; sending it to the DM');
      return port.send('open_id', openId, card, text);
    }
  }

  /** The command in a message's text: the bot's own mention is how it reached the bot, not part of the command; other mentions are members. */
  function commandOf(raw: string, found: LarkMention[], group: boolean, botOpenId: string | undefined) {
    const mentions = new Map<string, UserRef>();
    let text = raw;
    let addressed = !group;
    for (const mention of found) {
      const mentionOpenId = mention.id.open_id;
      if (mentionOpenId && mentionOpenId === botOpenId) {
        // The whole key only: cutting `@_user_1` must leave `@_user_10` alone.
        text = text.replace(mentionKey(mention.key), ' ');
        addressed = true;
      } else if (mentionOpenId) mentions.set(mention.key, { platformUserId: mentionOpenId, name: mention.name });
    }
    // Without the bot's id (bot info unavailable), a group message's leading mention is taken to be the bot.
    if (!botOpenId && group && /^\s*@_user_\d+/.test(text)) {
      text = text.replace(/^\s*@_user_\d+/, ' ');
      addressed = true;
    }
    return { text: text.trim() || 'help', addressed, mentions };
  }

  // In an external group Lark delivers messages and clicks from people of other organisations too: the header's
  // tenant is the one that installed the app, the sender's is their own. They are not members and see nothing.
  const outsider = (tenantKey: string, senderTenant: string | undefined) => Boolean(senderTenant && senderTenant !== tenantKey);
  /** Both languages: an outsider is no member, so Steward knows neither their language nor their tenant's. */
  const refusal = (): [LarkCard, string] => {
    const words = `${catalog('zh-CN').lark.outsider}\n${catalog('en').lark.outsider}`;
    const { card, text } = renderCard({ tone: 'warning', title: undefined, sections: [{ type: 'text', text: words }], buttons: [], visibility: 'ephemeral' }, { locale: 'zh-CN' });
    return [card, text];
  };

  /** The chat's card of what `about` names, as it is now, in the workspace's language. */
  const redrawn = async (incoming: Incoming, about: About): Promise<LarkCard | undefined> => {
    const fresh = await inbound.sharedCard(incoming, about);
    return fresh && renderCard(fresh, { locale: fresh.locale }).card;
  };

  // A card button or a card form: the same command text, the same engine, the same checks; the card updates in place.
  async function onCardAction(e: CardActionEvent): Promise<CardResponse> {
    const tenantKey = e.tenant_key ?? e.operator.tenant_key;
    if (!tenantKey) return {};
    const port = portOf(tenantKey);
    if (outsider(tenantKey, e.operator.tenant_key)) return (await firstSight(e.event_id)) ? { toast: { type: 'error', content: refusal()[1].slice(0, 200) } } : {};
    const incoming = await who(tenantKey, e.operator.open_id, undefined, e.context?.open_chat_id);
    const value = (e.action.value ?? {}) as Partial<Record<string, unknown>>;
    const form = (e.action.form_value ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
    const about = aboutOf(value.about);
    let command: string | undefined;
    let submitted = false;
    if (typeof value.cmd === 'string') command = value.cmd;
    else if (value.form === 'touch' || value.form === 'complaint') {
      submitted = true;
      const values: FormValues = {
        account: str('account'),
        kind: str('kind'),
        contact: str('contact'),
        severity: str('severity'),
        category: str('category'),
        note: str('note'),
        date: str('date')?.slice(0, 10),
      };
      command = formCommandText(value.form, values);
    } else if (typeof value.ask === 'string') {
      submitted = true;
      command = withText(value.ask, str('note'));
    }
    if (!command) {
      if (!(await firstSight(e.event_id))) return {};
      const locale = await engine.view(incoming, (ctx) => ctx.locale);
      return { toast: { type: 'warning', content: catalog(locale).lark.unknownAction } };
    }
    const done = await inbound.processAction({ ...incoming, text: command, dedupeKey: e.event_id }, byOpenId(tenantKey), submitted);
    if (done.kind === 'form') {
      // A "Log touchpoint" button (on an account's card, with that account chosen): the form comes as a new card, the clicked one stays.
      await sendForm(incoming, done.form, done.account);
      return {};
    }
    if (done.kind === 'ask') {
      // Asked for only when the rest would pass (the inbound service tried it): a Resolve on a closed complaint says so at once.
      const messageId = e.context?.open_message_id;
      const chatId = e.context?.open_chat_id;
      const asked = formFailed(done.locale, `${done.command} <text>`);
      if (value.shared === true && about && messageId && chatId) {
        // Asked from the chat's card: the question is the clicker's alone, and their answer redraws that card.
        const card = askCard(done.command, done.what, done.locale, { messageId, about });
        offerForm((c, text) => privately(port, chatId, e.operator.open_id, c, text), card, asked);
        return { toast: { type: 'info', content: done.what.slice(0, 200) } };
      }
      // Resolve asks what was done: a form under the card, which stays as it is for everyone else.
      const card = askCard(done.command, done.what, done.locale);
      offerForm((c, text) => (messageId ? port.reply(messageId, c, text, true) : port.send('open_id', e.operator.open_id, c, text)), card, asked);
      return { toast: { type: 'info', content: done.what.slice(0, 200) } };
    }
    const out = done.outcome;
    if (out.duplicate) return {};
    if (!out.ok) return { toast: toast('error', out.reply) };
    if (value.shared === true) {
      // The card is the chat's (a complaint in the escalation group): everyone sees it redrawn with the new state,
      // in the workspace's language; the confirmation, in the clicker's language, is theirs alone.
      const { card, text } = rendered(out);
      const chatId = e.context?.open_chat_id;
      later('could not confirm a click on a shared card', async () =>
        chatId ? await privately(port, chatId, e.operator.open_id, card, text) : port.send('open_id', e.operator.open_id, card, text),
      );
      const fresh = about && (await redrawn(incoming, about));
      return { toast: toast('success', out.reply), ...(fresh ? { card: { type: 'raw' as const, data: fresh } } : {}) };
    }
    const shared = typeof value.redraw === 'string' ? value.redraw : undefined;
    if (shared && about) {
      // An answer to a question asked from the chat's card: that card is redrawn for everyone.
      const fresh = await inbound.sharedCard(incoming, about);
      if (fresh) later('could not redraw a shared card', () => port.update({ channel: e.context?.open_chat_id ?? '', ts: shared }, fresh));
    }
    return { toast: toast('success', out.reply), card: { type: 'raw', data: rendered(out).card } };
  }

  /**
   * A card action answered after Lark stopped waiting: its toast is lost with the callback, so what it
   * said goes to the clicker as a card of its own (in the chat, theirs alone; or their DM), and the card
   * it would have redrawn is redrawn in place.
   */
  async function lateCard(e: CardActionEvent, answer: CardResponse): Promise<unknown> {
    const openId = e.operator.open_id;
    const chatId = e.context?.open_chat_id;
    const messageId = e.context?.open_message_id;
    const port = portOf(e.tenant_key ?? e.operator.tenant_key);
    if (answer.card && messageId) await port.patch(messageId, answer.card.data);
    const said = answer.toast?.content;
    if (!said || answer.card) return;
    const { card, text } = renderCard(
      { tone: answer.toast!.type === 'error' ? 'error' : answer.toast!.type, title: said, sections: [], buttons: [], visibility: 'ephemeral' },
      { locale: 'zh-CN' },
    );
    return chatId ? await privately(port, chatId, openId, card, text) : port.send('open_id', openId, card, text);
  }

  async function onMenu(e: MenuEvent): Promise<void> {
    const openId = e.operator.operator_id.open_id;
    const command = MENU[e.event_key];
    if (!e.tenant_key || !command) return;
    const incoming = await who(e.tenant_key, openId, e.operator.operator_name);
    const kind = formOf(command);
    if (kind) {
      return (await firstSight(e.event_id)) ? sendForm(incoming, kind) : undefined;
    }
    const out = await run(incoming, command, undefined, e.event_id);
    if (out.duplicate) return;
    const { card, text } = rendered(out);
    later('could not answer a bot menu click', () => portOf(e.tenant_key).send('open_id', openId, card, text));
  }

  // Lark reporting someone gone (deleted, or marked resigned) is their leaving: accounts flagged, their manager asked to hand them over.
  async function onUserGone(e: UserEvent): Promise<void> {
    if (!e.tenant_key) return;
    await inbound.memberLeft('lark', e.tenant_key, e.object.open_id, 'Lark', e.event_id);
  }

  // Added to a group: say what Steward does there, in the tenant's language.
  async function onAddedToChat(e: ChatEvent): Promise<void> {
    const openId = e.operator_id?.open_id;
    if (!e.tenant_key || !openId || (e.event_id && !(await engine.firstSight('lark', e.event_id)))) return;
    const locale = await engine.view(await who(e.tenant_key, openId), (ctx) => ctx.tenant.locale);
    const t = catalog(locale);
    const { card, text } = renderCard({ tone: 'info', title: t.lark.hello, sections: [{ type: 'text', text: t.lark.helloText }], buttons: [], visibility: 'public' }, { locale });
    later('could not greet a Lark group', () => portOf(e.tenant_key).send('chat_id', e.chat_id, card, text));
  }

  // Every event goes through the inbound service's budget: Lark has its answer within it (else it delivers the event
  // again, or the click fails), and the work goes on after; a redelivery while the first still runs runs nothing.
  // stop() lets each one finish (and commit, or not: then it was never seen, and Lark delivers it again).
  const taken = new Set<Promise<unknown>>();
  const guarded =
    <E extends { event_id?: string }, R>(what: string, fn: (e: E) => Promise<R>, fallback: R, late?: (e: E, answer: R) => Promise<unknown>) =>
    async (e: E): Promise<R> => {
      const work = inbound.processEvent<R>({
        key: e.event_id,
        answer: () => fn(e),
        failed: (err) => (logger.error({ err }, what), fallback),
        locale: 'zh-CN',
        respondLater: (answer) => (late ? late(e, answer) : Promise.resolve()),
        about: { what },
      });
      taken.add(work);
      try {
        return (await work) ?? fallback;
      } finally {
        taken.delete(work);
      }
    };
  // The SDK's own app_ticket handler keeps a pushed ticket in `cache`: the shared one, for a store app.
  const dispatcher = new lark.EventDispatcher({ logger: sdkLog, loggerLevel: lark.LoggerLevel.warn, cache: tokens }).register({
    'im.message.receive_v1': guarded('Lark message failed', (e: MessageEvent) => onMessage(e), undefined),
    'card.action.trigger': guarded('Lark card action failed', (e: CardActionEvent) => onCardAction(e), {} as CardResponse, lateCard),
    'application.bot.menu_v6': guarded('Lark bot menu failed', (e: MenuEvent) => onMenu(e), undefined),
    'im.chat.member.bot.added_v1': guarded('Lark bot-added event failed', (e: ChatEvent) => onAddedToChat(e), undefined),
    'contact.user.deleted_v3': guarded('Lark user deletion failed', (e: UserEvent) => onUserGone(e), undefined),
    'contact.user.updated_v3': guarded('Lark user update failed', (e: UserEvent) => (e.object?.status?.is_resigned ? onUserGone(e) : Promise.resolve()), undefined),
  } as unknown as Record<string, (data: unknown) => Promise<unknown>>);

  const ws =
    config.LARK_MODE === 'ws'
      ? new lark.WSClient({ appId: config.LARK_APP_ID!, appSecret: config.LARK_APP_SECRET!, domain, logger: sdkLog, loggerLevel: lark.LoggerLevel.warn })
      : undefined;
  // Signatures seen are kept in the database every instance shares, as Slack's are.
  const verify = requestVerifier(config, (key, expiresAt, now) => engine.firstRequest(key, expiresAt, now));
  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      logger.error({ err }, 'Lark request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const up = !ws || ws.getConnectionStatus().state === 'connected';
      res.writeHead(up ? 200 : 503, { 'content-type': 'text/plain' }).end(up ? 'ok' : 'connecting');
      return;
    }
    if (req.method === 'GET' && path === '/readyz') {
      const connected = !ws || ws.getConnectionStatus().state === 'connected';
      const { status, body } = await readiness(async () => [...(connected ? [] : ['lark: long connection not connected']), ...((await opts.ready?.()) ?? [])]);
      return void res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    }
    if (ws || req.method !== 'POST' || (path !== LARK_EVENTS_PATH && path !== LARK_CARDS_PATH)) {
      res.writeHead(404).end();
      return;
    }
    const raw = (await readBody(req, MAX_BODY_BYTES))?.toString('utf8');
    if (raw === undefined) return void res.writeHead(413).end();
    const checked = await verify(raw, req.headers);
    if ('status' in checked) {
      logger.warn({ path, reason: checked.reason }, 'refused a Lark request');
      return void res.writeHead(checked.status, { 'content-type': 'application/json' }).end(JSON.stringify({ msg: checked.reason }));
    }
    if (checked.challenge !== undefined) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: checked.challenge }));
    const result = await dispatcher.invoke(checked.body, { needCheck: false });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(typeof result === 'object' && result !== null ? result : {}));
  }

  return {
    client,
    port: root,
    server,
    async start({ listen = true } = {}) {
      if (!isv) botOpenId = await readBotId();
      if (!listen) return void logger.info({ domain }, 'Lark adapter started for delivery only (no listener)');
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.PORT, () => resolve()));
      if (ws) await ws.start({ eventDispatcher: dispatcher });
      // A store app with no ticket in Redis (its first start, or Redis lost it) asks Lark to push one, now that it can be received.
      if (isv) await client.tokenManager.appTicketManager.checkAppTicket();
      logger.info({ mode: config.LARK_MODE, port: config.PORT, domain }, 'Lark adapter started');
    },
    async stop() {
      // No new events; those already taken are finished, then the replies they sent.
      ws?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...taken]);
      // Those answered in time and still running: finished, their answers sent.
      await inbound.drain();
      await closed;
      await Promise.allSettled([...inFlight]);
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}

type Verified = { body: Record<string, unknown>; challenge?: undefined } | { challenge: string; body?: undefined } | { status: number; reason: string };

/** timingSafeEqual throws on buffers of different lengths: a non-ASCII character makes bytes outnumber characters. */
const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Lark's request checks, on the exact bytes received. With an encrypt key the
 * body is `{encrypt}` (AES-256-CBC, key = SHA-256 of the encrypt key, IV in
 * front) and `X-Lark-Signature` = hex SHA-256 of timestamp + nonce + encrypt key
 * + body; the verification token travels inside the (decrypted) body. The SDK's
 * own check re-serialises the parsed body and skips the token, so Steward checks
 * here and hands the SDK only what passed.
 */
export function requestVerifier(config: Pick<Config, 'LARK_ENCRYPT_KEY' | 'LARK_VERIFICATION_TOKEN'>, firstRequest?: FirstRequest) {
  const key = config.LARK_ENCRYPT_KEY;
  const token = config.LARK_VERIFICATION_TOKEN;
  const cipher = key ? new lark.AESCipher(key) : undefined;
  return async (raw: string, headers: IncomingMessage['headers']): Promise<Verified> => {
    let outer: Record<string, unknown>;
    try {
      outer = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { status: 400, reason: 'body is not JSON' };
    }
    if (typeof outer !== 'object' || outer === null) return { status: 400, reason: 'body is not an object' };
    let body = outer;
    if ('encrypt' in outer) {
      if (!cipher) return { status: 400, reason: 'encrypted body, but LARK_ENCRYPT_KEY is not set' };
      try {
        body = JSON.parse(cipher.decrypt(String(outer.encrypt))) as Record<string, unknown>;
      } catch {
        return { status: 400, reason: 'body could not be decrypted with LARK_ENCRYPT_KEY' };
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, reason: 'decrypted body is not an object' };
    } else if (cipher) return { status: 400, reason: 'plain body, but LARK_ENCRYPT_KEY is set' };
    const header = (body.header ?? {}) as Record<string, unknown>;
    const given = String(header.token ?? body.token ?? '');
    if (token && !sameText(given, token)) return { status: 401, reason: 'wrong verification token' };
    // Lark's URL check when the endpoint is saved in the console: answered with the challenge.
    if (body.type === 'url_verification') return typeof body.challenge === 'string' ? { challenge: body.challenge } : { status: 400, reason: 'no challenge' };
    if (key) {
      const ts = String(headers['x-lark-request-timestamp'] ?? '');
      const nonce = String(headers['x-lark-request-nonce'] ?? '');
      const signature = String(headers['x-lark-signature'] ?? '');
      const expected = createHash('sha256')
        .update(ts + nonce + key + raw)
        .digest('hex');
      if (!signature || !sameText(signature, expected)) return { status: 401, reason: 'wrong or missing signature' };
      // The signature covers the timestamp: one outside the window either way, or a signature seen before in it, is a replay.
      const at = Number(ts) * 1000;
      const now = Date.now();
      if (!/^\d+$/.test(ts) || Math.abs(now - at) > SIGNATURE_WINDOW_MS) return { status: 401, reason: 'timestamp outside the 5-minute window' };
      if (firstRequest && !(await firstRequest(`lark:${signature}`, new Date(at + SIGNATURE_WINDOW_MS), new Date(now)))) return { status: 401, reason: 'replayed request' };
    }
    // A store app's app_ticket still comes in the schema 1.0 envelope (type event_callback, the event's type app_ticket).
    const ticket = body.type === 'event_callback' && (body.event as { type?: unknown } | undefined)?.type === 'app_ticket';
    if (body.schema !== '2.0' && !ticket) return { status: 400, reason: 'only schema 2.0 events and card callbacks (and the app_ticket) are handled' };
    return { body };
  };
}

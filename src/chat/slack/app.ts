// Steward on Slack, on Bolt: one set of listeners behind either transport (HTTP
// at POST /slack/events, or Socket Mode with SLACK_APP_TOKEN). Every listener
// acks at once, then turns what arrived into command text for the engine and
// the engine's Reply into Block Kit.
import { App, HTTPReceiver, LogLevel, type BlockAction, type ButtonAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { homeReply } from '../../../handlers/home.js';
import { recordLeave } from '../../../handlers/handover.js';
import { memberById } from '../../domain/permissions.js';
import { accountChoices } from '../../../handlers/typeahead.js';
import { catalog } from '../../../prompts/index.js';
import type { Config } from '../../config.js';
import type { Engine, Incoming, Outcome, UserRef } from '../../engine/engine.js';
import { reply } from '../../engine/reply.js';
import { renderBlocks, VIEW_MAX_BLOCKS } from './blocks.js';
import { SlackIdentity } from './identity.js';
import { ACCOUNT_ACTION, complaintModal, FIELD_BLOCKS, FORM_CALLBACK, formCommand, textModal, touchModal, type Prefill } from './modals.js';
import { SlackPort } from './port.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Commands that open a form when typed with nothing after them. */
const FORMS = { touch: touchModal, complaint: complaintModal } as const;
const TYPEAHEAD_LIMIT = 50;

export interface SlackOptions {
  config: Config;
  engine: Engine;
  logger: Logger;
  /** Delivers (or queues) what a command asked Steward to tell others. */
  afterCommand: () => Promise<void>;
}

export interface SlackApp {
  app: App;
  client: WebClient;
  port: SlackPort;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackApp(opts: SlackOptions): SlackApp {
  const { config, engine, logger } = opts;
  const clientOptions = {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL.replace(/\/?$/, '/') } : {}),
    // Delivery has its own queue that honours Retry-After; the client should report, not wait.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    // Below the outbox's claim lease, so a hung post never outlives its claim.
    timeout: 10_000,
  };
  const health = { path: '/healthz', method: ['GET'], handler: (_req: unknown, res: import('node:http').ServerResponse) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok') };
  const bolt = { logLevel: LogLevel.WARN };
  const app = config.SLACK_APP_TOKEN
    ? new App({
        ...bolt,
        token: config.SLACK_BOT_TOKEN,
        appToken: config.SLACK_APP_TOKEN,
        socketMode: true,
        clientOptions,
        customRoutes: [health],
        installerOptions: { clientOptions, port: config.PORT },
      })
    : new App({
        ...bolt,
        token: config.SLACK_BOT_TOKEN,
        clientOptions,
        receiver: new HTTPReceiver({ signingSecret: config.SLACK_SIGNING_SECRET!, endpoints: SLACK_EVENTS_PATH, customRoutes: [health], logLevel: LogLevel.WARN }),
      });
  const client = app.client;
  // Work still running after its ack: stop() waits for it, so a shutdown loses no command.
  const inFlight = new Set<Promise<unknown>>();
  app.use(async ({ next }) => {
    const work = next();
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });
  const identity = new SlackIdentity(client);
  const port = new SlackPort(client);
  let ownTeam: string | undefined;
  let botUserId: string | undefined;
  /** Only the workspace Steward is installed in; anything else gets a clear answer, and nothing is recorded. */
  const installed = (teamId: string | undefined): teamId is string => Boolean(teamId) && (!ownTeam || teamId === ownTeam);

  const incoming = async (teamId: string, userId: string, text: string, sourceRef?: string): Promise<Incoming> => ({
    platform: 'slack',
    workspaceId: teamId,
    user: await identity.user(userId),
    text,
    sourceRef,
  });

  /** Runs command text as a Slack user; a workspace we are not installed in gets a clear answer. */
  const run = async (teamId: string | undefined, userId: string, text: string, sourceRef?: string): Promise<Outcome> => {
    if (!installed(teamId)) {
      const user = await identity.user(userId);
      const locale = user.locale ?? config.STEWARD_LOCALE;
      return { ok: false, notices: [], locale, reply: reply('error', catalog(locale).slack.unknownWorkspace) };
    }
    const out = await engine.handle(await incoming(teamId, userId, text, sourceRef), (raw) => identity.mention(raw));
    // Deliveries (a complaint to the escalation channel) must not hold the ack Slack waits 3 seconds for.
    if (out.ok) void opts.afterCommand().catch((err: unknown) => logger.error({ err }, 'delivery after a command failed'));
    return out;
  };

  const payload = (out: Outcome) => {
    const { blocks, text } = renderBlocks(out.reply);
    return { blocks, text, response_type: out.reply.visibility === 'public' ? ('in_channel' as const) : ('ephemeral' as const) };
  };

  const openForm = async (kind: keyof typeof FORMS, triggerId: string, userId: string, prefill?: Prefill) => {
    const user: UserRef = await identity.user(userId);
    const t = catalog(user.locale ?? config.STEWARD_LOCALE);
    await client.views.open({ trigger_id: triggerId, view: FORMS[kind](t, prefill) });
  };

  // Every slash command in the manifest, and any added later: `/touch acme visit ...`.
  app.command(/.*/, async ({ command, ack, respond }) => {
    await ack();
    const name = command.command.replace(/^\//, '');
    if (!command.text.trim() && name in FORMS) {
      await openForm(name as keyof typeof FORMS, command.trigger_id, command.user_id);
      return;
    }
    const out = await run(command.team_id, command.user_id, `${command.command} ${command.text}`);
    await respond(payload(out));
  });

  // Buttons carry the command they stand for; a click runs it as if the clicker typed it.
  app.action<BlockAction<ButtonAction>>(/^steward:cmd:/, async ({ ack, body, action, respond }) => {
    await ack();
    const command = action.value ?? '';
    const name = command.trim().replace(/^\//, '');
    if (name in FORMS) {
      await openForm(name as keyof typeof FORMS, body.trigger_id, body.user.id);
      return;
    }
    const out = await run(body.team?.id ?? body.user.team_id, body.user.id, command);
    if (out.needsText) {
      await client.views.open({ trigger_id: body.trigger_id, view: textModal(catalog(out.locale), command, out.needsText) });
      return;
    }
    // A click in the App Home has no response_url: the answer goes to the user's conversation with Steward.
    if (body.response_url) await respond({ ...payload(out), response_type: 'ephemeral', replace_original: false });
    else await port.post({ dm: { platformUserId: body.user.id, name: body.user.name ?? body.user.id } }, out.reply);
  });

  // Type-ahead over the workspace's accounts in the form's account picker.
  app.options(ACCOUNT_ACTION, async ({ ack, body }) => {
    const teamId = body.team?.id ?? body.user.team_id;
    if (!installed(teamId)) return ack({ options: [] });
    const names = await engine.view(await incoming(teamId, body.user.id, ''), (ctx) => accountChoices(ctx, body.value, TYPEAHEAD_LIMIT));
    await ack({ options: names.slice(0, TYPEAHEAD_LIMIT).map((n) => ({ text: { type: 'plain_text', text: n.slice(0, 75) }, value: n.slice(0, 150) })) });
  });

  // A submitted form is the command it stands for; a refusal shows on its field.
  app.view(/^steward:form:/, async ({ ack, body, view }) => {
    const command = formCommand(view.callback_id, view.state.values, view.private_metadata);
    const meta = (view.private_metadata ? JSON.parse(view.private_metadata) : {}) as { sourceRef?: string };
    if (!command) return ack();
    const out = await run(body.team?.id ?? body.user.team_id, body.user.id, command, meta.sourceRef);
    if (!out.ok) {
      const block = FIELD_BLOCKS[out.field ?? 'text'] ?? 'note';
      const present = view.blocks.some((b) => b.block_id === block) ? block : 'note';
      const { text } = renderBlocks(out.reply);
      return ack({ response_action: 'errors', errors: { [present]: text.split('\n')[0]!.replace(/^\S+\s/, '').slice(0, 300) } });
    }
    await ack();
    // The confirmation goes to the rep's conversation with Steward.
    await port.post({ dm: { platformUserId: body.user.id, name: body.user.name ?? body.user.id } }, out.reply).catch((err: unknown) => logger.warn({ err }, 'could not confirm a form'));
  });

  // Message shortcuts: what a customer said in a channel becomes a record in two clicks.
  app.shortcut<import('@slack/bolt').MessageShortcut>(/^steward:log_(touch|complaint)$/, async ({ ack, shortcut, client: c }) => {
    await ack();
    const kind = shortcut.callback_id.endsWith('complaint') ? 'complaint' : 'touch';
    let link: string | undefined;
    try {
      link = (await c.chat.getPermalink({ channel: shortcut.channel.id, message_ts: shortcut.message.ts })).permalink;
    } catch {
      link = undefined;
    }
    const note = [shortcut.message.text ?? '', link ? `(${link})` : ''].filter(Boolean).join('\n');
    await openForm(kind, shortcut.trigger_id, shortcut.user.id, { note, sourceRef: link });
  });

  // @Steward in a channel, or a DM to it: the text is a command; the answer goes in a thread.
  const conversational = async (teamId: string | undefined, userId: string | undefined, text: string, channel: string, ts: string, eventId: string | undefined) => {
    if (!userId || (eventId && !engine.firstSight('slack', eventId))) return;
    const own = botUserId ? new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g') : /^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>/;
    const out = await run(teamId, userId, text.replace(own, '').trim() || '/steward help');
    const { blocks, text: fallback } = renderBlocks(out.reply);
    await client.chat.postMessage({ channel, thread_ts: ts, blocks, text: fallback, unfurl_links: false });
  };
  app.event('app_mention', async ({ event, body }) => {
    await conversational(body.team_id, event.user, event.text, event.channel, event.thread_ts ?? event.ts, body.event_id);
  });
  app.message(async ({ message, body }) => {
    if (message.channel_type !== 'im' || message.subtype !== undefined || !('user' in message) || !message.text) return;
    await conversational(body.team_id, message.user, message.text, message.channel, message.ts, body.event_id);
  });

  // Slack reporting someone deactivated is their leaving: accounts flagged, their manager asked to hand them over.
  app.event('user_change', async ({ event, body }) => {
    const user = event.user as { id: string; deleted?: boolean };
    if (!user.deleted || !installed(body.team_id) || (body.event_id && !engine.firstSight('slack', body.event_id))) return;
    const notices = await engine.aboutMember('slack', body.team_id, user.id, (ctx, member) => {
      if (member.active) recordLeave(ctx, member, memberById(ctx, member.managerId), 'Slack');
    });
    if (notices.length) await opts.afterCommand().catch((err: unknown) => logger.error({ err }, 'delivery after a departure failed'));
  });

  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home' || (body.event_id && !engine.firstSight('slack', body.event_id))) return;
    const user = await identity.user(event.user);
    const home = installed(body.team_id)
      ? await engine.view({ platform: 'slack', workspaceId: body.team_id, user }, (ctx) => homeReply(ctx))
      : reply('error', catalog(user.locale ?? config.STEWARD_LOCALE).slack.unknownWorkspace);
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: renderBlocks(home, { maxBlocks: VIEW_MAX_BLOCKS }).blocks } });
  });

  app.error(async (err) => {
    logger.error({ err }, 'Slack listener failed');
  });

  return {
    app,
    client,
    port,
    async start() {
      const auth = await client.auth.test();
      ownTeam = auth.team_id;
      botUserId = auth.user_id;
      await app.start(config.PORT);
      logger.info({ team: auth.team_id, mode: config.SLACK_APP_TOKEN ? 'socket' : 'http', port: config.PORT }, 'Slack adapter started');
    },
    async stop() {
      await app.stop();
      await Promise.allSettled([...inFlight]);
    },
  };
}


// Steward on Slack, on Bolt: one set of handlers behind either transport (HTTP
// at POST /slack/events, or Socket Mode with SLACK_APP_TOKEN): a listener for
// slash commands, and one global middleware that routes everything else (see
// route). Handlers turn what arrived into command text for the engine and the engine's Reply into
// Block Kit. A slash command is answered in its ack when the answer is ready in
// time (at its response_url otherwise): the inbound service
// (src/engine/inbound.ts) keeps that budget, says what a failure tells the rep,
// and decides what a form's submission came to; everything else acks at once. With
// `commandThread`, slash commands run on the engine thread
// (src/engine/thread.ts), which renders their answer too, so this event loop
// mostly parses and acks.
import {
  App,
  LogLevel,
  type AllMiddlewareArgs,
  type InstallationQuery,
  type AnyMiddlewareArgs,
  type BlockAction,
  type ButtonAction,
  type MessageShortcut,
  type SlackActionMiddlewareArgs,
  type SlackEventMiddlewareArgs,
  type SlackOptionsMiddlewareArgs,
  type SlackShortcutMiddlewareArgs,
  type SlackViewMiddlewareArgs,
  type ViewSubmitAction,
} from '@slack/bolt';
import { AsyncLocalStorage } from 'node:async_hooks';
import { WebClient, type AuthTestResponse } from '@slack/web-api';
import type { Logger } from 'pino';
import { catalog } from '../../../prompts/index.js';
import type { Config } from '../../config.js';
import { mentionsInText, type Engine, type Incoming, type MentionResolver, type Outcome, type UserRef } from '../../engine/engine.js';
import { inLocale, reply, text as textSection } from '../../engine/reply.js';
import { Inbound, type SubmitResult } from '../../engine/inbound.js';
import { EngineThread, EngineThreadGone, type ThreadJob } from '../../engine/thread.js';
import { headline } from '../../engine/render-text.js';
import type { FormSpec } from '../../engine/spec.js';
import type { FormCommand } from '../../engine/forms.js';
import { ACCOUNT_ID_VALUE, accountValue, ACTION_ID_PREFIX, cutPlain, INPUT_TEXT_MAX, OPTION_TEXT_MAX, VIEW_MAX_BLOCKS } from './blocks.js';
import { SlackIdentity } from './identity.js';
import { commandText, mentionedIds, messageText } from './markup.js';
import { ACCOUNT_ACTION, complaintModal, FIELD_BLOCKS, FORM_CALLBACK, formCommand, pickedAccount, textModal, touchModal, type Prefill } from './modals.js';
import { DeliveryError, readiness, type ChatPort } from '../port.js';
import { installationKey, installationStore, type InstallationRecords } from './installations.js';
import { SlackPort } from './port.js';
import { CheckedReceiver } from './receiver.js';
import { commandPayload, renderFor, ResponseUrlClient, type CommandPayload } from './respond.js';
import { installationOf, tenantOf, type Installation, type Origin } from './workspace.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** Whom Bolt asks to authorize a request for: its workspace, organisation, and whether the install is org-wide. */
type Source = { teamId?: string; enterpriseId?: string; isEnterpriseInstall: boolean };
/** Commands that open a form when typed with nothing after them. */
const FORMS: Record<FormCommand, typeof touchModal> = { touch: touchModal, complaint: complaintModal };
const TYPEAHEAD_LIMIT = 50;
/** Steward's forms, and its message shortcuts (callback ids in the manifest). */
const FORMS_SUBMITTED = new Set<string>(Object.values(FORM_CALLBACK));
const LOG_SHORTCUT = /^steward:log_(touch|complaint)$/;

export interface SlackOptions {
  config: Config;
  engine: Engine;
  logger: Logger;
  /** Delivers (or queues) what a command asked Steward to tell others. */
  afterCommand: () => Promise<void>;
  /** Why Steward is not ready (database, Redis, delivery paused), for `GET /readyz`; ready when empty or unset. */
  ready?: () => Promise<string[]>;
  /**
   * Run slash commands on the engine thread, on its own connection to
   * config.STEWARD_DB with the config's locale and time zone (and the wall
   * clock), instead of on `engine` in this event loop. Buttons, forms and events
   * still run on `engine`. The thread starts from this entry module (src/engine-thread.ts: the
   * composition root that gives the thread its commands).
   */
  commandThread?: URL;
  /** How long a slash command's ack waits to carry its answer (Inbound's ACK_BUDGET_MS unless a test says otherwise). */
  ackBudgetMs?: number;
  /** How long a users.info lookup may hold up an answer (Inbound's LOOKUP_BUDGET_MS unless a test says otherwise). */
  lookupBudgetMs?: number;
  /** Where OAuth installations are kept (the database); needed when config.slackOAuth. */
  installations?: InstallationRecords;
}

/** The bot scopes asked for at install when SLACK_SCOPES is unset: slack-manifest.yaml's. */
export const DEFAULT_SCOPES = ['app_mentions:read', 'chat:write', 'chat:write.public', 'commands', 'im:history', 'users:read'];
/** Workspaces whose clients are kept at once (each its users.info cache too); the oldest goes first. */
const MAX_WORKSPACE_CLIENTS = 500;
/** What Slack answers for an installation's token that will never work again. */
const REVOKED = new Set(['token_revoked', 'account_inactive', 'team_disabled']);

export interface SlackApp {
  app: App;
  client: WebClient;
  port: SlackPort;
  /** Asks auth.test; then, unless `listen` is false (a worker instance: delivery only), opens the port or the socket. */
  start(opts?: { listen?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackApp(opts: SlackOptions): SlackApp {
  const { config, engine, logger } = opts;
  const api = config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL.replace(/\/?$/, '/') } : {};
  const clientOptions = {
    ...api,
    // Delivery has its own queue that honours Retry-After; the client should report, not wait.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    // Below the outbox's claim lease, so a hung post never outlives its claim.
    timeout: 10_000,
  };
  const health = {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: unknown, res: import('node:http').ServerResponse) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  };
  const readyz = {
    path: '/readyz',
    method: ['GET'],
    handler: (_req: unknown, res: import('node:http').ServerResponse) =>
      void readiness(opts.ready).then(({ status, body }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body)),
  };
  // No conversation store: Steward keeps no per-conversation state in Bolt, and the default
  // in-memory one builds (and throws away) an Error for every request it has nothing for.
  const bolt = { logLevel: LogLevel.WARN, convoStore: false as const, authorize: (source: Source) => authorization(source) };
  // Bolt is given no token: it would call auth.test as the app is built and keep that one answer for good
  // (a brief failure then refuses every later request). It authorizes with what Steward's own start-up
  // auth.test learnt instead, and Steward's calls go through a client of its own with the bot token.
  let known: AuthTestResponse | undefined;
  // The same answer Bolt's own single-token authorization gives: the token and the bot's ids, nothing more.
  // With OAuth, a request from any other workspace is authorized by Bolt's installer from the installations
  // kept in the database, which also renews a rotating token that expires within two hours.
  const authorization = async (source: Source) => {
    if (config.SLACK_BOT_TOKEN && (!oauth || (known && tenantOf(installationOf(known), source) !== undefined))) {
      if (!known) throw new Error('the Slack app has not started: auth.test has not answered yet');
      return { isEnterpriseInstall: source.isEnterpriseInstall, botToken: config.SLACK_BOT_TOKEN, botId: known.bot_id, botUserId: known.user_id };
    }
    if (!oauth) throw new Error('Slack OAuth is off');
    return oauth.authorize(source as InstallationQuery<boolean>);
  };
  const records = config.slackOAuth ? opts.installations : undefined;
  if (config.slackOAuth && !records) throw new Error('Slack OAuth needs an installation store (SlackOptions.installations)');
  const store = records && installationStore(records);
  // Bolt's installer, served by the receiver: the "Add to Slack" page and the OAuth redirect.
  const redirectUriPath = config.SLACK_REDIRECT_URI ? new URL(config.SLACK_REDIRECT_URI).pathname : '/slack/oauth_redirect';
  const oauthOptions = store
    ? {
        clientId: config.SLACK_CLIENT_ID,
        clientSecret: config.SLACK_CLIENT_SECRET,
        stateSecret: config.SLACK_STATE_SECRET,
        scopes: config.SLACK_SCOPES ?? DEFAULT_SCOPES,
        redirectUri: config.SLACK_REDIRECT_URI,
        installationStore: {
          ...store,
          // Logged by workspace, never with its tokens.
          storeInstallation: async (i: Parameters<typeof store.storeInstallation>[0]) => {
            await store.storeInstallation(i);
            const key = installationKey({ isEnterpriseInstall: i.isEnterpriseInstall, enterpriseId: i.enterprise?.id, teamId: i.team?.id });
            forget(key);
            logger.info({ tenant: key, orgWide: i.isEnterpriseInstall === true, rotating: Boolean(i.bot?.refreshToken) }, 'Slack installation stored');
          },
        },
        installerOptions: { installPath: config.SLACK_INSTALL_PATH, redirectUriPath, clientOptions: api },
      }
    : {};
  const receiver = config.SLACK_APP_TOKEN
    ? undefined
    : new CheckedReceiver({
        signingSecret: config.SLACK_SIGNING_SECRET!,
        endpoints: [SLACK_EVENTS_PATH],
        customRoutes: [health, readyz],
        logLevel: LogLevel.WARN,
        ...oauthOptions,
        // Shared by every instance through the database: a request replayed to any of them is refused.
        // Recorded on the engine thread's connection while there is one (see thread.ts), else here.
        firstRequest: async (key, expiresAt, now) =>
          thread?.alive
            ? thread.firstRequest(key, expiresAt, now).catch((e: unknown) => {
                // The thread stopped before recording it: recorded here.
                if (e instanceof EngineThreadGone) return engine.firstRequest(key, expiresAt, now);
                throw e;
              })
            : await engine.firstRequest(key, expiresAt, now),
        log: logger,
      });
  const app = !receiver
    ? new App({
        ...bolt,
        appToken: config.SLACK_APP_TOKEN,
        socketMode: true,
        clientOptions,
        customRoutes: [health, readyz],
        // The Socket Mode client keeps its own retries for apps.connections.open: a reconnect
        // that meets one 500 or a dropped connection must try again, not fail (and take the process down).
        installerOptions: { clientOptions: api, port: config.PORT },
      })
    : new App({ ...bolt, clientOptions, receiver });
  const oauth = receiver?.installProvider;
  const client = new WebClient(config.SLACK_BOT_TOKEN, clientOptions);
  const identity = new SlackIdentity(client);
  const port = new SlackPort(client, logger, config.STEWARD_LOCALE, oauth ? (workspaceId) => installedPort(workspaceId) : undefined);
  /** What Steward speaks to one workspace with: its token's client, users.info cache and port, and its tenant. */
  interface Workspace {
    client: WebClient;
    identity: SlackIdentity;
    port: SlackPort;
    /** The tenant key, for an installation from the database; the single-token install keys its requests by tenantOf. */
    tenant?: string;
    botUserId?: string;
  }
  const single: Workspace = { client, identity, port };
  /** Installed workspaces' clients by bot token (a rotated token gets a new one). */
  const workspaces = new Map<string, Workspace>();
  const workspaceFor = (token: string, tenant: string | undefined, botUserId: string | undefined): Workspace => {
    let w = workspaces.get(token);
    if (!w) {
      const c = new WebClient(token, clientOptions);
      w = { client: c, identity: new SlackIdentity(c), port: new SlackPort(c, logger, config.STEWARD_LOCALE), tenant, botUserId };
      workspaces.set(token, w);
      if (workspaces.size > MAX_WORKSPACE_CLIENTS) workspaces.delete(workspaces.keys().next().value!);
    }
    return w;
  };
  /** Drops the clients of tenant `key` (uninstalled, reinstalled): its old token is not used again. */
  const forget = (key: string | undefined) => {
    for (const [token, w] of workspaces) if (w.tenant === key) workspaces.delete(token);
  };
  // The workspace a request came from, for everything its listeners call (users.info, views.open, a DM),
  // without passing it through each of them: set once per request in the global middleware below.
  const current = new AsyncLocalStorage<Workspace>();
  const here = (): Workspace => current.getStore() ?? single;
  /** The tenant key of the single-token install (its organisation's for an org-wide install). */
  const singleKey = () => (known ? installationKey({ isEnterpriseInstall: known.is_enterprise_install, enterpriseId: known.enterprise_id, teamId: known.team_id }) : undefined);
  /**
   * Delivery to tenant `workspaceId` with its own token. Slack refusing an installation's token for good
   * (revoked, the workspace deleted) is its uninstall, even when the event saying so never came: the
   * installation is forgotten and the message skipped, rather than the workspace's delivery paused for ever.
   */
  const installedPort = (workspaceId: string): ChatPort => {
    const inner = new SlackPort(() => clientOf(workspaceId), logger, config.STEWARD_LOCALE);
    const refused = async (e: unknown): Promise<never> => {
      const code = e instanceof DeliveryError && e.kind === 'workspace' ? /^Slack: (\w+)$/.exec(e.message)?.[1] : undefined;
      if (!code || !REVOKED.has(code) || workspaceId === singleKey()) throw e;
      await records!.remove(workspaceId);
      forget(workspaceId);
      logger.info({ tenant: workspaceId, code }, 'Slack refuses the installation for good: it is forgotten and nothing more is delivered there');
      throw new DeliveryError('gone', `Slack: ${code}; Steward is no longer installed in Slack workspace ${workspaceId}`);
    };
    return {
      platform: 'slack',
      post: (to, reply, thread) => inner.post(to, reply, thread).catch(refused),
      update: (ref, reply) => inner.update(ref, reply).catch(refused),
    };
  };
  /** The client that reaches tenant `workspaceId`, for delivery: the single token's, or its installation's (renewed when it rotates). */
  const clientOf = async (workspaceId: string): Promise<WebClient> => {
    if (config.SLACK_BOT_TOKEN && workspaceId === singleKey()) return client;
    const row = await records!.find(workspaceId);
    if (!row) throw new DeliveryError('gone', `Steward is not installed in Slack workspace ${workspaceId} (uninstalled, or its token revoked)`);
    try {
      const auth = await oauth!.authorize({ teamId: row.teamId, enterpriseId: row.enterpriseId, isEnterpriseInstall: row.orgWide });
      return workspaceFor(auth.botToken!, workspaceId, auth.botUserId).client;
    } catch (e) {
      // Uninstalled between the two reads.
      if (!(await records!.find(workspaceId))) throw new DeliveryError('gone', `Steward is not installed in Slack workspace ${workspaceId}`);
      throw new DeliveryError('transient', `could not authorize Slack workspace ${workspaceId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  // What a command recorded to tell others (a complaint for the escalation channel) is delivered
  // without holding the ack Slack waits 3 seconds for; a command that recorded nothing to tell costs nothing here.
  const deliverAfter = () => void opts.afterCommand().catch((err: unknown) => logger.error({ err }, 'delivery after a command failed'));
  const inbound = new Inbound(engine, {
    lookupBudgetMs: opts.lookupBudgetMs,
    ackBudgetMs: opts.ackBudgetMs,
    logger,
    afterCommand: deliverAfter,
    onError: (err) => logger.warn({ err }, 'could not record what users.info said'),
  });
  /** Who `userId` is, without waiting on a slow users.info (`carried`: the name the payload has). */
  const who = async (workspaceId: string | undefined, userId: string, carried?: string): Promise<UserRef> =>
    inbound.who('slack', workspaceId, { platformUserId: userId, name: carried }, here().identity.user(userId));
  let installation: Installation | undefined;
  let botUserId: string | undefined;
  let thread: EngineThread<CommandPayload> | undefined;
  // Answers at response_urls go through a bounded pool of keep-alive connections (Bolt's respond() opens a fetch per answer).
  const responses = new ResponseUrlClient();
  /**
   * The tenant a request belongs to: its workspace, or on an org-wide Grid
   * install its organisation. Undefined where Steward is not installed: that gets
   * a clear answer, and nothing is recorded.
   */
  const tenant = (from: Origin): string | undefined => {
    const w = current.getStore();
    if (w) return w.tenant;
    // With OAuth alone, a request Bolt's installer did not authorize belongs to no tenant.
    if (oauth && !config.SLACK_BOT_TOKEN) return undefined;
    return tenantOf(installation, from);
  };
  /** Block Kit in the reply's language (`fallback` when it has none), cuts logged. */
  const render = (r: Parameters<typeof renderFor>[0], fallback: Outcome['locale'], opts?: Parameters<typeof renderFor>[3]) => renderFor(r, logger, fallback, opts);

  const incoming = async (workspaceId: string, userId: string, text: string, sourceRef?: string, channel?: string, carried?: string): Promise<Incoming> => ({
    platform: 'slack',
    workspaceId,
    user: await who(workspaceId, userId, carried),
    text,
    sourceRef,
    // The channel it was typed in (`escalation-channel:here`); a DM with Steward is no channel to name.
    chatId: channel && !channel.startsWith('D') ? channel : undefined,
  });

  const unknownWorkspace = async (userId: string): Promise<Outcome> => {
    const user = await who(undefined, userId);
    const locale = user.locale ?? config.STEWARD_LOCALE;
    return { ok: false, notices: [], locale, reply: inLocale(reply('error', catalog(locale).slack.unknownWorkspace), locale) };
  };

  interface RunOptions {
    sourceRef?: string;
    /** Only tried, then undone. */
    trial?: boolean;
    resolve?: MentionResolver;
    /** The channel it was typed in. */
    channel?: string;
    /** The event carrying it, seen in the command's transaction (Incoming.dedupeKey). */
    eventId?: string;
    /** The form submission it is (Incoming.formKey). */
    formKey?: string;
    /** The user's name as the payload has it, for when users.info is too slow to wait for. */
    carried?: string;
  }
  /** Runs command text as a Slack user; a workspace we are not installed in gets a clear answer. */
  const run = async (from: Origin, userId: string, text: string, o: RunOptions = {}): Promise<Outcome> => {
    const workspaceId = tenant(from);
    if (!workspaceId) return unknownWorkspace(userId);
    const job = { ...(await incoming(workspaceId, userId, text, o.sourceRef, o.channel, o.carried)), dedupeKey: o.eventId, formKey: o.formKey };
    return inbound.run(job, o.resolve ?? ((raw) => here().identity.mention(raw)), o.trial);
  };

  /**
   * A slash command's answer: run on the engine thread, which renders it too,
   * or here when there is no thread (any more), or the thread stopped before
   * running it.
   */
  const slash = async (from: Origin, userId: string, text: string, channel: string, carried: string | undefined): Promise<CommandPayload> => {
    const workspaceId = tenant(from);
    if (workspaceId && thread?.alive) {
      const mentions: ThreadJob['mentions'] = {};
      // The same lookups engine.handle would make, made here, where the Slack client is.
      if (text.includes('@')) {
        for (const raw of mentionsInText(text)) {
          const ref = await here().identity.mention(raw);
          if (ref) mentions[raw] = ref;
        }
      }
      try {
        return (await thread.run({ incoming: await incoming(workspaceId, userId, text, undefined, channel, carried), mentions }, (c) => c.ok && c.deliver && deliverAfter()))
          .answer;
      } catch (e) {
        // The thread stopped before running it: nothing was written, so it runs here.
        if (!(e instanceof EngineThreadGone)) throw e;
      }
    }
    return commandPayload(await run(from, userId, text, { channel, carried }), logger);
  };

  /** A form that could not open (an expired trigger, any error): the user is told, with the command to type instead. */
  const formFailed = async (err: unknown, typed: string, userId: string, locale: Outcome['locale'], responseUrl: string | undefined, form?: FormSpec) => {
    logger.warn({ err }, 'could not open a form');
    const told = inbound.formFailed(locale, 'slack', typed, form);
    if (responseUrl)
      await responses.post(responseUrl, { ...commandPayload({ ok: false, notices: [], locale, reply: told }, logger), response_type: 'ephemeral', replace_original: false });
    else await here().port.post({ dm: { platformUserId: userId, name: userId } }, told);
  };

  /** Opens a form while its trigger is fresh (3 seconds): in the user's language, without waiting on a slow users.info. */
  const openForm = async (kind: FormCommand, workspaceId: string, triggerId: string, userId: string, carried: string | undefined, prefill?: Prefill, responseUrl?: string) => {
    const locale = await inbound.locale(await incoming(workspaceId, userId, '', undefined, undefined, carried));
    try {
      await here().client.views.open({ trigger_id: triggerId, view: FORMS[kind](catalog(locale), prefill) });
    } catch (err) {
      const { typed, form } = inbound.typedForm(kind);
      await formFailed(err, typed, userId, locale, responseUrl, form);
    }
  };

  // Every slash command in the manifest, and any added later: `/touch acme visit ...`.
  // The answer goes in the ack itself when it is ready within ACK_BUDGET_MS (as
  // Slack recommends: no second request, and the rep sees it at once); a slower
  // one is acked empty and answered at the response_url when done.
  app.command(/.*/, async ({ command, ack, context }) => {
    const from = { teamId: command.team_id, enterpriseId: command.enterprise_id ?? context.enterpriseId };
    // A form only where Steward is installed; elsewhere the command says so, as any other does.
    const workspaceId = tenant(from);
    const form = workspaceId ? inbound.formOf(`${command.command} ${command.text}`) : undefined;
    if (form) {
      await ack();
      await openForm(form, workspaceId!, command.trigger_id, command.user_id, command.user_name, undefined, command.response_url);
      return;
    }
    // The inbound service holds the ack for the answer within its budget; a slower one goes to the response_url.
    const ready = await inbound.processSlashCommand({
      answer: () => slash(from, command.user_id, `${command.command} ${commandText(command.text)}`, command.channel_id, command.user_name),
      failed: (_err, told) => commandPayload(told, logger),
      locale: config.STEWARD_LOCALE,
      respondLater: (late) => responses.post(command.response_url, late),
      about: { command: command.command },
    });
    try {
      await ack(ready);
    } catch (err) {
      // The ack could not be sent (a Socket Mode connection going away): the answer still reaches the rep.
      logger.warn({ err, command: command.command }, 'could not ack a slash command; answering at its response_url');
      if (ready) await responses.post(command.response_url, ready);
    }
  });

  // Buttons carry the command they stand for; a click runs it as if the clicker typed it.
  const onButton = async ({ ack, body, action, context }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => {
    await ack();
    const command = action.value ?? '';
    const from = { teamId: body.team?.id ?? body.user.team_id, enterpriseId: context.enterpriseId };
    const workspaceId = tenant(from);
    // A button's command names people as Steward wrote them, by id (`@U123`) too.
    const byId: MentionResolver = (raw) => here().identity.buttonMention(raw);
    const who = workspaceId ? await incoming(workspaceId, body.user.id, command, undefined, body.channel?.id, body.user.name) : undefined;
    const done = who ? await inbound.processAction(who, byId) : { kind: 'done' as const, outcome: await unknownWorkspace(body.user.id) };
    if (done.kind === 'form') {
      // A name too long to be the picker's value is chosen by its id.
      const long = done.account !== undefined && accountValue(done.account) !== done.account;
      const accountId = long ? (await inbound.accounts(who!, done.account!, 1))[0]?.id : undefined;
      await openForm(done.form, workspaceId!, body.trigger_id, body.user.id, body.user.name, { account: done.account, accountId }, body.response_url);
      return;
    }
    if (done.kind === 'ask') {
      try {
        await here().client.views.open({ trigger_id: body.trigger_id, view: textModal(catalog(done.locale), done.command, done.what) });
      } catch (err) {
        await formFailed(err, `${done.command} <text>`, body.user.id, done.locale, body.response_url);
      }
      return;
    }
    const out = done.outcome;
    // A click in the App Home has no response_url: the answer goes to the user's conversation with Steward.
    if (body.response_url) await responses.post(body.response_url, { ...commandPayload(out, logger), response_type: 'ephemeral', replace_original: false });
    else await here().port.post({ dm: { platformUserId: body.user.id, name: body.user.name ?? body.user.id } }, out.reply);
  };

  // Type-ahead over the workspace's accounts in the form's account picker.
  const onSuggestion = async ({ ack, body, context }: SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs) => {
    const workspaceId = tenant({ teamId: body.team?.id ?? body.user.team_id, enterpriseId: context.enterpriseId });
    if (!workspaceId) return ack({ options: [] });
    const choices = await inbound.accounts(await incoming(workspaceId, body.user.id, '', undefined, undefined, body.user.name), body.value, TYPEAHEAD_LIMIT);
    await ack({
      options: choices.slice(0, TYPEAHEAD_LIMIT).map((a) => ({ text: { type: 'plain_text', text: cutPlain(a.name, OPTION_TEXT_MAX).text }, value: accountValue(a.name, a.id) })),
    });
  };

  // A submitted form is the command it stands for; a refusal shows on its field.
  const onSubmit = async ({ ack, body, view, context }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    const from = { teamId: body.team?.id ?? body.user.team_id, enterpriseId: context.enterpriseId };
    // An account whose name is too long for a picker's value was picked by its id: the command names it in full.
    const byId = ACCOUNT_ID_VALUE.exec(pickedAccount(view.state.values) ?? '')?.[1];
    const workspaceId = byId ? tenant(from) : undefined;
    const account =
      byId && workspaceId ? ((await inbound.accountName(await incoming(workspaceId, body.user.id, '', undefined, undefined, body.user.name), Number(byId))) ?? '') : undefined;
    const command = formCommand(view.callback_id, view.state.values, view.private_metadata, account);
    const meta = (view.private_metadata ? JSON.parse(view.private_metadata) : {}) as { sourceRef?: string };
    if (!command) return ack();
    // The same form sent again (its answer lost, the rep submitting twice) is saved once: keyed by the view as it was submitted.
    const workspace = tenant(from);
    const done: SubmitResult = workspace
      ? await inbound.processModalSubmit(
          { ...(await incoming(workspace, body.user.id, command, meta.sourceRef, undefined, body.user.name)), formKey: `${view.id}:${view.hash}` },
          (raw) => here().identity.mention(raw),
        )
      : await unknownWorkspace(body.user.id).then((outcome) => ({ kind: 'refused' as const, field: 'text', headline: headline(outcome.reply), outcome }));
    // Saved already: the form closes, and the confirmation went with the first.
    if (done.kind === 'duplicate') return ack();
    if (done.kind === 'refused') {
      const block = FIELD_BLOCKS[done.field] ?? 'note';
      const present = view.blocks.some((b) => b.block_id === block) ? block : 'note';
      // View errors are plain text: the headline as the rep would read it, unescaped.
      return ack({ response_action: 'errors', errors: { [present]: cutPlain(done.headline, 300).text } });
    }
    await ack();
    // The confirmation goes to the rep's conversation with Steward.
    await here()
      .port.post({ dm: { platformUserId: body.user.id, name: body.user.name ?? body.user.id } }, done.outcome.reply)
      .catch((err: unknown) => logger.warn({ err }, 'could not confirm a form'));
  };

  // Message shortcuts: what a customer said in a channel becomes a record in two clicks.
  const onShortcut = async ({ ack, shortcut, client: c, context }: SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs) => {
    await ack();
    const workspaceId = tenant({ teamId: shortcut.team?.id ?? shortcut.user.team_id, enterpriseId: context.enterpriseId });
    if (!workspaceId) {
      await responses.post(shortcut.response_url, { ...commandPayload(await unknownWorkspace(shortcut.user.id), logger), response_type: 'ephemeral' });
      return;
    }
    const kind = shortcut.callback_id.endsWith('complaint') ? 'complaint' : 'touch';
    let link: string | undefined;
    try {
      link = (await c.chat.getPermalink({ channel: shortcut.channel.id, message_ts: shortcut.message.ts })).permalink;
    } catch {
      link = undefined;
    }
    // What the customer said, as they said it: Slack's markup read back, people by name.
    const said = shortcut.message.text ?? '';
    // Named as users.info names them if it answers in time; a slow one leaves Slack's own label (the trigger expires in 3 seconds).
    const names = new Map(
      await Promise.all(
        mentionedIds(said).map(async (id) => {
          const ref = await inbound.inTime(here().identity.user(id));
          return [id, ref && !ref.provisional ? ref.name : undefined] as const;
        }),
      ),
    );
    const text = messageText(said, (id, label) => names.get(id) ?? label ?? id);
    // The link back always fits: a long message is cut to make room for it.
    const tail = link ? `\n(${link})` : '';
    const note = `${cutPlain(text, INPUT_TEXT_MAX - tail.length).text}${tail}`.trim();
    await openForm(kind, workspaceId, shortcut.trigger_id, shortcut.user.id, shortcut.user.name, { note, sourceRef: link }, shortcut.response_url);
  };

  // @Steward in a channel, or a DM to it: the text is a command; the answer goes in a thread.
  const conversational = async (from: Origin, userId: string | undefined, text: string, channel: string, ts: string, eventId: string | undefined) => {
    if (!userId) return;
    const bot = here().botUserId ?? botUserId;
    const own = bot ? new RegExp(`<@${bot}(?:\\|[^>]*)?>`, 'g') : /^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>/;
    const out = await run(from, userId, commandText(text.replace(own, '')).trim() || '/steward help', { channel, eventId });
    // A retry of an event already run: it was answered then.
    if (out.duplicate) return;
    const { blocks, text: fallback } = render(out.reply, out.locale);
    try {
      // In a channel, an answer for the asker (an account's revenue, its complaints) is theirs alone: ephemeral, in the thread.
      const own = out.reply.visibility !== 'public' && !channel.startsWith('D');
      if (own) await here().client.chat.postEphemeral({ channel, user: userId, thread_ts: ts, blocks, text: fallback });
      else await here().client.chat.postMessage({ channel, thread_ts: ts, blocks, text: fallback, unfurl_links: false });
    } catch (err) {
      // Refused there (not in the channel, archived, rate-limited): the answer still reaches the one who asked.
      logger.warn({ err, channel }, 'could not answer a message in its channel; answering in a DM');
      const moved = { ...out.reply, sections: [textSection(catalog(out.locale).slack.answerMoved), ...out.reply.sections] };
      await here().port.post({ dm: { platformUserId: userId, name: userId } }, moved);
    }
  };
  const directMessage = async (from: Origin, message: import('@slack/bolt').KnownEventFromType<'message'>, eventId: string | undefined) => {
    if (message.channel_type !== 'im' || message.subtype !== undefined || !('user' in message) || !message.text) return;
    await conversational(from, message.user, message.text, message.channel, message.ts, eventId);
  };

  // Slack reporting someone deactivated is their leaving: accounts flagged, their manager asked to hand them over.
  const userChanged = async (from: Origin, user: { id: string; deleted?: boolean }, eventId: string | undefined) => {
    // A new name, time zone or language: the next thing they do asks users.info again, and their member follows.
    here().identity.forget(user.id);
    const workspaceId = tenant(from);
    if (!user.deleted || !workspaceId) return;
    await inbound.memberLeft('slack', workspaceId, user.id, 'Slack', eventId);
  };

  const homeOpened = async (from: Origin, userId: string, tab: string | undefined, eventId: string | undefined) => {
    if (tab !== 'home' || (eventId && !(await engine.firstSight('slack', eventId)))) return;
    const workspaceId = tenant(from);
    const user = await who(workspaceId, userId);
    const locale = user.locale ?? config.STEWARD_LOCALE;
    const home = workspaceId ? await inbound.home({ platform: 'slack', workspaceId, user }) : reply('error', catalog(locale).slack.unknownWorkspace);
    await here().client.views.publish({ user_id: userId, view: { type: 'home', blocks: render(home, locale, { maxBlocks: VIEW_MAX_BLOCKS }).blocks } });
  };

  /**
   * A workspace (or organisation) that removed Steward: its installation is forgotten, so nothing
   * more is delivered there (its nudges are skipped) and its requests are no longer authorized.
   * The single-token install is the operator's to fix, as before: its delivery pauses on the refused token.
   */
  const uninstalled = async (context: AllMiddlewareArgs['context'], why: string) => {
    const key = installationKey({ isEnterpriseInstall: context.isEnterpriseInstall, enterpriseId: context.enterpriseId, teamId: context.teamId });
    if (!records || !key || (config.SLACK_BOT_TOKEN && key === singleKey())) return void logger.warn({ tenant: key }, `Slack says ${why}`);
    const had = await records.remove(key);
    forget(key);
    logger.info({ tenant: key, had }, `Slack says ${why}: its installation is forgotten and nothing more is delivered there`);
  };

  // Every event Steward subscribes to.
  const onEvent = async ({ event, body, context }: SlackEventMiddlewareArgs & AllMiddlewareArgs) => {
    const from = { teamId: body.team_id, enterpriseId: context.enterpriseId };
    switch (event.type) {
      case 'app_mention':
        return conversational(from, event.user, event.text, event.channel, event.thread_ts ?? event.ts, body.event_id);
      case 'message':
        return directMessage(from, event, body.event_id);
      case 'user_change':
        return userChanged(from, event.user as { id: string; deleted?: boolean }, body.event_id);
      case 'app_home_opened':
        return homeOpened(from, event.user, event.tab, body.event_id);
      case 'app_uninstalled':
        return uninstalled(context, 'the app was uninstalled');
      case 'tokens_revoked':
        // Only the bot token matters: Steward asks for no user tokens.
        return event.tokens.bot?.length ? await uninstalled(context, 'its bot token was revoked') : undefined;
      default:
        return;
    }
  };

  /**
   * Buttons, type-ahead, forms, shortcuts and events, by the kind of request.
   * Everything else goes on to Bolt's listeners: a slash command to the one
   * above; what nobody takes, Bolt reports unhandled, as ever.
   */
  const route = (args: AnyMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const { body } = args;
    if ('action' in args && body.type === 'block_actions' && (args.action as ButtonAction).action_id?.startsWith(ACTION_ID_PREFIX))
      return onButton(args as Parameters<typeof onButton>[0]);
    if ('options' in args && body.type === 'block_suggestion' && args.options.action_id === ACCOUNT_ACTION) return onSuggestion(args as Parameters<typeof onSuggestion>[0]);
    if ('view' in args && body.type === 'view_submission' && FORMS_SUBMITTED.has(args.view.callback_id)) return onSubmit(args as Parameters<typeof onSubmit>[0]);
    if ('shortcut' in args && args.shortcut.type === 'message_action' && LOG_SHORTCUT.test(args.shortcut.callback_id)) return onShortcut(args as Parameters<typeof onShortcut>[0]);
    // Events are acked already; onEvent takes the ones Steward subscribes to and ignores the rest.
    if ('event' in args) return onEvent(args);
    return args.next();
  };
  // One global middleware routes every request, and slash commands are Bolt's only listener.
  // Bolt runs each listener's filters on every request, even one they cannot match (about
  // 6 µs a listener here: a slash command cost Bolt 63 µs with Steward's six, 35 with one),
  // so a /touch costs Bolt what it costs an app that has nothing but its command.
  // Work still running after its ack is tracked: stop() waits for it, so a shutdown loses no command.
  const inFlight = new Set<Promise<unknown>>();
  app.use(async (args) => {
    const { context } = args;
    // A request authorized from an installation in the database runs as that workspace.
    const w =
      context.botToken && context.botToken !== config.SLACK_BOT_TOKEN
        ? workspaceFor(
            context.botToken,
            installationKey({ isEnterpriseInstall: context.isEnterpriseInstall, enterpriseId: context.enterpriseId, teamId: context.teamId }),
            context.botUserId,
          )
        : undefined;
    const work = w ? current.run(w, () => route(args)) : route(args);
    inFlight.add(work);
    try {
      await work;
    } finally {
      inFlight.delete(work);
    }
  });

  app.error(async (err) => {
    logger.error({ err }, 'Slack listener failed');
  });

  let listening = false;
  return {
    app,
    client,
    port,
    async start({ listen = true } = {}) {
      // OAuth alone: no token of its own to check; each installation was checked as it was made.
      const auth: Partial<AuthTestResponse> = config.SLACK_BOT_TOKEN ? await authTest(client, logger) : {};
      if (config.SLACK_BOT_TOKEN) {
        known = auth as AuthTestResponse;
        installation = installationOf(auth);
        botUserId = auth.user_id;
      }
      if (!listen) return void logger.info({ team: auth.team_id, enterprise: auth.enterprise_id }, 'Slack adapter started for delivery only (no listener)');
      listening = true;
      if (opts.commandThread) {
        thread = await EngineThread.start<CommandPayload>({
          // The book the thread opens its own connection to (db/index.ts databaseAt's rule; adapters import no db/).
          db: config.DATABASE_URL ? { url: config.DATABASE_URL } : { file: config.STEWARD_DB },
          defaults: { locale: config.STEWARD_LOCALE, timezone: config.STEWARD_TIMEZONE },
          finisher: new URL(`./respond.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
          entry: opts.commandThread,
          logger,
          metrics: engine.metrics,
        });
      }
      await app.start(config.PORT);
      logger.info(
        {
          team: auth.team_id,
          enterprise: auth.enterprise_id,
          orgWide: installation?.orgWide,
          oauth: oauth ? { install: config.SLACK_INSTALL_PATH, redirect: redirectUriPath } : undefined,
          mode: config.SLACK_APP_TOKEN ? 'socket' : 'http',
          port: config.PORT,
          commandThread: Boolean(thread),
        },
        'Slack adapter started',
      );
    },
    async stop() {
      // Over HTTP, closing the server stops new requests while those open finish on their sockets. A Socket
      // Mode connection carries the acks too: it stays open until the work it brought is done.
      if (config.SLACK_APP_TOKEN) while (inFlight.size) await Promise.allSettled([...inFlight]);
      if (listening) await app.stop();
      await Promise.allSettled([...inFlight]);
      // Slash commands answered after their ack: finished (on the thread too) before it closes.
      await inbound.drain();
      await thread?.close();
      responses.close();
    },
  };
}

/** What Slack answers while it is briefly unwell: worth asking again at start-up. Anything else is final. */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
const AUTH_TEST_TRIES = 4;

/**
 * Steward's start-up auth.test, asked again (after a short, growing pause) while Slack answers a
 * transient error or cannot be reached for a moment; a refused token fails at once.
 */
async function authTest(client: WebClient, logger: Logger): Promise<AuthTestResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.auth.test();
    } catch (err) {
      const e = err as { code?: string; data?: { error?: string }; retryAfter?: number };
      const transient =
        e.code === 'slack_webapi_rate_limited_error' ||
        e.code === 'slack_webapi_request_error' ||
        e.code === 'slack_webapi_http_error' ||
        (e.code === 'slack_webapi_platform_error' && TRANSIENT.has(e.data?.error ?? ''));
      if (!transient || attempt >= AUTH_TEST_TRIES) throw err;
      const pause = Math.min(5_000, e.retryAfter ? e.retryAfter * 1000 : 250 * 2 ** attempt);
      logger.warn({ err, attempt }, 'Slack auth.test failed at start-up; asking again');
      await new Promise((done) => setTimeout(done, pause));
    }
  }
}
